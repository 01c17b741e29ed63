"""Where a block's branches meet: `add`, `concat` (DenseNet) and `gate` (highway).

Joins and the zero-pad shortcut are made by the expander, never written in a
spec, so they have no argument schema.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from resgen.ops.base import OpDef, Shape, format_shape, spatial


@dataclass(frozen=True)
class JoinStyle:
    symbol: str  # what the join node shows
    dot_shape: str
    arrowhead: str  # on the edges into the join (Graphviz)
    label: str  # legend text


class Join(OpDef):
    color = "#ffffff"
    style: JoinStyle

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        return inputs[0]


class Add(Join):
    name = "add"
    style = JoinStyle("+", "circle", "normal", "add join (+)")

    def label(self, args: Mapping[str, Any], shape: Shape) -> str:
        return "add (+)"


class Concat(Join):
    name = "concat"
    style = JoinStyle("‖", "invtrapezium", "diamond", "concat join (‖, channels stacked)")

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        return (sum(shape[0] for shape in inputs), *inputs[0][1:])


class Gate(Join):
    name = "gate"
    style = JoinStyle("σ", "octagon", "dot", "gated join (σ)")


class ZeroPad(OpDef):
    """Shortcut A: subsample by the stride, pad the new channels with zeros."""

    name = "zeropad"
    color = "#99c6e0"  # Okabe-Ito blue, tinted

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        c, h, w = spatial(inputs[0], self.name)
        stride = args["stride"]
        return (c + args["extra_channels"], -(-h // stride), -(-w // stride))

    def label(self, args: Mapping[str, Any], shape: Shape) -> str:
        split = " (split)" if args.get("before") else ""
        text = f"zero-pad +{args.get('extra_channels', '?')} ch{split}"
        return text + (f" /{args['stride']}" if args.get("stride", 1) != 1 else "")


class Input(OpDef):
    name = "input"
    color = "#e7e7e7"

    def label(self, args: Mapping[str, Any], shape: Shape) -> str:
        return f"input {format_shape(shape)}" if shape else "input"


OPS = [Add(), Concat(), Gate(), ZeroPad(), Input()]
