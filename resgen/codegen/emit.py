"""Checked network -> one standalone, readable PyTorch file (Jinja2 templates).

The network class is written with literal values. Each block type becomes one
class whose constructor takes exactly the values that differ between its
instances; everything constant across them is folded into literals, so a
ResNet-50 `Bottleneck` reads like torchvision's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from resgen import __version__
from resgen.codegen.pytorch_ops import constructor, forward_call, has_module, signature, wrap
from resgen.graph.model import Block, Network, Op
from resgen.spec.expr import parse
from resgen.spec.schema import layer_op

DEFAULTED = {"stride": "1", "dilation": "1"}
HELPER_CLASSES = {"zeropad": "ZeroPadShortcut"}
HELPER_FUNCTIONS = {"projection": "projection", "avgdown": "avg_down_projection"}
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

    @property
    def signature(self) -> str:
        return signature("__init__", ["self", *map(str, self.params)], "None", 4)


PRIMARY = ("in_channels", "width", "stride", "dilation")


def _is_scaled_name(text: str) -> bool:
    """`width` or `width * 4`: simple enough to write inline."""
    return re.fullmatch(r"[A-Za-z_]\w*( \* \d+)?", text) is not None


def docstring(text: str) -> str:
    """A docstring literal: triple-quoted when plainly safe, else `repr`."""
    text = " ".join(text.split())
    if _SAFE_DOC.fullmatch(text) and not text.endswith("'"):
        return f'"""{text}"""'
    return repr(text)


def _annotation(value: Any) -> str:
    return type(value).__name__ if isinstance(value, bool | int | float | str) else "object"


class _BlockWriter:
    """Writes one block class from all of its instances."""

    def __init__(self, name: str, blocks: list[Block]) -> None:
        self.name = name
        self.blocks = blocks
        first = blocks[0].env
        self.fixed = {k: v for k, v in first.items() if all(b.env.get(k) == v for b in blocks)}
        self.used: dict[str, None] = {}
        self.init: list[str] = []
        self.attrs: set[str] = set()

    def code(self, values: list[Any], source: Any) -> str:
        """A literal if every instance agrees, else the folded expression."""
        if all(v == values[0] for v in values):
            return repr(values[0])
        rendered = self.inline_derived(parse(str(source)).to_python(self.fixed))
        for name in sorted(parse(rendered).names, key=rendered.index):
            self.used.setdefault(name, None)
        return rendered

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
                folded = parse(str(derived[name])).to_python(self.fixed)
                if _is_scaled_name(folded) and not parse(folded).names & set(derived):
                    replacement = f"({folded})"
            if replacement is not None:
                rendered = parse(rendered).to_python({}, {name: replacement})
        return rendered

    def op_args(self, index: int, ops: list[Op], channels: Any) -> tuple[dict[str, str], Any]:
        """Source for each argument of the `index`-th op; also the new channel source."""
        _, raw = layer_op(ops[0].source)
        op = ops[0].op
        values = {k: [o.args[k] for o in ops] for k in ops[0].args}
        in_channels = [o.in_shape[0] for o in ops]
        args = {k: self.code(v, getattr(raw, k, None)) for k, v in values.items() if k != "in"}
        if op == "conv":
            args["in"] = self.code(in_channels, channels)
            if (
                raw.padding is None
                and "padding" in args
                and args["padding"] not in map(repr, values["padding"])
            ):
                args["padding"] = self.default_padding(values, raw)
            return args, raw.out
        if op == "bn":
            args["channels"] = self.code(in_channels, channels)
        if op == "linear":
            args["in"] = self.code(in_channels, channels)
            return args, raw.out
        return args, channels

    def default_padding(self, values: dict[str, list[Any]], raw: Any) -> str:
        kernels = values["kernel"]
        if all(k == kernels[0] for k in kernels) and kernels[0] % 2:
            half = (kernels[0] - 1) // 2
            dilation = self.code(values["dilation"], raw.dilation)
            return dilation if half == 1 else f"{half} * {dilation}"
        return self.code(values["padding"], f"({raw.dilation}) * (({raw.kernel}) - 1) // 2")

    def layers(self, sequences: list[list[Op]], channels: Any, x: str) -> tuple[list[str], Any]:
        lines = []
        for index in range(len(sequences[0])):
            ops = [seq[index] for seq in sequences]
            op, attr = ops[0].op, ops[0].attr
            args, channels = self.op_args(index, ops, channels)
            if has_module(op) and attr not in self.attrs:
                self.attrs.add(attr)
                self.init.append(f"self.{attr} = {constructor(op, args)}")
            lines.append(f"out = {forward_call(op, attr, x)}")
            x = "out"
        return lines, channels

    def write(self) -> tuple[BlockClass, list[str]]:
        first = self.blocks[0]
        doc = first.definition.doc or f"The {first.type_name!r} block."
        forward, channels = self.layers([b.main for b in self.blocks], "in_channels", "x")
        kinds = {b.shortcut.kind for b in self.blocks}
        shortcut_lines = []
        if first.join:
            if kinds == {"identity"}:
                shortcut_lines = ["identity = x"]
            elif "identity" in kinds:
                shortcut_lines = [
                    "identity = x",
                    "if self.downsample is not None:",
                    "    identity = self.downsample(x)",
                ]
            else:
                shortcut_lines = ["identity = self.downsample(x)"]
            forward.append("out = out + identity")
        post, _ = self.layers([b.post for b in self.blocks], channels, "out")
        forward = shortcut_lines + forward + post + ["return out"]
        params = self.params()
        if kinds - {"identity", "none"}:
            optional = "identity" in kinds
            params.append(Param("downsample", "nn.Module | None" if optional else "nn.Module",
                                "None" if optional else None))  # fmt: skip
            self.init.append("self.downsample = downsample")
        init = [wrap(line, 8) for line in self.init]
        calls = [self.call(block, params) for block in self.blocks]
        return BlockClass(self.name, docstring(doc), params, init, forward), calls

    def params(self) -> list[Param]:
        order = list(self.used)
        names = sorted(order, key=lambda n: (n != "in_channels", n in DEFAULTED, order.index(n)))
        return [Param(n, _annotation(self.blocks[0].env[n]), DEFAULTED.get(n)) for n in names]

    def call(self, block: Block, params: list[Param]) -> str:
        args = []
        for param in params:
            if param.name == "downsample":
                if block.shortcut.kind != "identity":
                    args.append(f"downsample={shortcut_call(block)}")
                continue
            value = repr(block.env[param.name])
            if param.default is None:
                args.append(value)
            elif value != param.default:
                args.append(f"{param.name}={value}")
        return f"{self.name}({', '.join(args)})"


def shortcut_call(block: Block) -> str:
    s = block.shortcut
    if s.kind == "zeropad":
        return (
            f"ZeroPadShortcut(stride={s.stride}, extra_channels={s.out_channels - s.in_channels})"
        )
    stride = f", stride={s.stride}" if s.stride != 1 else ""
    return f"{HELPER_FUNCTIONS[s.kind]}({s.in_channels}, {s.out_channels}{stride})"


def literal_args(op: Op) -> dict[str, str]:
    args = {k: repr(v) for k, v in op.args.items()}
    if op.op in {"bn"}:
        args["channels"] = repr(op.shape[0])
    if op.op == "linear":
        args["in"] = repr(op.in_shape[0])
    return args


def _stage_lines(stage_name: str, calls: list[str]) -> list[str]:
    """`self.layer1 = nn.Sequential(...)`, runs of equal blocks as comprehensions."""
    items, index = [], 0
    while index < len(calls):
        run = 1
        while index + run < len(calls) and calls[index + run] == calls[index]:
            run += 1
        if run >= 3:
            items.append(f"*[{calls[index]} for _ in range({run})],")
        else:
            items.extend(f"{call}," for call in calls[index : index + run])
        index += run
    body = "\n".join(
        "\n".join(f"    {line}" for line in wrap(item, 12).splitlines()) for item in items
    )
    return [f"self.{stage_name} = nn.Sequential(\n{body}\n)"]


@dataclass
class _NetworkView:
    class_name: str
    init: list[str]
    forward: list[str]
    params: list[Param]

    @property
    def signature(self) -> str:
        return signature("__init__", ["self", *map(str, self.params)], "None", 4)

    @property
    def build_signature(self) -> str:
        return signature("build", [str(p) for p in self.params], self.class_name, 0)


def _network_view(
    net: Network, classes: dict[tuple[str, bool], str], calls: dict[str, str]
) -> _NetworkView:
    init: list[str] = []
    forward: list[str] = []
    attrs: set[str] = set()
    params: list[Param] = []
    last_linear = net.head[-1] if net.head and net.head[-1].op == "linear" else None

    def emit_ops(ops: list[Op]) -> None:
        for op in ops:
            args = literal_args(op)
            if op is last_linear:
                params.append(Param("num_classes", "int", repr(op.args["out"])))
                args["out"] = "num_classes"
            if has_module(op.op) and op.attr not in attrs:
                attrs.add(op.attr)
                init.append(wrap(f"self.{op.attr} = {constructor(op.op, args)}", 8))
            forward.append(f"x = {forward_call(op.op, op.attr, 'x')}")

    emit_ops(net.stem)
    for stage in net.stages:
        init.extend(_stage_lines(stage.name, [calls[b.path] for b in stage.blocks]))
        forward.append(f"x = self.{stage.name}(x)")
    emit_ops(net.head)
    return _NetworkView(net.class_name, init, forward, params)


def _class_key(block: Block) -> tuple[str, bool]:
    return block.type_name, bool(block.join)


def _class_names(net: Network) -> dict[tuple[str, bool], str]:
    taken = {net.class_name, *HELPER_CLASSES.values(), *HELPER_FUNCTIONS.values(), "build"}
    names: dict[tuple[str, bool], str] = {}
    for stage in net.stages:
        for block in stage.blocks:
            key = _class_key(block)
            if key in names:
                continue
            base = (
                block.definition.class_name
                or "".join(p.capitalize() for p in block.type_name.split("_")) + "Block"
            )
            if not key[1] and block.definition.shortcut != "none":
                base += "NoShortcut"
            name, number = base, 2
            while name in taken:
                name, number = f"{base}{number}", number + 1
            taken.add(name)
            names[key] = name
    return names


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def templates_dir() -> Path:
    """The templates folder: inside the installed package, or the repo's top level."""
    packaged = Path(str(resources.files("resgen"))) / "templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "templates"


def generate(net: Network, params: int) -> str:
    names = _class_names(net)
    grouped: dict[tuple[str, bool], list[Block]] = {}
    for stage in net.stages:
        for block in stage.blocks:
            grouped.setdefault(_class_key(block), []).append(block)
    classes, calls = [], {}
    for key, blocks in grouped.items():
        cls, block_calls = _BlockWriter(names[key], blocks).write()
        classes.append(cls)
        calls.update({b.path: c for b, c in zip(blocks, block_calls, strict=True)})
    kinds = {b.shortcut.kind for blocks in grouped.values() for b in blocks}
    view = _network_view(net, names, calls)
    source = (
        _environment()
        .get_template("model.py.j2")
        .render(
            version=__version__,
            net=net,
            view=view,
            classes=classes,
            params=f"{params:,}",
            input="×".join(map(str, net.input)),
            helpers={kind for kind in kinds if kind in HELPER_CLASSES or kind in HELPER_FUNCTIONS},
            uses_functional="zeropad" in kinds,
            spec_name=repr(net.name),
        )
    )
    return source
