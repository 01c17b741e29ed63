"""Expand a validated spec into the resolved `Network` and its networkx graph.

One pass in data-flow order: each layer's arguments are evaluated, a node is
added, its output shape inferred from its inputs, and every join checked the
moment it is made, so an error can name the block, both branch shapes and the
place in the spec that caused it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx

from resgen.blocks import builtin_blocks
from resgen.errors import SpecError
from resgen.graph import checks
from resgen.graph.model import Block, Network, Op, Shortcut, Stage
from resgen.graph.shapes import Shape, ShapeProblem, format_shape, infer
from resgen.spec.expr import ExpressionError, Value, parse
from resgen.spec.load import source_of, spec_hash
from resgen.spec.schema import BlockDef, Spec, layer_op, suggest
from resgen.spec.yaml_source import Path as KeyPath
from resgen.spec.yaml_source import Source

MAX_BLOCKS = 10_000
MAX_NODES = 250_000
MAX_SIZE = 1_000_000  # channels, widths, spatial sizes, kernels
KNOBS = ("expansion", "groups", "width_per_group", "stride_on")
BLOCK_VARIABLES = ("in_channels", "width", "stride", "dilation", "out_channels")
ACTIVATIONS = {"relu": "relu", "act": "relu"}
NORMS = {"bn": "bn", "norm": "bn"}
AUTO_NUMBERED = {"conv": "conv", "bn": "bn", "linear": "fc"}


class _Scope:
    """Attribute names inside one module (the network, or one block)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.taken: set[str] = set()
        self.counters: dict[str, int] = {}
        self.calls: dict[str, int] = {}

    def claim(self, name: str | None, op: str, shared: bool) -> str:
        if name is None:
            if shared:
                return op
            base = AUTO_NUMBERED.get(op, op)
            number = self.counters.get(base, 0) + 1
            while f"{base}{number}" in self.taken:
                number += 1
            self.counters[base] = number
            name = f"{base}{number}" if op in AUTO_NUMBERED or number > 1 else base
        elif name in self.taken and not shared:
            raise ValueError(f"layer name {name!r} is used twice in {self.prefix or 'the network'}")
        self.taken.add(name)
        return name

    def node_id(self, attr: str) -> str:
        """A unique node id; a shared module called again gets `#2`, `#3`, ..."""
        full = f"{self.prefix}.{attr}" if self.prefix else attr
        count = self.calls.get(full, 0) + 1
        self.calls[full] = count
        return full if count == 1 else f"{full}#{count}"


