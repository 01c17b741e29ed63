"""2-D convolution (`conv`)."""

from collections.abc import Mapping
from typing import Any

from pydantic import StrictBool

from resgen.ops.base import (
    ArgWriter,
    Layer,
    OpDef,
    Resolver,
    Shape,
    ShapeProblem,
    keywords,
    spatial,
)
from resgen.spec.fields import IntExpr, LayerName, StrictModel


class ConvArgs(StrictModel):
    """2-D convolution. `padding` defaults to `dilation * (kernel - 1) // 2`."""

    out: IntExpr
    kernel: IntExpr = 3
    stride: IntExpr = 1
    padding: IntExpr | None = None
    dilation: IntExpr = 1
    groups: IntExpr = 1
    bias: StrictBool = False
    name: LayerName | None = None


def default_padding(kernel: int, dilation: int) -> int:
    """`same` padding for odd kernels at stride 1: the spec's default."""
    return dilation * (kernel - 1) // 2


def conv_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def check_spatial(out_h: int, out_w: int, what: str, in_h: int, in_w: int) -> None:
    if out_h < 1 or out_w < 1:
        raise ShapeProblem(
            f"{what} shrinks the spatial size {in_h}×{in_w} to {out_h}×{out_w}; "
            "use a larger input, fewer strides or more padding"
        )


class Conv(OpDef):
    name = "conv"
    attribute = "conv"
    weighted = True
    args = ConvArgs
    color = "#a9d8f3"  # Okabe-Ito sky blue, tinted
    fresh_output = True

    def resolve(self, raw: ConvArgs, at: Resolver) -> dict[str, Any]:
        kernel, dilation = at.number("kernel"), at.number("dilation")
        args = {
            "out": at.number("out"),
            "kernel": kernel,
            "stride": at.number("stride"),
            "dilation": dilation,
            "groups": at.number("groups"),
            "bias": raw.bias,
            "padding": (
                default_padding(kernel, dilation)
                if raw.padding is None
                else at.number("padding", minimum=0)
            ),
        }
        if len(at.in_shape) == 3:
            args["in"] = at.in_shape[0]
        return args

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        c, h, w = spatial(inputs[0], self.name)
        groups = args["groups"]
        if c % groups or args["out"] % groups:
            raise ShapeProblem(
                f"groups={groups} must divide both the input channels ({c}) "
                f"and the output channels ({args['out']})"
            )
        geometry = (args["kernel"], args["stride"], args["padding"], args["dilation"])
        out_h, out_w = conv_size(h, *geometry), conv_size(w, *geometry)
        check_spatial(out_h, out_w, "convolution", h, w)
        return (args["out"], out_h, out_w)

    def params(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        weights = args["out"] * (args["in"] // args["groups"]) * args["kernel"] ** 2
        return weights + (args["out"] if args["bias"] else 0)

    def macs(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        return shape[0] * shape[1] * shape[2] * (args["in"] // args["groups"]) * args["kernel"] ** 2

    def write_args(self, layer: Layer, writer: ArgWriter, channels: Any) -> dict[str, str]:
        raw = layer.raw
        values = {key: [args[key] for args in layer.args] for key in layer.args[0]}
        written = {
            key: writer.code(values[key], getattr(raw, key))
            for key in ("out", "kernel", "stride", "dilation", "groups", "bias")
        }
        if raw.padding is not None:
            written["padding"] = writer.code(values["padding"], raw.padding)
        written["in"] = writer.code(list(layer.in_channels), channels)
        if raw.padding is None:
            written["padding"] = self._padding_source(values, raw, writer)
        return written

    @staticmethod
    def _padding_source(values: dict[str, list[Any]], raw: ConvArgs, writer: ArgWriter) -> str:
        """The default padding, written simply: `padding=dilation` for a 3×3 kernel."""
        if all(p == values["padding"][0] for p in values["padding"]):
            return repr(values["padding"][0])
        kernels = values["kernel"]
        if all(k == kernels[0] for k in kernels) and kernels[0] % 2:
            half = (kernels[0] - 1) // 2
            dilation = writer.code(values["dilation"], raw.dilation)
            return dilation if half == 1 else f"{half} * {dilation}"
        return writer.code(values["padding"], f"({raw.dilation}) * (({raw.kernel}) - 1) // 2")

    def out_channels(self, layer: Layer, channels: Any) -> Any:
        return layer.raw.out

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        named = keywords(
            [
                ("kernel_size", args["kernel"], None),
                ("stride", args["stride"], "1"),
                ("padding", args["padding"], "0"),
                ("dilation", args["dilation"], "1"),
                ("groups", args["groups"], "1"),
                ("bias", args["bias"], "True"),
            ]
        )
        return f"nn.Conv2d({', '.join([args['in'], args['out'], *named])})"

    def label(self, args: Mapping[str, Any], shape: Shape) -> str:
        kernel = args.get("kernel", "?")
        text = f"conv {kernel}×{kernel}"
        if args.get("stride", 1) != 1:
            text += f" /{args['stride']}"
        if args.get("groups", 1) != 1:
            text += f" g{args['groups']}"
        if args.get("dilation", 1) != 1:
            text += f" d{args['dilation']}"
        return f"{text}, {args.get('out', '?')}"


OPS = [Conv()]
