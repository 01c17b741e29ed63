"""Checked network -> one standalone, readable PyTorch file (Jinja2 templates).

The network class is written with literal values. Each block type becomes one
class whose constructor takes exactly the values that differ between its
instances; everything constant across them is folded into literals, so a
ResNet-50 `Bottleneck` reads like torchvision's. A class whose instances grow
their input by a step of its params (a dense layer's `growth_rate`) takes
those params by name instead, and the network defines them once and builds
each run of such blocks in a loop, as torchvision's DenseNet does.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from resgen import __version__, ops
from resgen.codegen.layout import signature, wrap
from resgen.errors import InternalError
from resgen.graph.model import Block, Network, Op, walk
from resgen.graph.shortcuts import SHORTCUT_HELPERS, emitted_call
from resgen.ops.base import Layer, OpDef
from resgen.spec.expr import parse
from resgen.spec.names import HELPER_NAMES
from resgen.spec.schema import layer_op

DEFAULTED = {"stride": "1", "dilation": "1"}
LINE_LIMIT = 88  # the emitted code's line length, as `wrap`'s
HELPER_FUNCTIONS = {
    **{kind: HELPER_NAMES[kind] for kind in SHORTCUT_HELPERS if kind != "zeropad"},
    "named_sequential": "named_sequential",
}
MATH_FUNCTIONS = {"ceil", "floor"}  # expression functions that are not builtins
DROP_RULE = HELPER_NAMES["drop_path_rate"]  # the emitted stochastic-depth rule
_DROP_CALL = re.compile(rf"\b{DROP_RULE}\((\d+)\)")
# block-type params written as class attributes, like torchvision's `Bottleneck.expansion`
CLASS_ATTRIBUTES = ("expansion",)
_SAFE_DOC = re.compile(r"[A-Za-z0-9 .,;:()'×x+\-/_*=%<>]*")


@dataclass
class Param:
    name: str
    annotation: str
    default: str | None = None

    def __str__(self) -> str:
        default = f" = {self.default}" if self.default is not None else ""
        return f"{self.name}: {self.annotation}{default}"


@dataclass
class BlockClass:
    name: str
    doc: str
    params: list[Param] = field(default_factory=list)
    init: list[str] = field(default_factory=list)
    forward: list[str] = field(default_factory=list)
    attributes: list[tuple[str, str]] = field(default_factory=list)  # (name, literal)

    @property
    def signature(self) -> str:
        return signature("__init__", ["self", *map(str, self.params)], "None", 4)


PRIMARY = ("in_channels", "width", "stride", "dilation")


def _definition(op: str) -> OpDef:
    if op == "sequential":
        return _SEQUENTIAL
    definition = ops.get(op)
    if definition is None:
        raise InternalError(f"no op {op!r} in the registry")
    return definition


class _Sequential(OpDef):
    """A `sequential` layer: a container module, written by `_container`."""

    name = "sequential"


_SEQUENTIAL = _Sequential()


def _adds_in_place(main: list[Op]) -> bool:
    """Whether the join may add into the main branch's result in place (`out += identity`).

    Like torchvision, this saves allocating a new tensor per block. Safe when
    `out` comes from an op whose output autograd does not keep (not an
    activation) and is not the block input passed through.
    """
    kept = [_definition(op.op) for op in main if not _definition(op.op).pass_through]
    return bool(kept) and kept[-1].fresh_output


def _is_scaled_name(text: str, attributes: Collection[str] = ()) -> bool:
    """`width`, `width * 4` or `width * expansion` (a class attribute): simple enough to inline."""
    match = re.fullmatch(r"[A-Za-z_]\w*(?: \* (\d+|[A-Za-z_]\w*))?", text)
    return match is not None and (match[1] is None or match[1].isdigit() or match[1] in attributes)


def docstring(*paragraphs: str, width: int = 80) -> str:
    """A docstring literal of these paragraphs, wrapped to `width`: triple-quoted when plainly safe.

    Any other text goes through `repr`, in pieces that Python joins back.
    """
    texts = [" ".join(paragraph.split()) for paragraph in paragraphs]
    text = "\n\n".join(texts)
    if all(_SAFE_DOC.fullmatch(t) for t in texts) and not text.endswith("'"):
        if len(texts) == 1 and len(text) + 6 <= width:
            return f'"""{text}"""'
        wrapped = ("\n".join(textwrap.wrap(t, width - 3)) for t in texts)
        return '"""' + "\n\n".join(wrapped) + '\n"""'
    pieces = [piece for t in texts for piece in _repr_pieces(t, width - 8)]
    pieces[-1] = pieces[-1].removesuffix("\n\n")
    if len(pieces) == 1:
        return repr(text)
    return "(\n" + "".join(f"    {piece!r}\n" for piece in pieces) + ")"


def _repr_pieces(text: str, width: int) -> list[str]:
    """`text` in pieces of at most `width` characters, the last ending a paragraph."""
    pieces = textwrap.wrap(text, width, drop_whitespace=False) or [""]
    pieces[-1] += "\n\n"
    return pieces


def class_docstring(net: Network, params: str, shape: str) -> str:
    """The network class's docstring: the spec's description, then the numbers."""
    summary = f"The {net.name!r} network ({params} parameters, input {shape})."
    if not net.description.strip():
        return f'"""{summary}"""'
    return docstring(net.description, summary)


def _annotation(value: Any) -> str:
    return type(value).__name__ if isinstance(value, bool | int | float | str) else "object"


class _BlockWriter:
    """Writes one block class from all of its instances."""

    def __init__(
        self, name: str, blocks: list[Block], drop_rule: bool = False, grows: bool = True
    ) -> None:
        self.name = name
        self.blocks = blocks
        self.drop_rule = drop_rule  # drop rates as `drop_path_rate(depth)` calls
        first = blocks[0].env
        self.fixed = {k: v for k, v in first.items() if all(b.env.get(k) == v for b in blocks)}
        layers = {op.attr for b in blocks for op in walk([*b.main, *b.gate, *b.post])}
        self.class_attributes = {  # unless a layer has the name: `self.name` is the layer
            k: self.fixed[k]
            for k in CLASS_ATTRIBUTES
            if type(self.fixed.get(k)) is int and k not in layers
        }
        # what each instance adds to its input channels (`growth_rate`), when the
        # network can write a run of them as a loop; the type's own integer params
        # are then named, here and in the network, rather than folded
        self.shared = {
            k: v
            for k, v in self.fixed.items()
            if k in blocks[0].definition.params
            and k not in self.class_attributes
            and type(v) is int
        }
        self.growth = _growth(blocks[0], self.shared) if grows else None
        if self.growth is None:
            self.shared = {}
        # folded into literals: every fixed value but the class attributes and shared params
        self.folded = {
            k: v
            for k, v in self.fixed.items()
            if k not in self.class_attributes and k not in self.shared
        }
        self.used: dict[str, None] = {}
        self.used_attributes: dict[str, None] = {}
        self.init: list[str] = []
        self.attrs: set[str] = set()
        self.helpers: set[str] = set()

    def code(self, values: list[Any], source: Any) -> str:
        """A literal if every instance agrees (and reads no shared param), else the expression."""
        reads_shared = self.shared and parse(str(source)).names & set(self.shared)
        if all(v == values[0] for v in values) and not reads_shared:
            return repr(values[0])
        rendered = self.inline_derived(parse(str(source)).to_python(self.folded))
        for name in sorted(parse(rendered).names, key=rendered.index):
            used = self.used_attributes if name in self.class_attributes else self.used
            used.setdefault(name, None)
        qualified = _qualified(rendered, self.class_attributes)
        if "math." in qualified:
            self.helpers.add("math")
        return qualified

    def inline_derived(self, rendered: str) -> str:
        """Write derived values (`let` names, `out_channels`) in terms of primary ones.

        A derived name equal to a primary one in every instance becomes that name
        (`mid_channels` -> `width`); one whose folded definition is a name times a
        constant is inlined (`out_channels` -> `width * 4`). Others stay parameters.
        """
        first = self.blocks[0]
        derived = {**first.definition.let, "out_channels": first.definition.out}
        for name in sorted(parse(rendered).names & set(derived) - set(self.fixed)):
            values = [b.env[name] for b in self.blocks]
            replacement = next(
                (
                    primary
                    for primary in PRIMARY
                    if [b.env.get(primary) for b in self.blocks] == values
                ),
                None,
            )
            if replacement is None:
                folded = parse(str(derived[name])).to_python(self.folded)
                scaled = _is_scaled_name(folded, self.class_attributes)
                if scaled and not parse(folded).names & set(derived):
                    replacement = f"({folded})"
            if replacement is not None:
                rendered = parse(rendered).to_python({}, {name: replacement})
        return rendered

    def layers(
        self, sequences: list[list[Op]], channels: Any, x: str, var: str = "out"
    ) -> tuple[list[str], Any]:
        """One forward line per op (`var = self.attr(x)`); constructors go to `init`."""
        lines = []
        for aligned in _aligned(sequences):
            op, attr = aligned[0].op, aligned[0].attr
            # an activation on the block input must not overwrite it: the shortcut reads it
            module, channels = self.module(aligned, channels, reads_input=x == "x")
            if _definition(op).has_module and attr not in self.attrs:
                self.attrs.add(attr)
                targets = ", ".join(f"self.{name}" for name in _definition(op).attributes(attr))
                self.init.append(f"{targets} = {module}")
            lines.append(f"{var} = {_definition(op).forward(attr, x)}")
            x = var
        return lines, channels

    def module(self, instances: list[Op], channels: Any, reads_input: bool) -> tuple[str, Any]:
        """The constructor of one op across instances (a container for `sequential`)."""
        if instances[0].op == "sequential":
            entries = []
            children = _aligned([o.children for o in instances])
            for position, aligned in enumerate(children):
                child, channels = self.module(aligned, channels, reads_input and position == 0)
                entries.append((aligned[0].attr, child))
            return _container(entries), channels
        definition = _definition(instances[0].op)
        _, raw = layer_op(instances[0].source)
        layer = Layer([o.args for o in instances], [o.in_shape[0] for o in instances], raw)
        args = definition.write_args(layer, self, channels)
        for helper in {definition.helper_for(o.args) for o in instances} - {None}:
            self.helpers.add(helper)
        inplace = not (reads_input and definition.activation)
        return definition.constructor(args, inplace), definition.out_channels(layer, channels)

    def shortcut_lines(self, source: str) -> list[str]:
        kinds = {b.shortcut.kind for b in self.blocks}
        attr = self.blocks[0].shortcut.attr
        if kinds == {"identity"}:
            return ["identity = x"]
        if "identity" in kinds:
            return [
                "identity = x",
                f"if self.{attr} is not None:",
                f"    identity = self.{attr}({source})",
            ]
        return [f"identity = self.{attr}({source})"]

    def write(self) -> tuple[BlockClass, list[str]]:
        first = self.blocks[0]
        doc = first.definition.doc or f"The {first.type_name!r} block."
        main, channels = self.layers([b.main for b in self.blocks], "in_channels", "x")
        forward = main
        if first.join:
            tap = first.shortcut.tap
            if tap is None:
                forward = self.shortcut_lines("x") + main
            else:
                forward = main[: tap + 1] + self.shortcut_lines("out") + main[tap + 1 :]
            if first.join == "gate":
                gate, _ = self.layers([b.gate for b in self.blocks], "in_channels", "x", "gate")
                forward += [*gate, "out = gate * out + (1 - gate) * identity"]
            elif first.join == "concat":
                forward.append("out = torch.cat([identity, out], 1)")
            else:
                forward.append(
                    "out += identity" if _adds_in_place(first.main) else "out = out + identity"
                )
            channels = "out_channels"
        post, _ = self.layers([b.post for b in self.blocks], channels, "out")
        forward = [*forward, *post, "return out"]
        params = self.params()
        kinds = {b.shortcut.kind for b in self.blocks}
        if kinds - {"identity", "none"}:
            if "identity" in kinds:
                params.append(Param("downsample", "nn.Module | None", "None"))
            else:  # every instance has one: a required argument, before the defaulted ones
                required = sum(1 for p in params if p.default is None)
                params.insert(required, Param("downsample", "nn.Module"))
            line = f"self.{first.shortcut.attr} = downsample"
            first_place = any(b.shortcut.first for b in self.blocks)
            self.init.insert(0, line) if first_place else self.init.append(line)
        gate_bias = first.definition.gate_bias
        if gate_bias is not None and first.gate:
            conv = next(op for op in first.gate if op.op == "conv")
            self.init.append(f"nn.init.constant_(self.{conv.attr}.bias, {float(gate_bias)!r})")
        init = [wrap(line, 8) for line in self.init]
        self.signature_params = params
        calls = [self.call(block, params) for block in self.blocks]
        attributes = [(n, repr(self.class_attributes[n])) for n in self.used_attributes]
        block_class = BlockClass(self.name, docstring(doc), params, init, forward, attributes)
        return block_class, calls

    def params(self) -> list[Param]:
        order = list(self.used)
        shared = iter([n for n in self.shared if n in self.used])  # in the type's order
        order = [next(shared) if n in self.shared else n for n in order]
        names = sorted(order, key=lambda n: (n != "in_channels", n in DEFAULTED, order.index(n)))
        return [Param(n, _annotation(self.blocks[0].env[n]), DEFAULTED.get(n)) for n in names]

    def call(self, block: Block, params: list[Param], in_channels: str | None = None) -> str:
        """The block's constructor call; shared params by name, `in_channels` if given."""
        args = []
        for param in params:
            if param.name == "downsample":
                if block.shortcut.kind != "identity":
                    args.append(f"downsample={emitted_call(block.shortcut)}")
                continue
            value = repr(block.env[param.name])
            if param.name in self.shared:
                value = param.name
            elif param.name == "in_channels" and in_channels is not None:
                value = in_channels
            if param.name == "drop_path" and self.drop_rule and block.depth:
                value = f"{DROP_RULE}({block.depth})"
            if param.default is None:
                args.append(value)
            elif value != param.default:
                args.append(f"{param.name}={value}")
        return f"{self.name}({', '.join(args)})"


