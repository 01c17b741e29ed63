"""Squeeze-and-excitation (`se`): channel weights from a global average."""

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from resgen.ops.base import ArgWriter, Layer, OpDef, Resolver, Shape, keywords, spatial
from resgen.spec.fields import IntExpr, LayerName, StrictModel


class SqueezeExciteArgs(StrictModel):
    """Squeeze-and-excitation: reduced channels = make_divisible(C / reduction, divisor),
    or `squeeze` channels given directly (torchvision's RegNet: `round(in_channels / 4)`)."""

    reduction: IntExpr = 16
    divisor: IntExpr = 8
    squeeze: IntExpr | None = Field(
        None,
        description="the squeeze width itself (instead of reduction and divisor), e.g. "
        "'round(in_channels / 4)'; written as torchvision's SqueezeExcitation",
    )
    name: LayerName | None = None


def se_channels(channels: int, reduction: int, divisor: int) -> int:
    """Squeeze-excitation width: `channels / reduction` rounded to a multiple of `divisor`."""
    return max(divisor, int(channels / reduction + divisor / 2) // divisor * divisor)


class SqueezeExcite(OpDef):
    name = "se"
    args = SqueezeExciteArgs
    helper = "se"
    fresh_output = True

    def resolve(self, raw: SqueezeExciteArgs, at: Resolver) -> dict[str, Any]:
        if raw.squeeze is not None:
            given = raw.model_fields_set & {"reduction", "divisor"}
            if given:
                raise at.error(
                    sorted(given)[0],
                    "`squeeze` gives the width itself, so reduction and divisor would be ignored",
                    "give either `squeeze` or `reduction` (and `divisor`)",
                )
            args = {"squeeze": at.number("squeeze")}
            if len(at.in_shape) == 3:
                args["in"] = at.in_shape[0]
                args["reduced"] = args["squeeze"]
            return args
        args = {"reduction": at.number("reduction"), "divisor": at.number("divisor")}
        if len(at.in_shape) == 3:
            args["in"] = at.in_shape[0]
            args["reduced"] = se_channels(at.in_shape[0], args["reduction"], args["divisor"])
        return args

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        spatial(inputs[0], self.name)
        return inputs[0]

    def params(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        channels, reduced = shape[0], args["reduced"]
        return 2 * channels * reduced + reduced + channels

    def macs(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        return 2 * shape[0] * args["reduced"]  # two 1x1 convolutions on the squeezed 1x1 map

    def helper_for(self, args: Mapping[str, Any]) -> str | None:
        return "se_squeeze" if "squeeze" in args else "se"

    def write_args(self, layer: Layer, writer: ArgWriter, channels: Any) -> dict[str, str]:
        raw = layer.raw
        if "squeeze" in layer.args[0]:
            squeeze = writer.code([args["squeeze"] for args in layer.args], raw.squeeze)
            return {"squeeze": squeeze, "channels": writer.code(list(layer.in_channels), channels)}
        written = {
            key: writer.code([args[key] for args in layer.args], getattr(raw, key))
            for key in ("reduction", "divisor")
        }
        return {**written, "channels": writer.code(list(layer.in_channels), channels)}

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        if "squeeze" in args:
            return f"SqueezeExcitation({args['channels']}, {args['squeeze']})"
        named = keywords(
            [("reduction", args["reduction"], "16"), ("divisor", args["divisor"], "8")]
        )
        return f"SqueezeExcite({', '.join([args['channels'], *named])})"


OPS = [SqueezeExcite()]
