"""Expand a validated spec into the IR (`resgen.graph.model.Network`).

One pass in data-flow order: each stage's settings are resolved into frozen
values, then its blocks are built; each layer's arguments are resolved by its
op (`resgen.ops`), a node is added with its shape and counts, and every join
is checked the moment it is made, so an error can name the block, both branch
shapes and the place in the spec that caused it.
"""

from __future__ import annotations

import math
from collections import ChainMap
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from resgen import ops
from resgen.blocks import builtin_blocks, definition_problem, resolve_bases
from resgen.errors import Location, SpecError
from resgen.graph import checks, size
from resgen.graph.classes import assign_class_names, block_variant
from resgen.graph.model import Block, Edge, Network, Node, Op, Shortcut, Stage
from resgen.graph.scope import Scope
from resgen.graph.settings import (
    StageSettings,
    knob,
    names_in,
    setting,
    unused_defaults,
    uses_dilation,
)
from resgen.graph.shapes import Shape, ShapeProblem, format_shape
from resgen.graph.shortcuts import BUILDERS, Need, ShortcutProblem, layer_names, roles
from resgen.spec.expr import ExpressionError, Value, parse
from resgen.spec.load import source_of, spec_hash
from resgen.spec.names import BLOCK_ATTRIBUTES, EMITTED_NAMES, NETWORK_ATTRIBUTES, key_problem
from resgen.spec.schema import BlockDef, InitSettings, Spec, layer_op, make_layer, suggest
from resgen.spec.yaml_source import Path as KeyPath
from resgen.spec.yaml_source import Source, format_path

BUILTIN = "<built-in block>"  # path marker: an error inside a library block type
MAX_BLOCKS = 10_000
MAX_NODES = 250_000
MAX_SIZE = 1_000_000  # channels, widths, spatial sizes, kernels


class _LayerArgs:
    """What an op may ask while resolving one layer's arguments (`resgen.ops.base.Resolver`)."""

    def __init__(
        self, expander: Expander, raw: Any, env: Mapping[str, Value], path: KeyPath,
        stage_index: int | None, in_shape: Shape,
    ) -> None:  # fmt: skip
        self.expander, self.raw, self.env, self.path = expander, raw, env, path
        self.stage_index, self.in_shape = stage_index, in_shape

    def value(
        self, raw: Any, key: str = "", *, minimum: int = 1, what: str = "", integer: bool = True
    ) -> Any:
        path = (*self.path, key) if key else self.path
        return self.expander.value(raw, self.env, path, minimum=minimum, what=what, integer=integer)

    def number(self, key: str, minimum: int = 1) -> int:
        return self.value(getattr(self.raw, key), key, minimum=minimum)

    def setting(self, name: str, default: Any) -> Any:
        return setting(self.expander.spec, self.stage_index, name, default)

    def error(self, key: str, message: str, hint: str = "") -> SpecError:
        return self.expander.error((*self.path, key) if key else self.path, message, hint)