def _growth(block: Block, shared: dict[str, Any]) -> tuple[str, int] | None:
    """`(step, value)` when the type's `out` is `in_channels + step`, `step` reading
    shared params only (one at least) and not zero: one instance's input is then the
    last one's plus `step`.
    """
    tree = parse(str(block.definition.out)).tree
    if not (isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Add)):
        return None
    for channels, step in ((tree.left, tree.right), (tree.right, tree.left)):
        if isinstance(channels, ast.Name) and channels.id == "in_channels":
            source = ast.unparse(step)
            names = parse(source).names
            value = parse(source).evaluate(shared) if names and names <= set(shared) else 0
            return (source, value) if type(value) is int and value else None
    return None


def _aligned(sequences: list[list[Op]]) -> list[list[Op]]:
    """The ops at each position of several instances' layer lists, which must agree."""
    if any(len(seq) != len(sequences[0]) for seq in sequences):
        raise InternalError("instances of one block class have different numbers of layers")
    aligned = [list(ops) for ops in zip(*sequences, strict=True)]
    for layer in aligned:
        if any((o.op, o.attr) != (layer[0].op, layer[0].attr) for o in layer):
            raise InternalError(f"instances of one block class differ at layer {layer[0].attr!r}")
    return aligned


def _qualified(source: str, attributes: Collection[str] = ()) -> str:
    """`ceil(x)` -> `math.ceil(x)` (the module imports `math`); `expansion` -> `self.expansion`."""
    tree = ast.parse(source, mode="eval")
    for node in ast.walk(tree):
        call = isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        if call and node.func.id in MATH_FUNCTIONS:
            node.func = ast.Attribute(ast.Name("math", ast.Load()), node.func.id, ast.Load())
    return ast.unparse(_SelfAttributes(attributes).visit(tree))


