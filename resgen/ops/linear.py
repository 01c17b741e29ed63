"""Fully connected layer (`linear`) and `flatten`, which feeds it."""

import math
from collections.abc import Mapping
from typing import Any

from pydantic import StrictBool

from resgen.ops.base import ArgWriter, Layer, OpDef, Resolver, Shape, ShapeProblem, format_shape
from resgen.spec.fields import IntExpr, LayerName, StrictModel


class LinearArgs(StrictModel):
    out: IntExpr
    bias: StrictBool = True
    name: LayerName | None = None


class FlattenArgs(StrictModel):
    name: LayerName | None = None  # inside a `sequential` of named layers (timm's head)


class Linear(OpDef):
    name = "linear"
    attribute = "fc"
    weighted = True
    args = LinearArgs
    color = "#efb68a"  # Okabe-Ito vermillion, tinted

    def resolve(self, raw: LinearArgs, at: Resolver) -> dict[str, Any]:
        return {"out": at.number("out"), "bias": raw.bias}

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        if len(inputs[0]) != 1:
            raise ShapeProblem(
                f"linear needs a flat input but gets {format_shape(inputs[0])}; "
                "add `avgpool: {}` and `flatten` before it"
            )
        return (args["out"],)

    def params(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        return in_shape[0] * args["out"] + (args["out"] if args["bias"] else 0)

    def macs(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        return in_shape[0] * args["out"]

    def write_args(self, layer: Layer, writer: ArgWriter, channels: Any) -> dict[str, str]:
        written = super().write_args(layer, writer, channels)
        return {**written, "in": writer.code(list(layer.in_channels), channels)}

    def out_channels(self, layer: Layer, channels: Any) -> Any:
        return layer.raw.out

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        bias = [] if args["bias"] == "True" else [f"bias={args['bias']}"]
        return f"nn.Linear({', '.join([args['in'], args['out'], *bias])})"

    def label(self, args: Mapping[str, Any], shape: Shape) -> str:
        return f"linear → {args.get('out', '?')}"


class Flatten(OpDef):
    name = "flatten"
    args = FlattenArgs
    color = "#f0f0f0"
    has_module = False

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        return (math.prod(inputs[0]),)

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        return "nn.Flatten(1)"  # inside an nn.Sequential

    def forward(self, attr: str, x: str) -> str:
        return f"torch.flatten({x}, 1)"


OPS = [Flatten(), Linear()]
