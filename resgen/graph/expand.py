"""Expand a validated spec into the resolved `Network` and its networkx graph.

One pass in data-flow order: each layer's arguments are evaluated, a node is
added, its output shape inferred from its inputs, and every join checked the
moment it is made, so an error can name the block, both branch shapes and the
place in the spec that caused it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import networkx as nx

from resgen.blocks import builtin_blocks, definition_problem, resolve_bases
from resgen.errors import SpecError
from resgen.graph import checks, size
from resgen.graph.classes import assign_class_names, block_variant
from resgen.graph.model import Block, Network, Op, Shortcut, Stage
from resgen.graph.scope import Scope
from resgen.graph.shapes import Shape, ShapeProblem, format_shape, infer, se_channels
from resgen.spec.expr import ExpressionError, Value, parse
from resgen.spec.load import source_of, spec_hash
from resgen.spec.name_template import TemplateError, parse_template
from resgen.spec.names import (
    BLOCK_ATTRIBUTES,
    EMITTED_NAMES,
    NETWORK_ATTRIBUTES,
    attribute_problem,
)
from resgen.spec.schema import (
    ACTIVATIONS,
    LAYER_MODELS,
    BlockDef,
    InitSettings,
    Spec,
    layer_op,
    suggest,
)
from resgen.spec.yaml_source import Path as KeyPath
from resgen.spec.yaml_source import Source, format_path

BUILTIN = "<built-in block>"  # path marker: an error inside a library block type
MAX_BLOCKS = 10_000
MAX_NODES = 250_000
MAX_SIZE = 1_000_000  # channels, widths, spatial sizes, kernels
BLOCK_PARAM_KNOBS = ("expansion", "groups", "width_per_group", "stride_on")
NETWORK_KNOBS = ("norm", "norm_groups", "activation", "se", "zero_init", "shortcut_norm")
NORMS = {"batch": "bn", "group": "gn", "none": None}


def _synthetic(op: str, **args: Any) -> Any:
    """A schema layer made in code (SE, drop-path), so codegen can read its args."""
    return LAYER_MODELS[op].model_validate({op: args})


class Expander:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.source: Source = source_of(spec)
        self.graph = nx.DiGraph(name=spec.name)
        self.blocks: dict[str, BlockDef] = self._block_types()
        self.params: dict[str, Value] = dict(spec.params)
        self.used_defaults: set[str] = set()
        self.total_blocks = 0
        self.block_number = 0  # global position, for the stochastic-depth rule
        self.residual_blocks = 0
        self.dilation = 1
        self.last_node = "input"

    # ------------------------------------------------------------------ errors

    @staticmethod
    def written_at(path: KeyPath) -> KeyPath:
        """The user's key for `path`: a layer of a built-in block is the stage using it."""
        return ("stages", path[1]) if path and path[0] == BUILTIN else path

    def error(self, path: KeyPath, message: str, hint: str = "") -> SpecError:
        """A located error; paths inside a built-in block point at the stage using it."""
        if path and path[0] == BUILTIN:
            _, _, type_name, *inside = path
            message = f"block type {type_name!r}, {format_path(tuple(inside))}: {message}"
        return self.source.error(self.written_at(path), message, hint)

    def _block_types(self) -> dict[str, BlockDef]:
        library = builtin_blocks()
        for name in self.spec.blocks:
            if name in library:
                raise self.error(
                    ("blocks", name),
                    f"block type {name!r} is built in; give your block another name",
                )
        user = resolve_bases(
            self.spec.blocks, lambda name, msg: self.error(("blocks", name), msg), library
        )
        for name, definition in user.items():
            problem = definition_problem(definition)
            if problem:
                raise self.error(("blocks", name, problem[0]), problem[1])
        return {**library, **user}

    # ------------------------------------------------------------------ values

    def value(
        self,
        raw: Any,
        env: Mapping[str, Value],
        path: KeyPath,
        *,
        minimum: int = 1,
        maximum: int = MAX_SIZE,
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
                    names = ", ".join(sorted(env))
                    hint = f"known names: {names}{suggest(exc.unknown_name, env)}"
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
            shown = f"{raw!r} is {result}" if isinstance(raw, str) else f"got {result}"
            raise self.error(path, f"{what}must be at least {minimum}, {shown}")
        if result > maximum:
            raise self.error(path, f"{what}{result:,} is larger than the limit {maximum:,}")
        return result

    def knob(self, stage_index: int | None, name: str) -> tuple[Any, KeyPath] | None:
        """A knob's value and where it was set: the stage, else `defaults`."""
        owners: list[tuple[Any, KeyPath]] = []
        if stage_index is not None:
            owners.append((self.spec.stages[stage_index], ("stages", stage_index)))
        owners.append((self.spec.defaults, ("defaults",)))
        for owner, path in owners:
            in_args = name in owner.args
            value = owner.args[name] if in_args else getattr(owner, name, None)
            if value is not None:
                if path == ("defaults",):
                    self.used_defaults.add(name)
                return value, (*path, "args", name) if in_args else (*path, name)
        return None

    def setting(self, stage_index: int | None, name: str, default: Any) -> Any:
        found = self.knob(stage_index, name)
        return default if found is None else found[0]

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
        written = self.written_at(path)
        self.graph.add_node(
            node,
            op=op,
            args=args,
            shape=shape,
            in_shape=in_shapes[0] if in_shapes else (),
            location=self.source.locate(written),
            key=format_path(written),
            **attrs,
        )
        for src, edge in inputs:
            self.graph.add_edge(src, node, shape=self.graph.nodes[src]["shape"], **edge)
        return shape

    # ------------------------------------------------------------------ layers

    def concrete_op(self, op: str, stage_index: int | None, path: KeyPath) -> str | None:
        """`norm` and `act` follow the spec's choice; `None` drops the layer."""
        if op == "norm":
            return NORMS[self.setting(stage_index, "norm", "batch")]
        if op == "act":
            return self.setting(stage_index, "activation", "relu")
        return op

    def layer(
        self,
        layer: Any,
        env: Mapping[str, Value],
        scope: Scope,
        current: str,
        path: KeyPath,
        where: str,
        stage_index: int | None,
        **attrs: Any,
    ) -> Op | None:
        op, raw = layer_op(layer)
        path = (*path, op)
        concrete = self.concrete_op(op, stage_index, path)
        if concrete is None:
            return None
        in_shape = self.graph.nodes[current]["shape"]
        shared = concrete in ACTIVATIONS and getattr(raw, "name", None) is None
        try:
            attr = scope.claim(getattr(raw, "name", None), concrete, shared)
        except ValueError as exc:
            raise self.error((*path, "name"), str(exc)) from None
        if concrete == "sequential":
            inner = Scope(scope.path(attr), numbered=True)
            children = self.sequence(
                raw.layers, env, inner, current, (*path, "layers"), where, stage_index, **attrs
            )
            self.check_children(children, (*path, "layers"), where)
            last = children[-1]
            return Op("sequential", attr, {}, in_shape, last.shape, last.node, layer, children)
        args = self.layer_args(concrete, raw, env, path, stage_index)
        if len(in_shape) == 3 and concrete in {"conv", "se"}:
            args["in"] = in_shape[0]
        if concrete == "se" and len(in_shape) == 3:
            args["reduced"] = se_channels(in_shape[0], args["reduction"], args["divisor"])
        node = scope.node_id(attr)
        context = node.split("#")[0]
        shape = self.add_node(node, concrete, args, [(current, {})], path, context, **attrs)
        return Op(concrete, attr, args, in_shape, shape, node, layer)

    def check_children(self, children: list[Op], path: KeyPath, where: str) -> None:
        """A sequential's layers: at least one, and all named or all numbered."""
        if not children:
            raise self.error(path, f"{where}no layer is left (`norm: none` removes norm layers)")
        numbered = [child.attr.isdigit() for child in children]
        if any(numbered) and not all(numbered):
            named = next(child.attr for child in children if not child.attr.isdigit())
            raise self.error(
                path,
                f"{where}layer {named!r} has a name but layer {numbered.index(True)} has none",
                "name every layer of a sequential, or none (then they are numbered 0, 1, ...)",
            )

    def layer_args(
        self, op: str, raw: Any, env: Mapping[str, Value], path: KeyPath, stage_index: int | None
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
        if op == "gn":
            groups = getattr(raw, "groups", None)
            if groups is None:  # a `norm` layer under `norm: group`
                groups = self.setting(stage_index, "norm_groups", 32)
            return {"groups": self.value(groups, env, path, what="norm groups: ")}
        if op == "se":
            return {"reduction": get("reduction"), "divisor": get("divisor")}
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
        if op in {"dropout", "drop_path"}:
            p = self.value(raw.p, env, (*path, "p"), integer=False)
            if not isinstance(p, int | float) or isinstance(p, bool) or not 0 <= p < 1:
                raise self.error((*path, "p"), f"{op} probability must be in [0, 1), got {p!r}")
            return {"p": float(p)}
        return {}

    def sequence(
        self,
        layers: list[Any],
        env: Mapping[str, Value],
        scope: Scope,
        current: str,
        path: KeyPath,
        where: str = "",
        stage_index: int | None = None,
        **attrs: Any,
    ) -> list[Op]:
        ops = []
        for index, layer in enumerate(layers):
            op = self.layer(layer, env, scope, current, (*path, index), where, stage_index, **attrs)
            if op is not None:
                ops.append(op)
                current = op.node
        return ops

    # ------------------------------------------------------------------ stages

    def stage_env(self, index: int, type_name: str, definition: BlockDef) -> dict[str, Value]:
        stage = self.spec.stages[index]
        path: KeyPath = ("stages", index)
        env: dict[str, Value] = dict(self.params)
        env.update(definition.params)
        env.setdefault("expansion", 1)
        explicit = set(stage.args) | {k for k in BLOCK_PARAM_KNOBS if getattr(stage, k) is not None}
        for name in sorted(explicit - set(definition.params)):
            where = ("args", name) if name in stage.args else (name,)
            raise self.error(
                (*path, *where),
                f"block type {type_name!r} has no parameter {name!r}",
                "its parameters: " + (", ".join(sorted(definition.params)) or "none"),
            )
        for name in definition.params:
            found = self.knob(index, name)
            if found is None:
                continue
            raw, knob_path = found
            default = definition.params[name]
            if isinstance(default, str | bool | float) or isinstance(raw, bool | float):
                env[name] = raw
            else:
                env[name] = self.value(raw, self.params, knob_path, minimum=0, what=f"{name}: ")
        if self.setting(index, "norm", "batch") == "group":
            groups = self.knob(index, "norm_groups")
            env["norm_groups"] = 32 if groups is None else self.value(groups[0], env, groups[1])
        if stage.width is not None:
            env["width"] = self.value(stage.width, env, (*path, "width"))
        elif "width" in _names_in(definition):
            raise self.error(
                (*path, "width"),
                f"required key is missing: block type {type_name!r} needs a width",
            )
        dilation = self.knob(index, "dilation")
        if dilation is not None:
            self.dilation = self.value(dilation[0], env, dilation[1])
        return env

    def stage(self, index: int, current: str, scope: Scope) -> tuple[Stage, str]:
        stage = self.spec.stages[index]
        path: KeyPath = ("stages", index)
        name = stage.name or f"layer{index + 1}"
        try:
            scope.claim(name, "stage", shared=False)
        except ValueError:
            raise self.error((*path, "name"), f"name {name!r} is already used") from None
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
        count = self.block_counts[index]
        env = self.stage_env(index, type_name, definition)
        stride = self.value(stage.stride, env, (*path, "stride"))
        names = _names_in(definition)
        for key, used in (("stride", stride == 1), ("width", stage.width is None)):
            if not used and key not in names:
                raise self.error(
                    (*path, key),
                    f"block type {type_name!r} does not use {key}, so this {key} would be ignored",
                    "downsample with layers in `after:` (a transition)" if key == "stride" else "",
                )
        first_dilation = self.dilation
        if stage.dilate:
            if stride == 1:
                raise self.error(
                    (*path, "dilate"),
                    "this stage has stride 1, so there is no stride to replace by dilation",
                )
            if not _uses_dilation(definition):
                raise self.error(
                    (*path, "dilate"),
                    f"block type {type_name!r} has no dilated convolution to replace "
                    f"stride {stride}",
                    "use basic or bottleneck, or give its 3x3 conv `dilation: dilation`",
                )
            self.dilation *= stride
            stride = 1
        kind = self.shortcut_kind(index, definition)
        stage_path = scope.path(name)
        blocks = []
        block_names: dict[str, int] = {}
        for block_index in range(count):
            block_name = self.block_name(index, block_index)
            self.claim_block_name(index, block_name, block_names)
            block_env = dict(env, dilation=first_dilation if block_index == 0 else self.dilation)
            block = self.block(
                f"{stage_path}.{block_name}",
                block_index,
                index,
                type_name,
                definition,
                block_env,
                stride if block_index == 0 else 1,
                kind,
                current,
                path,
            )
            blocks.append(block)
            current = self.last_node
        after_env = dict(self.params, in_channels=self.graph.nodes[current]["shape"][0])
        after = self.sequence(
            stage.after, after_env, scope, current, (*path, "after"), "", index, stage=name
        )
        if after:
            current = after[-1].node
        return Stage(name, blocks, path, after), current

    def claim_block_name(self, stage_index: int, name: str, taken: dict[str, int]) -> None:
        """A block's name is an attribute of its stage: valid there, and its own."""
        path = ("stages", stage_index, "block_names")
        problem = attribute_problem(name)
        if problem:
            raise self.error(path, f"block name {name!r} {problem}")
        if name in taken:
            raise self.error(
                path,
                f"block {len(taken)} would be named {name!r} like block {taken[name]}",
                "block names must differ: use {n} (from 1) or {i} (from 0) in the template",
            )
        taken[name] = len(taken)

    def block_name(self, stage_index: int, index: int) -> str:
        template = self.spec.stages[stage_index].block_names
        if template is None:
            return str(index)
        try:
            parsed = parse_template(template)
            parsed.check_fields(("n", "i"))
        except TemplateError as exc:
            raise self.error(
                ("stages", stage_index, "block_names"),
                str(exc),
                exc.hint,
            ) from None
        name = parsed.render({"n": index + 1, "i": index})
        if not name.isidentifier():
            raise self.error(
                ("stages", stage_index, "block_names"), f"block name {name!r} is not a valid name"
            )
        return name

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
        if definition.join == "concat":
            if stage.shortcut not in (None, "identity"):
                raise self.error(
                    ("stages", index, "shortcut"),
                    f"this block type joins by concatenation, which keeps the block input as "
                    f"it is, so shortcut {stage.shortcut!r} cannot apply",
                )
            return "identity", ("stages", index)
        found = self.knob(index, "shortcut")
        if found is not None:
            return found[0], found[1]
        return definition.shortcut, ("stages", index)

    # ------------------------------------------------------------------ blocks

    def block(
        self,
        block_path: str,
        index: int,
        stage_index: int,
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
        shortcut_kind, shortcut_path = kind
        residual = shortcut_kind != "none"
        if residual:
            self.block_number += 1
        env["drop_path"] = self.drop_rate() if residual else 0.0
        base: KeyPath = (
            ("blocks", type_name)
            if type_name in self.spec.blocks
            else (BUILTIN, stage_index, type_name)
        )
        for name, raw in definition.let.items():
            env[name] = self.value(raw, env, (*base, "let", name), what=where)
        env["out_channels"] = self.value(definition.out, env, (*base, "out"), what=where)
        scope = Scope(block_path, reserved=BLOCK_ATTRIBUTES)
        attrs = {"block": block_path, "stage": block_path.split(".")[-2]}
        layers = list(definition.main)
        se = self.setting(stage_index, "se", None)
        if se:
            layers.append(_synthetic("se", reduction=se))
        if residual and env["drop_path"] > 0:
            layers.append(_synthetic("drop_path", p="drop_path"))
        main = self.sequence(
            layers, env, scope, current, (*base, "main"), where, stage_index, branch="main", **attrs
        )
        if not main:
            raise self.error(
                (*base, "main"), f"{where}no layer is left (`norm: none` removes norm layers)"
            )
        zero_init = None
        if residual and self.setting(stage_index, "zero_init", False):
            norms = [op for op in main if op.op in {"bn", "gn"}]
            if norms:
                zero_init = norms[-1].attr
                self.graph.nodes[norms[-1].node]["zero_init"] = True
        gate: list[Op] = []
        shortcut = Shortcut("none")
        last = main[-1].node
        join = ""
        if residual:
            tap = definition.shortcut_from
            source = current if tap is None else self._tap(main, tap, current, base, where)
            shortcut, tail = self.shortcut(
                block_path, shortcut_kind, current, source, main[-1].shape, stage_index,
                shortcut_path, attrs,
            )  # fmt: skip
            shortcut.tap = tap
            edge = {"branch": "shortcut", "kind": shortcut.kind, "option": shortcut_kind}
            inputs = [(main[-1].node, {"branch": "main"}), (tail, edge)]
            if definition.join == "concat":
                inputs.reverse()  # DenseNet order: the input first, then the new features
            if definition.join == "gate":
                gate = self.sequence(
                    definition.gate, env, scope, current, (*base, "gate"), where, stage_index,
                    branch="gate", **attrs,
                )  # fmt: skip
                if not gate:
                    raise self.error(stage_path, f"{where}a gate join needs `gate:` layers")
                inputs.append((gate[-1].node, {"branch": "gate"}))
            checks.check_join(
                self, block_path, definition.join, shortcut_kind, inputs, shortcut_path
            )
            join = definition.join
            last = f"{block_path}.{join}"
            self.add_node(last, join, {}, inputs, stage_path, block_path, **attrs)
        self.check_out(env["out_channels"], last, definition, (*base, "out"), where)
        post = self.sequence(
            definition.post, env, scope, last, (*base, "post"), where, stage_index, branch="post",
            **attrs,
        )  # fmt: skip
        self.last_node = post[-1].node if post else last
        return Block(
            depth=self.block_number if residual else 0,
            index=index,
            path=block_path,
            type_name=type_name,
            definition=definition,
            env=env,
            main=main,
            shortcut=shortcut,
            join=join,
            post=post,
            in_shape=in_shape,
            shape=self.graph.nodes[self.last_node]["shape"],
            gate=gate,
            zero_init=zero_init,
            variant=block_variant(
                definition,
                lambda knob, default: self.setting(stage_index, knob, default),
                se=bool(se),
                zero_init=zero_init is not None,
                drop_path=env["drop_path"] > 0,
            ),
        )

    def check_out(
        self, declared: int, node: str, definition: BlockDef, path: KeyPath, where: str
    ) -> None:
        """A block type's `out` is what its layers give at the join (codegen relies on it)."""
        actual = self.graph.nodes[node]["shape"][0]
        if actual != declared:
            raise self.error(
                path,
                f"{where}`out` is {declared} ({definition.out}) but the layers give "
                f"{actual} channels",
                "make `out` what the main branch gives, e.g. its last conv's `out`, "
                "or give that conv `out: out_channels`",
            )

    def _tap(self, main: list[Op], tap: int, current: str, base: KeyPath, where: str) -> str:
        """The node a projection reads: a main-branch layer that keeps the input's shape."""
        path = (*base, "shortcut_from")
        if not 0 <= tap < len(main) - 1:
            raise self.error(path, f"{where}shortcut_from {tap} is not a main-branch layer index")
        in_shape, shape = self.graph.nodes[current]["shape"], main[tap].shape
        if shape != in_shape:
            raise self.error(
                path,
                f"{where}the shortcut would read layer {tap}, which gives {format_shape(shape)} "
                f"from the block's {format_shape(in_shape)}",
                "shortcut_from names a layer that keeps the input's shape (a norm, an activation)",
            )
        return main[tap].node

    def drop_rate(self) -> float:
        """Stochastic depth's linear rule: block l of L drops with p_L * l / L.

        The emitted code says the same: `drop_path_rate` (templates/helpers/drop_path_rate.py.j2).
        """
        final = self.spec.defaults.drop_path
        if not final:
            return 0.0
        if not 0 <= final < 1:
            raise self.error(("defaults", "drop_path"), f"must be in [0, 1), got {final}")
        return round(final * self.block_number / self.residual_blocks, 6)

    def shortcut(
        self,
        block_path: str,
        kind: str,
        current: str,
        source: str,
        main_shape: Shape,
        stage_index: int,
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
            self.add_node(prefix, "zeropad", args, [(source, {})], path, block_path, **attrs)
            return Shortcut("zeropad", in_c, out_c, stride), prefix
        with_norm = self.setting(stage_index, "shortcut_norm", True)
        conv = {"in": in_c, "out": out_c, "kernel": 1, "stride": stride, "padding": 0,
                "dilation": 1, "groups": 1, "bias": False}  # fmt: skip
        nodes: list[tuple[str, str, dict[str, Any]]] = []
        if kind == "D":
            if stride > 1:
                pool = {"kernel": stride, "stride": stride, "padding": 0, "ceil_mode": True}
                nodes.append((f"{prefix}.0", "avgpool", pool))
            conv["stride"] = 1
            nodes.append((f"{prefix}.1", "conv", conv))
            if with_norm:
                nodes.append((f"{prefix}.2", "bn", {}))
            kind_name = "avgdown" if with_norm else "avgdown_conv"
        elif with_norm:
            nodes += [(f"{prefix}.0", "conv", conv), (f"{prefix}.1", "bn", {})]
            kind_name = "projection"
        else:
            nodes.append((prefix, "conv", conv))
            kind_name = "conv"
        tail = source
        for node, op, args in nodes:
            self.add_node(node, op, args, [(tail, {})], path, block_path, **attrs)
            tail = node
        return Shortcut(kind_name, in_c, out_c, stride), tail

    # ------------------------------------------------------------------ network

    def count_blocks(self) -> list[int]:
        """Blocks per stage; a network over the block or layer limit is refused here,
        before any layer is built (resgen/graph/size.py)."""
        counts = []
        layers = size.outside_blocks(self.spec, self.setting)
        for index, stage in enumerate(self.spec.stages):
            path = ("stages", index, "blocks")
            counts.append(self.value(stage.blocks, self.params, path, maximum=2**53))
            if sum(counts) > MAX_BLOCKS:
                raise self.error(path, f"the network would have more than {MAX_BLOCKS:,} blocks")
            definition = self.blocks.get(stage.block or self.spec.defaults.block or "")
            if definition is not None and definition.shortcut != "none":
                self.residual_blocks += counts[-1]
            if definition is not None:
                layers += size.stage_layers(definition, counts[-1], index, self.setting)
            if layers > MAX_NODES:
                raise self.error(
                    path,
                    f"the network would have more than {MAX_NODES:,} layers "
                    f"(at least {layers:,} with these {counts[-1]:,} blocks)",
                    "use fewer blocks, or fewer layers per block",
                )
        return counts

    def run(self) -> tuple[Network, nx.DiGraph]:
        spec = self.spec
        c, h, w = (self.value(size, {}, ("input", i)) for i, size in enumerate(spec.input))
        net = Network(
            name=spec.name,
            class_name=spec.class_name or class_name_for(spec.name),
            input=(c, h, w),
            spec_hash=spec_hash(spec),
            features=spec.features,
            description=spec.description,
            init=spec.init or InitSettings(),
        )
        self.graph.add_node(
            "input",
            op="input",
            args={},
            shape=net.input,
            in_shape=(),
            location=self.source.locate(("input",)),
            key="input",
        )
        self.block_counts = self.count_blocks()
        net.drop_path, net.residual_blocks = spec.defaults.drop_path or 0.0, self.residual_blocks
        top = Scope("", reserved=NETWORK_ATTRIBUTES)
        body = Scope(spec.features, shareable=False) if spec.features else top
        if spec.features:
            top.claim(spec.features, "features", shared=False)
        net.stem = self.sequence(spec.stem, self.params, body, "input", ("stem",), stage="stem")
        current = net.stem[-1].node if net.stem else "input"
        for index in range(len(spec.stages)):
            stage, current = self.stage(index, current, body)
            net.stages.append(stage)
        net.head = self.sequence(spec.head, self.params, top, current, ("head",), stage="head")
        self.check_defaults_used()
        assign_class_names(spec, net, self.error)
        last = net.head[-1].node if net.head else current
        net.output = self.graph.nodes[last]["shape"]
        self.graph.graph.update(network=net, output=last)
        return net, self.graph

    def check_defaults_used(self) -> None:
        defaults = self.spec.defaults
        for name in [*BLOCK_PARAM_KNOBS, *defaults.args]:
            value = defaults.args.get(name) if name in defaults.args else getattr(defaults, name)
            if value is not None and name not in self.used_defaults:
                path = ("defaults", "args", name) if name in defaults.args else ("defaults", name)
                raise self.error(path, f"no stage's block type has a parameter {name!r}")


def _names_in(definition: BlockDef) -> set[str]:
    """Every name the block type's expressions read."""
    names: set[str] = set()
    pending: list[Any] = [definition.model_dump(exclude={"params", "doc", "class_name", "base"})]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            with contextlib.suppress(ExpressionError):  # plain strings are not expressions
                names |= parse(item).names
    return names


def _uses_dilation(definition: BlockDef) -> bool:
    for layer in definition.main:
        op, raw = layer_op(layer)
        if (
            op == "conv"
            and isinstance(raw.dilation, str)
            and "dilation" in parse(raw.dilation).names
        ):
            return True
    return False


def class_name_for(name: str) -> str:
    """`cifar_resnet56` -> `CifarResnet56` (never a name the emitted module uses)."""
    derived = "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)
    return derived + "Net" if derived in EMITTED_NAMES else derived or "Network"


def expand(spec: Spec) -> tuple[Network, nx.DiGraph]:
    return Expander(spec).run()