class _SelfAttributes(ast.NodeTransformer):
    """Names of class attributes -> `self.name`."""

    def __init__(self, attributes: Collection[str]) -> None:
        self.attributes = attributes

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.attributes:
            return ast.Attribute(ast.Name("self", ast.Load()), node.id, ast.Load())
        return node


class _Literals:
    """An `ArgWriter` for the network class, where every value is a literal."""

    def code(self, values: list[Any], source: Any) -> str:
        return repr(values[0])


def literal_args(op: Op) -> dict[str, str]:
    if op.op == "sequential":
        return {}
    _, raw = layer_op(op.source) if op.source is not None else ("", None)
    layer = Layer([op.args], [op.in_shape[0] if op.in_shape else 0], raw)
    return _definition(op.op).write_args(layer, _Literals(), repr(layer.in_channels[0]))


def _container(entries: list[tuple[str, str]], indent: int = 12) -> str:
    """`nn.Sequential(...)` for numbered children, `named_sequential(...)` for named ones.

    Items are written at `indent`; one already on several lines (a container
    written at that indent, a loop) stays as it is. An unnamed item among named
    ones (`**{...}`) is written as it is.
    """
    numbered = all(name.isdigit() for name, _ in entries)
    if not numbered and not all(name.isidentifier() for name, _ in entries if name):
        return _keyed_container(entries, indent)
    items = [expr if numbered or not name else f"{name}={expr}" for name, expr in entries]
    head = "nn.Sequential" if numbered else "named_sequential"
    return f"{head}(\n{_items(items, indent)}\n)"