class Expander:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.source: Source = source_of(spec)
        self.blocks: Mapping[str, BlockDef] = self._block_types()
        self.params: dict[str, Value] = dict(spec.params)
        self.nodes: dict[str, Node] = {}  # the IR's data flow, appended in order
        self.places: dict[KeyPath, tuple[Location, str]] = {}  # a key path's location, text

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

    def _block_types(self) -> Mapping[str, BlockDef]:
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
        return ChainMap(user, library)  # the library validates only the types asked for

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

    def setting(self, stage_index: int | None, name: str, default: Any) -> Any:
        return setting(self.spec, stage_index, name, default)

    # ------------------------------------------------------------------ nodes

    def add_node(
        self,
        node: str,
        op: str,
        args: dict[str, Any],
        inputs: list[Edge],
        path: KeyPath,
        context: str,
        **attrs: Any,
    ) -> Shape:
        """Add one node to the IR: its shape inferred by its op, its counts, its location."""
        definition = _op(op)
        in_shapes = [self.nodes[edge.source].shape for edge in inputs]
        try:
            shape = definition.shape(args, in_shapes)
        except ShapeProblem as exc:
            raise self.error(path, f"{context}: {exc}") from None
        if len(self.nodes) >= MAX_NODES:
            raise self.error(path, f"the network has more than {MAX_NODES:,} layers")
        written = self.written_at(path)
        if written not in self.places:  # the nodes of a stage's blocks share their places
            self.places[written] = (self.source.locate(written), format_path(written))
        location, key = self.places[written]
        in_shape = in_shapes[0] if in_shapes else ()
        self.nodes[node] = Node(
            node, op, args, shape, in_shape, tuple(inputs),
            location=location,
            key=key,
            params=definition.params(args, in_shape, shape),
            macs=definition.macs(args, in_shape, shape),
            activations=math.prod(shape),
            **attrs,
        )  # fmt: skip
        return shape

    def shape_of(self, node: str) -> Shape:
        return self.nodes[node].shape

    # ------------------------------------------------------------------ layers

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
        in_shape = self.shape_of(current)
        at = _LayerArgs(self, raw, env, path, stage_index, in_shape)
        if op == "sequential":
            return self.sequential(layer, raw, at, scope, current, where, **attrs)
        concrete = _op(op).concrete(at)
        if concrete is None:  # `norm` under `norm: none`
            return None
        definition = _op(concrete)
        shared = definition.shared and getattr(raw, "name", None) is None
        counted = definition.attribute is not None
        try:
            attr = scope.claim(
                getattr(raw, "name", None), definition.attribute or concrete, shared, counted
            )
            extra = [name for name in definition.attributes(attr) if name != attr]
            if extra and (scope.numbered or "block" not in attrs):
                raise self.error(
                    path,
                    f"{concrete} sets the block attributes {', '.join(extra)}, so it can only "
                    "be a layer of a block type's main branch (not in the stem, head, a "
                    "stage's `after` or a `sequential`)",
                )
            for name in extra:
                scope.claim(name, concrete, False)
        except ValueError as exc:
            raise self.error((*path, "name"), str(exc)) from None
        args = definition.resolve(raw, at)
        node = scope.node_id(attr)
        context = node.split("#")[0]
        edges = [Edge(current)]
        shape = self.add_node(node, concrete, args, edges, path, context, **attrs)
        return Op(concrete, attr, args, in_shape, shape, node, layer)

    def sequential(
        self, layer: Any, raw: Any, at: _LayerArgs, scope: Scope, current: str, where: str,
        **attrs: Any,
    ) -> Op:  # fmt: skip
        if raw.name is None and not scope.numbered:
            raise self.error(
                at.path,
                f"{where}this sequential needs a name: only a container's layers are numbered",
                "give it `name:`, e.g. `sequential: {name: conv1, layers: [...]}`",
            )
        try:
            attr = scope.claim(raw.name, "sequential", False)
        except ValueError as exc:
            raise self.error((*at.path, "name"), str(exc)) from None
        inner = Scope(scope.path(attr), numbered=True)
        path = (*at.path, "layers")
        children = self.sequence(
            raw.layers, at.env, inner, current, path, where, at.stage_index, **attrs
        )
        self.check_children(children, path, where)
        last = children[-1]
        return Op("sequential", attr, {}, at.in_shape, last.shape, last.node, layer, children)

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
        built = []
        for index, layer in enumerate(layers):
            op = self.layer(layer, env, scope, current, (*path, index), where, stage_index, **attrs)
            if op is not None:
                built.append(op)
                current = op.node
        return built

    # ------------------------------------------------------------------ stages

    def stage_settings(self, index: int, dilation: int) -> StageSettings:
        """Resolve stage `index` (after stages whose dilation reached `dilation`)."""
        spec = self.spec
        stage = spec.stages[index]
        path: KeyPath = ("stages", index)
        type_name = stage.block or spec.defaults.block
        if type_name is None:
            raise self.error(path, "no block type", "set `block:` here or in `defaults`")
        if type_name not in self.blocks:
            raise self.error(
                (*path, "block") if stage.block else ("defaults", "block"),
                f"unknown block type {type_name!r}{suggest(type_name, self.blocks)}",
                "known block types: " + ", ".join(sorted(self.blocks)),
            )
        definition = self.blocks[type_name]
        env = self.stage_env(index, type_name, definition)
        found = knob(spec, index, "dilation")
        if found is not None:
            dilation = self.value(found[0], env, found[1])
        stride = self.value(stage.stride, env, (*path, "stride"))
        names = names_in(definition)
        for key, used in (("stride", stride == 1), ("width", stage.width is None)):
            if not used and key not in names:
                raise self.error(
                    (*path, key),
                    f"block type {type_name!r} does not use {key}, so this {key} would be ignored",
                    "downsample with layers in `after:` (a transition)" if key == "stride" else "",
                )
        first_dilation = dilation
        if stage.dilate:
            if stride == 1:
                raise self.error(
                    (*path, "dilate"),
                    "this stage has stride 1, so there is no stride to replace by dilation",
                )
            if not uses_dilation(definition):
                raise self.error(
                    (*path, "dilate"),
                    f"block type {type_name!r} has no dilated convolution to replace "
                    f"stride {stride}",
                    "use basic or bottleneck, or give its 3x3 conv `dilation: dilation`",
                )
            dilation, stride = dilation * stride, 1
        shortcut, shortcut_path = self.shortcut_option(index, definition)
        zero_pad = knob(spec, index, "zero_pad")
        if zero_pad is not None and zero_pad[1][0] == "stages" and shortcut != "A":
            raise self.error(
                zero_pad[1],
                f"zero_pad places shortcut A's new channels, but this stage's shortcut is "
                f"{shortcut!r}",
                "set `shortcut: A`, or leave out `zero_pad`",
            )
        return StageSettings(
            index=index,
            name=stage.name or f"layer{index + 1}",
            path=path,
            type_name=type_name,
            definition=definition,
            base=(
                ("blocks", type_name) if type_name in spec.blocks else (BUILTIN, index, type_name)
            ),
            env=MappingProxyType(env),
            count=self.block_counts[index],
            stride=stride,
            first_dilation=first_dilation,
            dilation=dilation,
            shortcut=shortcut,
            shortcut_path=shortcut_path,
        )

    def stage_env(self, index: int, type_name: str, definition: BlockDef) -> dict[str, Value]:
        stage = self.spec.stages[index]
        path: KeyPath = ("stages", index)
        env: dict[str, Value] = dict(self.params)
        env.update(definition.params)
        env.setdefault("expansion", 1)
        explicit = set(stage.args) | {
            k for k in ("expansion", "groups", "width_per_group", "stride_on")
            if getattr(stage, k) is not None
        }  # fmt: skip
        for name in sorted(explicit - set(definition.params)):
            where = ("args", name) if name in stage.args else (name,)
            raise self.error(
                (*path, *where),
                f"block type {type_name!r} has no parameter {name!r}",
                "its parameters: " + (", ".join(sorted(definition.params)) or "none"),
            )
        for name in definition.params:
            found = knob(self.spec, index, name)
            if found is None:
                continue
            raw, knob_path = found
            default = definition.params[name]
            if isinstance(default, str | bool | float) or isinstance(raw, bool | float):
                env[name] = raw
            else:
                env[name] = self.value(raw, self.params, knob_path, minimum=0, what=f"{name}: ")
        if self.setting(index, "norm", "batch") == "group":
            groups = knob(self.spec, index, "norm_groups")
            env["norm_groups"] = 32 if groups is None else self.value(groups[0], env, groups[1])
        if stage.width is not None:
            env["width"] = self.value(stage.width, env, (*path, "width"))
        elif "width" in names_in(definition):
            raise self.error(
                (*path, "width"),
                f"required key is missing: block type {type_name!r} needs a width",
            )
        return env

    def shortcut_option(self, index: int, definition: BlockDef) -> tuple[str, KeyPath]:
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
        found = knob(self.spec, index, "shortcut")
        if found is not None:
            return found[0], found[1]
        return definition.shortcut, ("stages", index)

    def stage(
        self, settings: StageSettings, current: str, scope: Scope, depth: int
    ) -> tuple[Stage, str]:
        """Build a stage's blocks and `after` layers; `depth` counts residual blocks before it."""
        spec_stage = self.spec.stages[settings.index]
        inline = bool(spec_stage.inline)
        numbered = self.spec.trunk is not None and spec_stage.name is None
        name = settings.name
        if not inline:
            try:
                name = scope.claim(None if numbered else settings.name, "stage", shared=False)
            except ValueError:
                raise self.error(
                    (*settings.path, "name"), f"name {settings.name!r} is already used"
                ) from None
        stage_path = scope.path(name)
        label = stage_path if numbered else name  # the stage in tables and diagrams
        blocks_in = spec_stage.blocks_in
        prefix = f"{stage_path}.{blocks_in}" if blocks_in else stage_path
        blocks: list[Block] = []
        block_names: dict[str, int] = {}
        for block_index in range(settings.count):
            if inline:  # numbered on in the enclosing container
                block_path = scope.path(scope.claim(None, "block", shared=False))
            else:
                block_name = self.block_name(settings.index, block_index, name)
                self.claim_block_name(settings.index, block_name, block_names)
                block_path = f"{prefix}.{block_name}"
            if settings.residual:
                depth += 1
            block = self.block(block_path, block_index, settings, current, depth, label)
            blocks.append(block)
            current = block.output
        index = settings.index
        after_env = dict(self.params, in_channels=self.shape_of(current)[0])
        if blocks_in:  # the stage is a module of its own: its blocks, then `after`
            scope = Scope(stage_path, shareable=False)
            scope.claim(blocks_in, "blocks", shared=False)
        after = self.sequence(
            spec_stage.after, after_env, scope, current, (*settings.path, "after"),
            "", index, stage=label,
        )  # fmt: skip
        named_after = next((op for op in after if not op.attr.isdigit()), None)
        if numbered and not blocks_in and named_after is not None:
            raise self.error(
                (*settings.path, "after"),
                f"layer {named_after.attr!r} has a name but the trunk's stages are numbered",
                "leave the trunk's layers unnamed, or name every stage",
            )
        if after:
            current = after[-1].node
        stage = Stage(name, blocks, settings.path, after, inline=inline, blocks_in=blocks_in)
        return stage, current

    def claim_block_name(self, stage_index: int, name: str, taken: dict[str, int]) -> None:
        """A block's name is an attribute of its stage: valid there, and its own."""
        path = ("stages", stage_index, "block_names")
        problem = key_problem(name)
        if problem:
            raise self.error(path, f"block name {name!r} {problem}")
        if name in taken:
            raise self.error(
                path,
                f"block {len(taken)} would be named {name!r} like block {taken[name]}",
                "block names must differ: use {n} (from 1) or {i} (from 0) in the template",
            )
        taken[name] = len(taken)

    def block_name(self, stage_index: int, index: int, stage_name: str) -> str:
        """Block `index`'s name from the stage's template (checked by `claim_block_name`)."""
        template = self.spec.stages[stage_index].block_names
        if template is None:
            return str(index)
        from resgen.spec.name_template import TemplateError, parse_template  # rarely used

        try:
            parsed = parse_template(template)
            parsed.check_fields(("n", "i", "s", "stage"))
        except TemplateError as exc:
            raise self.error(
                ("stages", stage_index, "block_names"),
                str(exc),
                exc.hint,
            ) from None
        values = {"n": index + 1, "i": index, "s": stage_index + 1, "stage": stage_name}
        return parsed.render(values)

    # ------------------------------------------------------------------ blocks

    def block(
        self, block_path: str, index: int, stage: StageSettings, current: str, depth: int,
        stage_label: str,
    ) -> Block:  # fmt: skip
        """Build one block after node `current`; `depth` is its place among residual blocks."""
        in_shape = self.shape_of(current)
        if len(in_shape) != 3:
            raise self.error(
                stage.path, f"{block_path}: blocks need a C×H×W input, got {format_shape(in_shape)}"
            )
        definition, base = stage.definition, stage.base
        stride = stage.stride if index == 0 else 1
        dilation = stage.first_dilation if index == 0 else stage.dilation
        env = dict(stage.env, dilation=dilation, in_channels=in_shape[0], stride=stride)
        where = f"{block_path} ({stage.type_name} block): "
        residual = stage.residual
        env["drop_path"] = self.drop_rate(depth) if residual else 0.0
        for name, raw in definition.let.items():
            env[name] = self.value(raw, env, (*base, "let", name), what=where)
        env["out_channels"] = self.value(definition.out, env, (*base, "out"), what=where)
        shortcut_module = definition.shortcut_module
        reserved = dict(BLOCK_ATTRIBUTES)
        if shortcut_module is not None:
            reserved[shortcut_module.name] = "the block's shortcut"
        scope = Scope(block_path, reserved=reserved)
        attrs = {"block": block_path, "stage": stage_label}
        layers = list(definition.main)
        se = self.setting(stage.index, "se", None)
        if se:
            layers.append(make_layer("se", reduction=se))
        if residual and env["drop_path"] > 0:
            layers.append(make_layer("drop_path", p="drop_path"))
        main = self.sequence(
            layers, env, scope, current, (*base, "main"), where, stage.index, branch="main",
            **attrs,
        )  # fmt: skip
        if not main:
            raise self.error(
                (*base, "main"), f"{where}no layer is left (`norm: none` removes norm layers)"
            )
        zero_init = None
        if residual and self.setting(stage.index, "zero_init", False):
            norms = [op for op in main if _op(op.op).normalization]
            if norms:
                zero_init = norms[-1].attr
                self.nodes[norms[-1].node].zero_init = True
        gate: list[Op] = []
        shortcut = Shortcut("none", option="none")
        last = main[-1].node
        join = ""
        if residual:
            tap = definition.shortcut_from
            source = current if tap is None else self._tap(main, tap, current, base, where)
            shortcut = self.shortcut(block_path, stage, current, source, main[-1].shape, attrs)
            shortcut.tap = tap
            tail = shortcut.nodes[-1] if shortcut.nodes else current  # identity: the input
            edges = [
                Edge(main[-1].node, "main"),
                Edge(tail, "shortcut", shortcut.kind, stage.shortcut),
            ]
            if definition.join == "concat":
                edges.reverse()  # DenseNet order: the input first, then the new features
            if definition.join == "gate":
                gate = self.sequence(
                    definition.gate, env, scope, current, (*base, "gate"), where, stage.index,
                    branch="gate", **attrs,
                )  # fmt: skip
                if not gate:
                    raise self.error(stage.path, f"{where}a gate join needs `gate:` layers")
                edges.append(Edge(gate[-1].node, "gate"))
            shapes = [self.shape_of(edge.source) for edge in edges]
            error = checks.join_problem(block_path, definition.join, stage.shortcut, shapes)
            if error is not None:
                raise self.error(stage.shortcut_path, *error)
            join = definition.join
            last = f"{block_path}.{join}"
            self.add_node(last, join, {}, edges, stage.path, block_path, **attrs)
        self.check_out(env["out_channels"], last, definition, (*base, "out"), where)
        post = self.sequence(
            definition.post, env, scope, last, (*base, "post"), where, stage.index,
            branch="post", **attrs,
        )  # fmt: skip
        output = post[-1].node if post else last
        return Block(
            depth=depth if residual else 0,
            index=index,
            path=block_path,
            type_name=stage.type_name,
            definition=definition,
            env=env,
            main=main,
            shortcut=shortcut,
            join=join,
            post=post,
            in_shape=in_shape,
            shape=self.shape_of(output),
            gate=gate,
            zero_init=zero_init,
            variant=block_variant(
                definition,
                lambda name, default: self.setting(stage.index, name, default),
                se=bool(se),
                zero_init=zero_init is not None,
                drop_path=env["drop_path"] > 0,
            ),
            output=output,
        )

    def check_out(
        self, declared: int, node: str, definition: BlockDef, path: KeyPath, where: str
    ) -> None:
        """A block type's `out` is what its layers give at the join (codegen relies on it)."""
        actual = self.shape_of(node)[0]
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
        in_shape, shape = self.shape_of(current), main[tap].shape
        if shape != in_shape:
            raise self.error(
                path,
                f"{where}the shortcut would read layer {tap}, which gives {format_shape(shape)} "
                f"from the block's {format_shape(in_shape)}",
                "shortcut_from names a layer that keeps the input's shape (a norm, an activation)",
            )
        return main[tap].node

    def drop_rate(self, depth: int) -> float:
        """Stochastic depth's linear rule: block l of L drops with p_L * l / L.

        The emitted code says the same: `drop_path_rate` (templates/helpers/drop_path_rate.py.j2).
        """
        final = self.spec.defaults.drop_path
        if not final:
            return 0.0
        if not 0 <= final < 1:
            raise self.error(("defaults", "drop_path"), f"must be in [0, 1), got {final}")
        if self.spec.defaults.drop_path_rule == "timm":  # timm: (l - 1) / (L - 1)
            return round(final * (depth - 1) / max(self.residual_blocks - 1, 1), 6)
        return round(final * depth / self.residual_blocks, 6)

    def shortcut(
        self, block_path: str, stage: StageSettings, current: str, source: str,
        main_shape: Shape, attrs: dict[str, Any],
    ) -> Shortcut:  # fmt: skip
        """Build the shortcut the stage's option asks for (resgen/graph/shortcuts.py)."""
        in_shape = self.shape_of(current)
        need = Need(
            in_shape, main_shape, self.setting(stage.index, "shortcut_norm", True),
            split=self.setting(stage.index, "zero_pad", "end") == "split",
        )  # fmt: skip
        try:
            kind, layers = BUILDERS[stage.shortcut](need)
        except ShortcutProblem as exc:
            raise self.error(stage.shortcut_path, f"{block_path}: {exc}", exc.hint) from None
        module = stage.definition.shortcut_module
        attr = "downsample" if module is None else module.name
        if kind == "identity":
            return Shortcut("identity", option=stage.shortcut, attr=attr)
        named: tuple[str, ...] = ()
        if module is not None and module.layers is not None:
            named = self.shortcut_layer_names(module.layers, layers, stage, block_path)
        names = layer_names(f"{block_path}.{attr}", layers, named)
        tail, nodes = source, []
        for node, layer in zip(names, layers, strict=True):
            if layer is None:
                continue
            op, args = layer
            self.add_node(
                node, op, args, [Edge(tail)], stage.shortcut_path, block_path,
                **attrs, branch="shortcut",
            )  # fmt: skip
            tail = node
            nodes.append(node)
        pad_before = next((layer[1].get("before", 0) for layer in layers if layer), 0)
        return Shortcut(
            kind, in_shape[0], main_shape[0], need.stride, option=stage.shortcut,
            nodes=tuple(nodes), pad_before=pad_before if kind == "zeropad" else 0,
            attr=attr, layer_names=named, first=module is not None and module.first,
        )  # fmt: skip

    def shortcut_layer_names(
        self, given: Mapping[str, str], layers: Any, stage: StageSettings, block_path: str
    ) -> tuple[str, ...]:
        """The names `shortcut_module.layers` gives this shortcut's layers, by role."""
        path = (*stage.base, "shortcut_module", "layers")
        names = []
        for role in roles(layers):
            if role is None:
                raise self.error(
                    path,
                    f"{block_path}: the zero-padding shortcut (A) has no layers to name",
                    "name the layers of projection shortcuts (B, C, D) only",
                )
            if role not in given:
                raise self.error(
                    path,
                    f"{block_path}: the shortcut has a {role} layer but no name for it",
                    f"add `{role}: NAME`",
                )
            names.append(given[role])
        if len(set(names)) != len(names):
            raise self.error(path, f"{block_path}: two of the shortcut's layers have one name")
        return tuple(names)

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

    def check_inline(self) -> bool:
        """Whether some stage puts its blocks in the `features` container (`inline`);
        then that container is numbered, so the layers it holds may not be named."""
        spec = self.spec
        inline = [i for i, stage in enumerate(spec.stages) if stage.inline]
        if not inline:
            return False
        first = ("stages", inline[0], "inline")
        if not spec.features:
            raise self.error(
                first,
                "an inline stage puts its blocks in the `features` container, "
                "but the network has none",
                "set `features: features` (the blocks are numbered on in it), "
                "or leave `inline` out",
            )
        for index in inline:
            if spec.stages[index].block_names is not None:
                raise self.error(
                    ("stages", index, "block_names"),
                    "an inline stage's blocks are numbered on in the `features` container, "
                    "so they take no names",
                    "leave out `block_names` or `inline`",
                )
        parts: list[tuple[KeyPath, list[Any]]] = [(("stem",), spec.stem)]
        parts += [(("stages", i, "after"), stage.after) for i, stage in enumerate(spec.stages)]
        for path, layers in parts:
            for position, layer in enumerate(layers):
                op, raw = layer_op(layer)
                if getattr(raw, "name", None) is not None:
                    raise self.error(
                        (*path, position, op, "name"),
                        "with inline stages, the `features` container is numbered "
                        "(nn.Sequential), so its layers take no names",
                        f"leave out this name (the layer is numbered), or `inline` at "
                        f"stages[{inline[0]}]",
                    )
        return True

    def count_residual(self) -> int:
        residual = 0
        for index, stage in enumerate(self.spec.stages):
            definition = self.blocks.get(stage.block or self.spec.defaults.block or "")
            if definition is not None and definition.shortcut != "none":
                residual += self.block_counts[index]
        return residual

    def run(self) -> Network:
        spec = self.spec
        c, h, w = (self.value(size, {}, ("input", i)) for i, size in enumerate(spec.input))
        net = Network(
            name=spec.name,
            class_name=spec.class_name or class_name_for(spec.name),
            input=(c, h, w),
            spec_hash=spec_hash(spec),
            features=spec.features,
            description=spec.description,
            init=spec.init or InitSettings.model_construct(),  # the defaults, unvalidated
            nodes=self.nodes,
        )
        self.nodes["input"] = Node(
            "input", "input", {}, net.input, (), (),
            location=self.source.locate(("input",)), key="input",
            activations=0,
        )  # fmt: skip
        self.block_counts = self.count_blocks()
        self.residual_blocks = self.count_residual()
        net.drop_path, net.residual_blocks = spec.defaults.drop_path or 0.0, self.residual_blocks
        net.drop_path_rule = spec.defaults.drop_path_rule or "linear"
        top = Scope("", reserved=NETWORK_ATTRIBUTES)
        inline = self.check_inline()
        body = Scope(spec.features, numbered=inline, shareable=False) if spec.features else top
        if spec.features:
            top.claim(spec.features, "features", shared=False)
        net.stem = self.sequence(spec.stem, self.params, body, "input", ("stem",), stage="stem")
        current = net.stem[-1].node if net.stem else "input"
        stages_scope = body
        if spec.trunk:
            try:
                body.claim(spec.trunk, "trunk", shared=False)
            except ValueError as exc:
                raise self.error(("trunk",), str(exc)) from None
            named = [stage.name is not None for stage in spec.stages]
            stages_scope = Scope(body.path(spec.trunk), numbered=not any(named), shareable=False)
            if any(named) and not all(named):
                raise self.error(
                    ("stages", named.index(False), "name"),
                    "in a trunk, stages are all named or all numbered; this one has no name",
                    "name every stage, or none (then they are numbered 0, 1, ...)",
                )
        net.trunk = spec.trunk
        dilation, depth = 1, 0
        for index in range(len(spec.stages)):
            settings = self.stage_settings(index, dilation)
            stage, current = self.stage(settings, current, stages_scope, depth)
            net.stages.append(stage)
            dilation = settings.dilation
            depth += settings.count if settings.residual else 0
        net.head = self.sequence(spec.head, self.params, top, current, ("head",), stage="head")
        if (
            spec.defaults.zero_pad is not None
            and spec.stages
            and not any(block.shortcut.option == "A" for block in net.blocks())
        ):
            raise self.error(
                ("defaults", "zero_pad"),
                "zero_pad places shortcut A's new channels, but no stage uses shortcut A",
                "set `shortcut: A`, or leave out `zero_pad`",
            )
        if spec.defaults.drop_path_rule is not None and not spec.defaults.drop_path:
            raise self.error(
                ("defaults", "drop_path_rule"),
                "drop_path_rule chooses how drop_path rises over the blocks, "
                "but drop_path is not set",
                "set `drop_path: 0.1` (say) in defaults, or leave out drop_path_rule",
            )
        for path in unused_defaults(spec, self.blocks)[:1]:
            if not spec.stages:
                raise self.error(
                    path,
                    f"the network has no stages, so nothing reads {path[-1]!r}",
                    "only `norm`, `norm_groups` and `activation` apply to stem and head layers",
                )
            raise self.error(path, f"no stage's block type has a parameter {path[-1]!r}")
        assign_class_names(spec, net, self.error)
        net.output_node = net.head[-1].node if net.head else current
        net.output = self.shape_of(net.output_node)
        for key in ("params", "macs", "activations"):
            setattr(net, key, sum(getattr(node, key) for node in self.nodes.values()))
        return net


def _op(name: str) -> ops.OpDef:
    definition = ops.get(name)
    assert definition is not None, name
    return definition


def class_name_for(name: str) -> str:
    """`cifar_resnet56` -> `CifarResnet56` (never a name the emitted module uses)."""
    derived = "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)
    return derived + "Net" if derived in EMITTED_NAMES else derived or "Network"


def expand(spec: Spec) -> Network:
    """The IR of a validated spec; SpecError, located, for anything that cannot be built."""
    return Expander(spec).run()
