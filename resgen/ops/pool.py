"""Max and average pooling (`maxpool`, `avgpool`; without a kernel, `avgpool` is global).

With `output` instead of a kernel, either is adaptive: `nn.AdaptiveAvgPool2d((7, 7))`
gives exactly that size from any input, as VGG's and AlexNet's heads.
"""

import math
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, PlainValidator, StrictBool
from pydantic_core import PydanticCustomError

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
from resgen.ops.conv import check_spatial
from resgen.spec.fields import IntExpr, LayerName, StrictModel, _int_or_expression

ADAPTIVE = {"nn.MaxPool2d": "nn.AdaptiveMaxPool2d", "nn.AvgPool2d": "nn.AdaptiveAvgPool2d"}


def _output_size(value: Any) -> int | str | tuple[int | str, int | str]:
    """`7` (7×7) or `[7, 5]` (height, width); each an integer or an expression."""
    if isinstance(value, list):
        if len(value) != 2:
            raise PydanticCustomError(
                "output_size",
                "expected one size or [height, width], got a list of {count}",
                {"count": len(value)},
            )
        return (_int_or_expression(value[0]), _int_or_expression(value[1]))
    return _int_or_expression(value)


OutputSize = Annotated[
    Any,
    PlainValidator(_output_size, json_schema_input_type=int | str | list[int | str]),
    Field(description="adaptive pooling's output size: one number (square) or [height, width]"),
]


class PoolArgs(StrictModel):
    """Max or average pooling; without `kernel`, `avgpool` is global (output 1x1);
    with `output`, adaptive pooling to that size."""

    kernel: IntExpr | None = None
    output: OutputSize | None = None
    stride: IntExpr | None = None
    padding: IntExpr | None = None
    ceil_mode: StrictBool = False
    name: LayerName | None = None


def pool_size(size: int, kernel: int, stride: int, padding: int, ceil_mode: bool) -> int:
    span = size + 2 * padding - kernel
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1  # PyTorch: the last window must start inside the input
    return out


class Pool(OpDef):
    args = PoolArgs

    def __init__(self, name: str, module: str, color: str) -> None:
        self.name = name
        self.module = module
        self.color = color

    def resolve(self, raw: PoolArgs, at: Resolver) -> dict[str, Any]:
        if raw.output is not None:
            for key in ("kernel", "stride", "padding"):
                if getattr(raw, key) is not None:
                    raise at.error(
                        key,
                        f"adaptive pooling (`output`) has no {key}",
                        "give either `output` (adaptive) or `kernel`",
                    )
            if raw.ceil_mode:
                raise at.error("ceil_mode", "adaptive pooling (`output`) has no ceil_mode")
            if isinstance(raw.output, tuple):
                sizes = tuple(at.value(v, "output") for v in raw.output)
                return {"output": sizes}
            return {"output": at.number("output")}
        if raw.kernel is None:
            if self.name == "maxpool":
                raise at.error("", "maxpool needs a kernel (or `output`: adaptive pooling)")
            return {"kernel": None}
        kernel = at.number("kernel")
        return {
            "kernel": kernel,
            "stride": kernel if raw.stride is None else at.number("stride"),
            "padding": 0 if raw.padding is None else at.number("padding", minimum=0),
            "ceil_mode": raw.ceil_mode,
        }

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        c, h, w = spatial(inputs[0], self.name)
        if "output" in args:  # adaptive: exactly the size asked for, whatever the input
            size = args["output"]
            return (c, *size) if isinstance(size, tuple) else (c, size, size)
        if args.get("kernel") is None:
            return (c, 1, 1)
        kernel, stride, padding = args["kernel"], args["stride"], args["padding"]
        if padding * 2 > kernel:
            raise ShapeProblem(f"pool padding {padding} must be at most half the kernel {kernel}")
        out_h = pool_size(h, kernel, stride, padding, args["ceil_mode"])
        out_w = pool_size(w, kernel, stride, padding, args["ceil_mode"])
        check_spatial(out_h, out_w, self.name, h, w)
        return (c, out_h, out_w)

    def write_args(self, layer: Layer, writer: ArgWriter, channels: Any) -> dict[str, str]:
        raw = layer.raw
        if "output" in layer.args[0]:
            sizes = [args["output"] for args in layer.args]
            if isinstance(raw.output, tuple):
                pair = [writer.code([s[i] for s in sizes], raw.output[i]) for i in (0, 1)]
                return {"output": f"({pair[0]}, {pair[1]})"}
            return {"output": writer.code(sizes, raw.output)}
        sources = {key: getattr(raw, key, None) for key in layer.args[0]}
        if "stride" in sources and raw.stride is None:
            sources["stride"] = raw.kernel  # the stride defaults to the kernel
        return {
            key: writer.code([args[key] for args in layer.args], source)
            for key, source in sources.items()
        }

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        if "output" in args:
            return f"{ADAPTIVE[self.module]}({args['output']})"
        if args["kernel"] == "None":
            return "nn.AdaptiveAvgPool2d(1)"
        named = keywords(
            [
                ("kernel_size", args["kernel"], None),
                ("stride", args["stride"], args["kernel"]),
                ("padding", args["padding"], "0"),
                ("ceil_mode", args["ceil_mode"], "False"),
            ]
        )
        return f"{self.module}({', '.join(named)})"

    def label(self, args: Mapping[str, Any], shape: Shape) -> str:
        if "output" in args:
            return f"{self.name} (adaptive) → {shape[1]}×{shape[2]}"
        if args.get("kernel") is None:
            return f"{self.name} (global)"
        kernel, stride = args["kernel"], args.get("stride", args["kernel"])
        return f"{self.name} {kernel}×{kernel}" + (f" /{stride}" if stride != 1 else "")


OPS = [Pool("maxpool", "nn.MaxPool2d", "#e6bcd4"), Pool("avgpool", "nn.AvgPool2d", "#d9a3c2")]