class Expander:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.source: Source = source_of(spec)
        self.graph = nx.DiGraph(name=spec.name)
        self.blocks: dict[str, BlockDef] = self._block_types()
        self.params: dict[str, Value] = dict(spec.params)
        self.used_defaults: set[str] = set()
        self.total_blocks = 0

    # ------------------------------------------------------------------ errors

    def error(self, path: KeyPath, message: str, hint: str = "") -> SpecError:
        return self.source.error(path, message, hint)

    def _block_types(self) -> dict[str, BlockDef]:
        library = builtin_blocks()
        for name in self.spec.blocks:
            if name in library:
                raise self.error(
                    ("blocks", name),
                    f"block type {name!r} is built in; give your block another name",
                )
        return {**library, **self.spec.blocks}

    # ------------------------------------------------------------------ values

    def value(
        self,
        raw: Any,
        env: Mapping[str, Value],
        path: KeyPath,
        *,
        minimum: int = 1,
        what: str = "",
        integer: bool = True,
    ) -> Any:
        """Evaluate an int-or-expression field and check its range."""
        if isinstance(raw, str):
            try:
                result = parse(raw).evaluate(env)
            except ExpressionError as exc:
                hint = ""
                if exc.unknown_name:
                    hint = "known names: " + ", ".join(sorted(env)) + suggest(exc.unknown_name, env)
                raise self.error(path, f"{what}cannot evaluate {raw!r}: {exc}", hint) from None
        else:
            result = raw
        if not integer:
            return result
        if isinstance(result, float) and result.is_integer():
            result = int(result)
        if not isinstance(result, int) or isinstance(result, bool):
            raise self.error(path, f"{what}expected a whole number, got {result!r}")
        if result < minimum:
            raise self.error(path, f"{what}must be at least {minimum}, got {result}")
        if result > MAX_SIZE:
            raise self.error(path, f"{what}{result:,} is larger than the limit {MAX_SIZE:,}")
        return result

    # ------------------------------------------------------------------ graph

    def add_node(
        self,
        node: str,
        op: str,
        args: dict[str, Any],
        inputs: list[tuple[str, dict[str, Any]]],
        path: KeyPath,
        context: str,
        **attrs: Any,
    ) -> Shape:
        in_shapes = [self.graph.nodes[src]["shape"] for src, _ in inputs]
        try:
            shape = infer(op, args, in_shapes)
        except ShapeProblem as exc:
            raise self.error(path, f"{context}: {exc}") from None
        if self.graph.number_of_nodes() >= MAX_NODES:
            raise self.error(path, f"the network has more than {MAX_NODES:,} layers")
        self.graph.add_node(
            node,
            op=op,
            args=args,
            shape=shape,
            in_shape=in_shapes[0] if in_shapes else (),
            location=str(self.source.locate(path)),
            **attrs,
        )
        for src, edge in inputs:
            self.graph.add_edge(src, node, shape=self.graph.nodes[src]["shape"], **edge)
        return shape

    # ------------------------------------------------------------------ layers

    def layer(
        self,
        layer: Any,
        env: Mapping[str, Value],
        scope: _Scope,
        current: str,
        path: KeyPath,
        where: str,
        **attrs: Any,
    ) -> Op:
        op, raw = layer_op(layer)
        path = (*path, op)
        concrete = ACTIVATIONS.get(op) or NORMS.get(op) or op
        in_shape = self.graph.nodes[current]["shape"]
        args = self.layer_args(concrete, raw, env, path)
        shared = concrete in ACTIVATIONS.values()
        try:
            attr = scope.claim(getattr(raw, "name", None), concrete, shared)
        except ValueError as exc:
            raise self.error((*path, "name"), str(exc)) from None
        node = scope.node_id(attr)
        if concrete == "conv" and len(in_shape) == 3:
            args["in"] = in_shape[0]
        context = f"{where}{node.split('#')[0]}"
        shape = self.add_node(node, concrete, args, [(current, {})], path, context, **attrs)
        return Op(concrete, attr, args, in_shape, shape, node, layer)

    def layer_args(
        self, op: str, raw: Any, env: Mapping[str, Value], path: KeyPath
    ) -> dict[str, Any]:
        def get(key: str, minimum: int = 1) -> int:
            return self.value(getattr(raw, key), env, (*path, key), minimum=minimum)

        if op == "conv":
            kernel, dilation = get("kernel"), get("dilation")
            padding = raw.padding
            args = {
                "out": get("out"),
                "kernel": kernel,
                "stride": get("stride"),
                "dilation": dilation,
                "groups": get("groups"),
                "bias": raw.bias,
            }
            args["padding"] = (
                dilation * (kernel - 1) // 2
                if padding is None
                else self.value(padding, env, (*path, "padding"), minimum=0)
            )
            return args
        if op == "linear":
            return {"out": get("out"), "bias": raw.bias}
        if op in {"maxpool", "avgpool"}:
            if raw.kernel is None:
                if op == "maxpool":
                    raise self.error(path, "maxpool needs a kernel")
                return {"kernel": None}
            kernel = get("kernel")
            stride = kernel if raw.stride is None else get("stride")
            padding = 0 if raw.padding is None else get("padding", minimum=0)
            return {
                "kernel": kernel,
                "stride": stride,
                "padding": padding,
                "ceil_mode": raw.ceil_mode,
            }
        if op == "dropout":
            p = self.value(raw.p, env, (*path, "p"), integer=False)
            if not isinstance(p, int | float) or not 0 <= p < 1:
                raise self.error((*path, "p"), f"dropout probability must be in [0, 1), got {p!r}")
            return {"p": float(p)}
        return {}

    def sequence(
        self,
        layers: list[Any],
        env: Mapping[str, Value],
        scope: _Scope,
        current: str,
        path: KeyPath,
        where: str = "",
        **attrs: Any,
    ) -> list[Op]:
        ops = []
        for index, layer in enumerate(layers):
            ops.append(self.layer(layer, env, scope, current, (*path, index), where, **attrs))
            current = ops[-1].node
        return ops

    # ------------------------------------------------------------------ stages

    def knob(self, stage_index: int, name: str) -> tuple[Any, KeyPath] | None:
        stage = self.spec.stages[stage_index]
        if name in stage.args or name in self.spec.defaults.args:
            in_stage = name in stage.args
            table = stage.args if in_stage else self.spec.defaults.args
            return table[name], (("stages", stage_index) if in_stage else ("defaults",)) + (
                "args",
                name,
            )
        for owner, path in ((stage, ("stages", stage_index)), (self.spec.defaults, ("defaults",))):
            value = getattr(owner, name, None)
            if value is not None:
                return value, (*path, name)
        return None

    def stage_env(self, index: int, type_name: str, definition: BlockDef) -> dict[str, Value]:
        stage = self.spec.stages[index]
        path: KeyPath = ("stages", index)
        env: dict[str, Value] = dict(self.params)
        env.update(definition.params)
        env.setdefault("expansion", 1)
        explicit = set(stage.args) | {k for k in KNOBS if getattr(stage, k) is not None}
        for name in sorted(explicit - set(definition.params)):
            raise self.error(
                (*path, name),
                f"block type {type_name!r} has no parameter {name!r}",
                "its parameters: " + (", ".join(sorted(definition.params)) or "none"),
            )
        for name in definition.params:
            found = self.knob(index, name)
            if found is None:
                continue
            raw, knob_path = found
            if knob_path[0] == "defaults":
                self.used_defaults.add(name)
            default = definition.params[name]
            if isinstance(default, str) or isinstance(raw, bool):
                env[name] = raw
            else:
                env[name] = self.value(raw, self.params, knob_path, minimum=1, what=f"{name}: ")
        env["width"] = self.value(stage.width, env, (*path, "width"))
        dilation = self.knob(index, "dilation")
        env["dilation"] = 1 if dilation is None else self.value(dilation[0], env, dilation[1])
        return env

    def stage(self, index: int, current: str, taken: set[str]) -> tuple[Stage, str]:
        stage = self.spec.stages[index]
        path: KeyPath = ("stages", index)
        name = stage.name or f"layer{index + 1}"
        if name in taken:
            raise self.error((*path, "name"), f"name {name!r} is already used in the network")
        taken.add(name)
        type_name = stage.block or self.spec.defaults.block
        if type_name is None:
            raise self.error(path, "no block type", "set `block:` here or in `defaults`")
        if type_name not in self.blocks:
            raise self.error(
                (*path, "block") if stage.block else ("defaults", "block"),
                f"unknown block type {type_name!r}{suggest(type_name, self.blocks)}",
                "known block types: " + ", ".join(sorted(self.blocks)),
            )
        definition = self.blocks[type_name]
        if stage.block is None:
            self.used_defaults.add("block")
        count = self.value(stage.blocks, self.params, (*path, "blocks"))
        self.total_blocks += count
        if self.total_blocks > MAX_BLOCKS:
            raise self.error(
                (*path, "blocks"), f"the network would have more than {MAX_BLOCKS:,} blocks"
            )
        env = self.stage_env(index, type_name, definition)
        stride = self.value(stage.stride, env, (*path, "stride"))
        kind = self.shortcut_kind(index, definition)
        blocks = []
        for block_index in range(count):
            block = self.block(
                f"{name}.{block_index}",
                block_index,
                type_name,
                definition,
                env,
                stride if block_index == 0 else 1,
                kind,
                current,
                path,
            )
            blocks.append(block)
            current = block.main[-1].node if not block.post else block.post[-1].node
            current = self.last_node
        return Stage(name, blocks, path), current

    def shortcut_kind(self, index: int, definition: BlockDef) -> tuple[str, KeyPath]:
        stage = self.spec.stages[index]
        if definition.shortcut == "none":
            if stage.shortcut not in (None, "none"):
                raise self.error(
                    ("stages", index, "shortcut"),
                    f"this block type has no shortcut, so shortcut {stage.shortcut!r} cannot apply",
                    "use block: basic (or another residual block) for a shortcut",
                )
            return "none", ("stages", index)
        if stage.shortcut is not None:
            return stage.shortcut, ("stages", index, "shortcut")
        if self.spec.defaults.shortcut is not None:
            self.used_defaults.add("shortcut")
            return self.spec.defaults.shortcut, ("defaults", "shortcut")
        return definition.shortcut, ("stages", index)

    # ------------------------------------------------------------------ blocks

    def block(
        self,
        block_path: str,
        index: int,
        type_name: str,
        definition: BlockDef,
        stage_env: Mapping[str, Value],
        stride: int,
        kind: tuple[str, KeyPath],
        current: str,
        stage_path: KeyPath,
    ) -> Block:
        in_shape = self.graph.nodes[current]["shape"]
        if len(in_shape) != 3:
            raise self.error(
                stage_path, f"{block_path}: blocks need a C×H×W input, got {format_shape(in_shape)}"
            )
        env = dict(stage_env, in_channels=in_shape[0], stride=stride)
        where = f"{block_path} ({type_name} block): "
        for name, raw in definition.let.items():
            env[name] = self.value(raw, env, stage_path, what=f"{where}let {name}: ")
        env["out_channels"] = self.value(definition.out, env, stage_path, what=f"{where}out: ")
        scope = _Scope(block_path)
        attrs = {"block": block_path, "stage": block_path.split(".")[0]}
        main = self.sequence(
            definition.main, env, scope, current, stage_path, where, branch="main", **attrs
        )
        shortcut_kind, shortcut_path = kind
        if shortcut_kind == "none":
            shortcut = Shortcut("none")
            join_inputs: list[tuple[str, dict[str, Any]]] = []
        else:
            shortcut, tail = self.shortcut(
                block_path, shortcut_kind, current, main[-1].shape, shortcut_path, attrs
            )
            join_inputs = [
                (main[-1].node, {"branch": "main"}),
                (tail, {"branch": "shortcut", "kind": shortcut.kind, "option": shortcut_kind}),
            ]
        last = main[-1].node
        if join_inputs:
            checks.check_join(
                self, block_path, definition.join, shortcut_kind, join_inputs, shortcut_path
            )
            join_node = f"{block_path}.{definition.join}"
            self.add_node(
                join_node, definition.join, {}, join_inputs, stage_path, block_path, **attrs
            )
            last = join_node
        post = self.sequence(
            definition.post, env, scope, last, stage_path, where, branch="post", **attrs
        )
        self.last_node = post[-1].node if post else last
        return Block(
            index=index,
            path=block_path,
            type_name=type_name,
            definition=definition,
            env=env,
            main=main,
            shortcut=shortcut,
            join=definition.join if join_inputs else "",
            post=post,
            in_shape=in_shape,
            shape=self.graph.nodes[self.last_node]["shape"],
        )

    def shortcut(
        self,
        block_path: str,
        kind: str,
        current: str,
        main_shape: Shape,
        path: KeyPath,
        attrs: dict[str, Any],
    ) -> tuple[Shortcut, str]:
        """Add the shortcut's nodes; return its description and its last node."""
        in_shape = self.graph.nodes[current]["shape"]
        in_c, out_c = in_shape[0], main_shape[0]
        stride = checks.implied_stride(in_shape, main_shape)
        changes = in_c != out_c or stride != 1
        if kind == "identity" or (kind in {"A", "B", "D"} and not changes):
            return Shortcut("identity"), current
        prefix = f"{block_path}.downsample"
        attrs = dict(attrs, branch="shortcut")
        if kind == "A":
            if out_c < in_c:
                raise self.error(
                    path,
                    f"{block_path}: shortcut A can only add channels, not reduce {in_c}→{out_c}",
                    "use shortcut B (a 1x1 projection)",
                )
            args = {"stride": stride, "extra_channels": out_c - in_c}
            self.add_node(prefix, "zeropad", args, [(current, {})], path, block_path, **attrs)
            return Shortcut("zeropad", in_c, out_c, stride), prefix
        conv = {"in": in_c, "out": out_c, "kernel": 1, "stride": stride, "padding": 0,
                "dilation": 1, "groups": 1, "bias": False}  # fmt: skip
        nodes: list[tuple[str, str, dict[str, Any]]] = []
        if kind == "D":
            if stride > 1:
                pool = {"kernel": stride, "stride": stride, "padding": 0, "ceil_mode": True}
                nodes.append((f"{prefix}.0", "avgpool", pool))
            conv["stride"] = 1
            nodes += [(f"{prefix}.1", "conv", conv), (f"{prefix}.2", "bn", {})]
        else:
            nodes += [(f"{prefix}.0", "conv", conv), (f"{prefix}.1", "bn", {})]
        tail = current
        for node, op, args in nodes:
            self.add_node(node, op, args, [(tail, {})], path, block_path, **attrs)
            tail = node
        return Shortcut("avgdown" if kind == "D" else "projection", in_c, out_c, stride), tail

    # ------------------------------------------------------------------ network

    def run(self) -> tuple[Network, nx.DiGraph]:
        spec = self.spec
        c, h, w = (
            self.value(size, {}, ("input", i), what=f"input[{i}]: ")
            for i, size in enumerate(spec.input)
        )
        net = Network(
            name=spec.name,
            class_name=spec.class_name or class_name_for(spec.name),
            input=(c, h, w),
            spec_hash=spec_hash(spec),
        )
        self.graph.add_node(
            "input",
            op="input",
            args={},
            shape=net.input,
            in_shape=(),
            location=str(self.source.locate(("input",))),
        )
        scope = _Scope("")
        net.stem = self.sequence(spec.stem, self.params, scope, "input", ("stem",), stage="stem")
        current = net.stem[-1].node if net.stem else "input"
        taken = set(scope.taken)
        for index in range(len(spec.stages)):
            stage, current = self.stage(index, current, taken)
            net.stages.append(stage)
        scope.taken |= taken
        net.head = self.sequence(spec.head, self.params, scope, current, ("head",), stage="head")
        self.check_defaults_used()
        last = net.head[-1].node if net.head else current
        net.output = self.graph.nodes[last]["shape"]
        self.graph.graph.update(network=net, output=last)
        return net, self.graph

    def check_defaults_used(self) -> None:
        defaults = self.spec.defaults
        for name in [*KNOBS, *defaults.args]:
            value = defaults.args.get(name) if name in defaults.args else getattr(defaults, name)
            if value is not None and name not in self.used_defaults:
                path = ("defaults", "args", name) if name in defaults.args else ("defaults", name)
                raise self.error(path, f"no stage's block type has a parameter {name!r}")


def class_name_for(name: str) -> str:
    """`cifar_resnet56` -> `CifarResnet56`."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or "Network"


def expand(spec: Spec) -> tuple[Network, nx.DiGraph]:
    return Expander(spec).run()