def _items(items: list[str], indent: int) -> str:
    """Container items, one a line (or several), each followed by a comma."""
    return "\n".join(
        "\n".join(
            f"    {line}"
            for line in (f"{item}," if "\n" in item else wrap(f"{item},", indent)).splitlines()
        )
        for item in items
    )


def _keyed_container(entries: list[tuple[str, str]], indent: int) -> str:
    """Children whose names are not identifiers (torchvision's `block1-0`), as string keys:
    `nn.Sequential(OrderedDict({"block1-0": ..., ...}))`. The names were checked
    (`names.key_problem`) and are written with `repr`."""
    if any(not name for name, _ in entries):
        raise InternalError("a loop of blocks among names that are not identifiers")
    items = [f'"{name}": {expr}' for name, expr in entries]  # checked: no quotes
    body = textwrap.indent(_items(items, indent + 8), "        ")
    return f"nn.Sequential(\n    OrderedDict(\n        {{\n{body}\n        }}\n    )\n)"


@dataclass
class _Call:
    """A block's constructor call in the network, and the writer of its class."""

    text: str
    block: Block
    writer: _BlockWriter

    def grown(self, in_channels: str) -> str:
        """The call with its input channels written as `in_channels` (source)."""
        return self.writer.call(self.block, self.writer.signature_params, in_channels)


def _stage_expr(names: list[str], block_calls: list[_Call], indent: int = 12) -> str:
    """A stage as a container (`_stage_items`)."""
    return _container(_stage_items(names, block_calls, indent), indent)


def _stage_items(
    names: list[str], block_calls: list[_Call], indent: int = 12
) -> list[tuple[str, str]]:
    """A stage as a container: each block once, equal neighbours once with their count.

    Unnamed blocks that repeat (two or more equal calls in a row) become one
    `*[Block(...) for _ in range(count)]`, so every stage is written the same way;
    calls that differ only in consecutive `drop_path_rate(n)` become
    `*[Block(..., drop_path_rate(n)) for n in range(first, last + 1)]`. Blocks
    that grow their input by a named step (dense layers) become one loop,
    `*[Block(64 + i * growth_rate, ...) for i in range(count)]`, or for named
    blocks `**{f"layer{i + 1}": Block(...) for i in range(count)}`.
    """
    calls = [call.text for call in block_calls]
    numbered = all(name.isdigit() for name in names)
    items: list[tuple[str, str]] = []
    index = 0
    while index < len(calls):
        grown = _grown_run(names, block_calls, index, numbered)
        if grown is not None:
            run, key, element = grown
            items.append(("", _loop(key, element, run, indent)))
        elif not numbered:
            run = 1
            items.append((names[index], calls[index]))
        elif (run := _run_length(calls, index)) == 1:
            items.append(("", calls[index]))
        elif (first := _DROP_CALL.search(calls[index])) is None:
            items.append(("", f"*[{calls[index]} for _ in range({run})]"))
        else:
            start = int(first[1])
            call = _DROP_CALL.sub(f"{DROP_RULE}(n)", calls[index])
            items.append(("", f"*[{call} for n in range({start}, {start + run})]"))
        index += run
    if numbered:
        items = [(str(i), item) for i, (_, item) in enumerate(items)]
    return items


def _grown_run(
    names: list[str], calls: list[_Call], index: int, numbered: bool
) -> tuple[int, str | None, str] | None:
    """How many calls from `index` on grow their input by their class's step, the
    loop's key for named blocks (`f"denselayer{i + 1}"`, else None) and its element
    (`Block(64 + i * growth_rate, ...)`); None unless two or more do.
    """
    first = calls[index]
    if first.writer.growth is None:
        return None
    step, value = first.writer.growth
    pattern = first.grown("in_channels")
    match = re.fullmatch(r"(.*?)(0|[1-9][0-9]*)", names[index])
    if not numbered and (match is None or not match[1].isidentifier()):
        return None
    prefix, start = (match[1], int(match[2])) if match else ("", 0)
    channels = first.block.env["in_channels"]
    run = 1
    while index + run < len(calls):
        call = calls[index + run]
        if (
            call.writer is not first.writer
            or call.grown("in_channels") != pattern
            or call.block.env["in_channels"] != channels + run * value
            or (not numbered and names[index + run] != f"{prefix}{start + run}")
        ):
            break
        run += 1
    if run == 1:
        return None
    element = first.grown(ast.unparse(ast.parse(f"{channels} + i * ({step})", mode="eval")))
    if numbered:
        return run, None, element
    number = "{i}" if start == 0 else f"{{i + {start}}}"
    return run, f'f"{prefix}{number}"', element  # the prefix is an identifier


def _loop(key: str | None, element: str, count: int, indent: int) -> str:
    """`*[element for i in range(count)]`, or `**{key: element ...}`, as ruff lays it out."""
    opening, closing = ("*[", "]") if key is None else ("**{", "}")
    element = element if key is None else f"{key}: {element}"
    loop = f"for i in range({count})"
    line = f"{opening}{element} {loop}{closing}"
    if indent + len(line) + 1 <= LINE_LIMIT:  # and its comma
        return line
    body = textwrap.indent(f"{wrap(element, indent + 4)}\n{loop}", "    ")
    return f"{opening}\n{body}\n{closing}"


def _run_length(calls: list[str], index: int) -> int:
    """How many calls from `index` on are equal, up to consecutive `drop_path_rate(n)`."""

    def key(call: str) -> tuple[str, list[int]]:
        return _DROP_CALL.sub(f"{DROP_RULE}(n)", call), [int(n) for n in _DROP_CALL.findall(call)]

    pattern, numbers = key(calls[index])
    run = 1
    while index + run < len(calls):
        other, others = key(calls[index + run])
        if other != pattern or others != [n + run for n in numbers]:
            break
        run += 1
    return run


@dataclass
class _NetworkView:
    class_name: str
    init: list[str]
    forward: list[str]
    params: list[Param]
    init_branches: list[tuple[str, list[str]]]

    @property
    def signature(self) -> str:
        return signature("__init__", ["self", *map(str, self.params)], "None", 4)

    @property
    def build_signature(self) -> str:
        return signature("build", [str(p) for p in self.params], self.class_name, 0)


def _module_expr(
    op: Op, args: dict[str, str] | None = None, indent: int = 12,
    inner: dict[int, dict[str, str]] | None = None,
) -> str:  # fmt: skip
    """An op's constructor in the network class; `inner`: args of ops inside containers."""
    if op.op == "sequential":
        children = [
            (child.attr, _module_expr(child, (inner or {}).get(id(child)), indent + 4, inner))
            for child in op.children
        ]
        return _container(children, indent)
    return _definition(op.op).constructor(args or literal_args(op))


def _network_view(net: Network, calls: dict[str, _Call]) -> _NetworkView:
    init: list[str] = []
    forward: list[str] = []
    attrs: set[str] = set()
    params: list[Param] = []
    contained: list[tuple[str, str]] = []
    # the head's last layer, or the last layer of its last container (VGG's `classifier`)
    leaves = list(walk(net.head[-1:]))
    last_linear = leaves[-1] if leaves and leaves[-1].op == "linear" else None
    inner: dict[int, dict[str, str]] = {}
    if last_linear is not None:
        params.append(Param("num_classes", "int", repr(last_linear.args["out"])))
        inner[id(last_linear)] = {**literal_args(last_linear), "out": "num_classes"}

    def emit_ops(ops: list[Op], into: list[tuple[str, str]] | None, indent: int = 16) -> None:
        """Each op as an attribute of the network, or an entry of the container `into`."""
        for op in ops:
            args = inner.get(id(op)) or literal_args(op)
            if into is not None:
                into.append((op.attr, _module_expr(op, args, indent, inner)))
                continue
            definition = _definition(op.op)
            if definition.has_module and op.attr not in attrs:
                attrs.add(op.attr)
                init.append(wrap(f"self.{op.attr} = {_module_expr(op, args, inner=inner)}", 8))
            forward.append(f"x = {definition.forward(op.attr, 'x')}")

    inside = net.features is not None
    emit_ops(net.stem, contained if inside else None)
    trunk: list[tuple[str, str]] = []
    # where stages go: the trunk, the features, or the network itself
    target = trunk if net.trunk else contained if inside else None
    indent = 12 + 4 * inside + 4 * (net.trunk is not None)  # a stage's items
    for stage in net.stages:
        names = [b.path.rsplit(".", 1)[1] for b in stage.blocks]
        block_calls = [calls[b.path] for b in stage.blocks]
        if stage.inline:  # its blocks go straight into the numbered `features` container
            contained += [(name, item) for name, item in _stage_items(names, block_calls, 16)]
            emit_ops(stage.after, contained if inside else None)
            continue
        expr = _stage_expr(names, block_calls, indent + 4 * (stage.blocks_in is not None))
        if stage.blocks_in:  # the stage's own module: its blocks, then its `after` layers
            entries = [(stage.blocks_in, expr)]
            emit_ops(stage.after, entries, indent + 4)
            expr = _container(entries, indent)
        if target is not None:
            target.append((stage.name, expr))
        else:
            init.append(f"self.{stage.name} = {expr}")
            forward.append(f"x = self.{stage.name}(x)")
        if not stage.blocks_in:
            emit_ops(stage.after, target, indent)
    if net.trunk:
        expr = _container(trunk, indent - 4)
        if inside:
            contained.append((net.trunk, expr))
        else:
            init.append(f"self.{net.trunk} = {expr}")
            forward.append(f"x = self.{net.trunk}(x)")
    if inside:
        init.append(f"self.{net.features} = {_container(contained)}")
        forward.append(f"x = self.{net.features}(x)")
    emit_ops(net.head, None)
    # the shared params the calls name (`growth_rate = 32`), first
    shared = {n: v for call in calls.values() for n, v in call.writer.shared.items()}
    if shared:
        tree = ast.parse("\n".join(init))
        read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        init[:0] = [f"{name} = {value!r}" for name, value in shared.items() if name in read]
    return _NetworkView(net.class_name, init, forward, params, [])


# torch.nn.init.calculate_gain's name for each activation it knows; the ones it lacks
# (silu, gelu, elu, mish, hardswish, relu6, hardsigmoid) take ReLU's gain, as timm's do
GAIN_NAMES = {"relu": "relu", "leaky_relu": "leaky_relu", "tanh": "tanh", "sigmoid": "sigmoid"}
LEAKY_RELU_SLOPE = 0.01  # nn.LeakyReLU's default negative_slope


def activation_in_use(net: Network) -> str:
    """The network's most frequent activation (the first of equals; relu if it has none)."""
    counts = Counter(op.op for op in net.ops() if _definition(op.op).activation)
    return counts.most_common(1)[0][0] if counts else "relu"


def conv_init(scheme: str, activation: str) -> list[str]:
    """The statements that initialise a convolution's weight under `init.conv`."""
    if scheme == "default":
        return []
    gain = GAIN_NAMES.get(activation, "relu")
    note = (
        [] if activation in GAIN_NAMES else [f"# calculate_gain has none for {activation}: ReLU's"]
    )
    if scheme == "xavier_uniform":
        args = f'"{gain}", {LEAKY_RELU_SLOPE}' if gain == "leaky_relu" else f'"{gain}"'
        call = f"nn.init.xavier_uniform_(module.weight, gain=nn.init.calculate_gain({args}))"
    else:
        slope = f", a={LEAKY_RELU_SLOPE}" if gain == "leaky_relu" else ""
        mode = ', mode="fan_out"' if scheme == "kaiming_normal_fan_out" else ""
        call = f'nn.init.kaiming_normal_(module.weight{slope}{mode}, nonlinearity="{gain}")'
    return [*note, wrap(call, 16)]


def init_branches(net: Network, zero_init: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """`isinstance` conditions and their statements in the network's initialisation loop."""
    branches = [("nn.Conv2d", conv_init(net.init.conv, activation_in_use(net)))]
    branches += [
        (cls, [f"nn.init.zeros_(module.{attr}.weight)  # the branch starts as zero"])
        for cls, attr in zero_init
    ]
    branches = [(f"isinstance(module, {cls})", lines) for cls, lines in branches]
    if net.init.linear_bias == "zeros":
        linears = [op for op in net.ops() if op.op == "linear"]
        guard = "" if all(op.args["bias"] for op in linears) else " and module.bias is not None"
        branches.append((f"isinstance(module, nn.Linear){guard}", ["nn.init.zeros_(module.bias)"]))
    return [(condition, lines) for condition, lines in branches if lines]


@cache
def _environment() -> jinja2.Environment:
    """The templates, with Jinja's compilation done ahead of time where it is still
    current (resgen/codegen/precompiled.py; nothing is written at run time)."""
    from resgen.codegen.precompiled import PrecompiledTemplates

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=PrecompiledTemplates(),
    )


def templates_dir() -> Path:
    """The templates folder: inside the installed package, or the repo's top level."""
    packaged = Path(__file__).resolve().parents[1] / "templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "templates"


def _helpers(net: Network, writers: list[_BlockWriter], source: str) -> set[str]:
    """Which helper definitions the emitted file needs (keys of `names.HELPERS`)."""
    used = {b.shortcut.kind for w in writers for b in w.blocks} | {
        h for w in writers for h in w.helpers
    }
    top = [*net.stem, *net.head, *(op for stage in net.stages for op in stage.after)]
    used |= {
        _definition(op.op).helper_for(op.args) or "" for op in walk(top) if op.op != "sequential"
    }
    if "named_sequential(" in source:
        used.add("named_sequential")
    if "OrderedDict(" in source:
        used.add("OrderedDict")  # an import, not a helper
    if f"{DROP_RULE}(" in source:
        used.add(DROP_RULE)
    if "eca" in used:
        used.add("math")  # its kernel size is computed from log2 of the channels
    return used


def _plugin_sources(net: Network) -> list[str]:
    """The definitions plugin ops bring (docs/ops.md), once each, in order of first use."""
    used = (_definition(op.op) for op in net.ops() if op.op != "sequential")
    return list(dict.fromkeys(op.helper_source.strip() for op in used if op.helper_source))


def generate(net: Network) -> str:
    """The module's source; it is compiled here, so a file that would not parse is never written.

    Every user mistake was refused by the checked graph; a failure here is a bug
    in resgen, raised as `InternalError`.
    """
    try:
        source = _generate(net)
    except Exception as exc:  # a bug: one message, not a traceback, from the CLI
        raise InternalError(
            f"cannot write the code for {net.name!r}: {type(exc).__name__}: {exc}"
        ) from exc
    _compile(source, net.name)
    return source


def _generate(net: Network) -> str:
    grouped: dict[str, list[Block]] = {}
    for stage in net.stages:
        for block in stage.blocks:
            grouped.setdefault(block.class_name, []).append(block)
    classes, calls, writers, zero_init = [], {}, [], []
    for writer in _writers(net, grouped):
        blocks = writer.blocks
        cls, block_calls = writer.write()
        writers.append(writer)
        classes.append(cls)
        calls.update(
            {b.path: _Call(c, b, writer) for b, c in zip(blocks, block_calls, strict=True)}
        )
        if blocks[0].zero_init:
            zero_init.append((cls.name, blocks[0].zero_init))
    view = _network_view(net, calls)
    view.init_branches = init_branches(net, zero_init)
    body = "\n".join([*(line for c in classes for line in c.init), *view.init])
    shape = "×".join(map(str, net.input))
    params = net.params
    return (
        _environment()
        .get_template("model.py.j2")
        .render(
            version=__version__,
            net=net,
            view=view,
            classes=classes,
            params=f"{params:,}",
            input=shape,
            class_doc=class_docstring(net, f"{params:,}", shape),
            drop_path=(repr(net.drop_path), net.residual_blocks),
            helpers=_helpers(net, writers, body),
            plugin_sources=_plugin_sources(net),
            drop_path_timm=net.drop_path_rule == "timm",
            zero_pad_split=any(b.shortcut.pad_before for b in net.blocks()),
            spec_name=repr(net.name),
        )
    )


def _writers(net: Network, grouped: dict[str, list[Block]]) -> list[_BlockWriter]:
    """A writer per block class. The network names the params its classes share
    (`growth_rate`): a class whose names clash (with another class's values, or a
    name the network's `__init__` uses) has its values folded instead.
    """
    taken = {"self", "num_classes", "module", "i", "n", "_", net.class_name, *grouped}
    plain: set[str] = set()
    while True:
        writers = [
            _BlockWriter(name, blocks, drop_rule=net.drop_path > 0, grows=name not in plain)
            for name, blocks in grouped.items()
        ]
        values: dict[str, set[Any]] = {}
        for writer in writers:
            for key, value in writer.shared.items():
                values.setdefault(key, set()).add((type(value), value))
        clashes = {k for k, v in values.items() if len(v) > 1 or k in taken}
        clashing = {w.name for w in writers if clashes & set(w.shared)}
        if not clashing:
            return writers
        plain |= clashing


def _compile(source: str, name: str) -> None:
    """Parse and compile the emitted source (cheap); failing is a bug in resgen."""
    try:
        compile(source, f"{name}.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        where = f" (line {exc.lineno}: {exc.msg})" if isinstance(exc, SyntaxError) else ""
        raise InternalError(f"the code generated for {name!r} does not compile{where}") from exc
