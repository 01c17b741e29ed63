"""A resgen op plugin: anti-aliased downsampling (`blurpool`).

Zhang, "Making Convolutional Networks Shift-Invariant Again" (ICML 2019):
blur with a fixed binomial filter, then subsample. The filter is a buffer,
not a parameter, so it adds no parameters and nothing to the state dict.

Use it with `resgen --plugin examples/plugins/blurpool.py build SPEC`; see
docs/ops.md, which walks through this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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

TAPS = 3  # the filter is [1, 2, 1] x [1, 2, 1] / 16


class BlurPoolArgs(StrictModel):
    """Anti-aliased downsampling: a fixed 3x3 binomial blur, then a stride."""

    stride: IntExpr = 2
    name: LayerName | None = None


class BlurPool(OpDef):
    name = "blurpool"
    args = BlurPoolArgs  # the keys a spec may write under `blurpool:`
    color = "#c6dbef"

    def resolve(self, raw: BlurPoolArgs, at: Resolver) -> dict[str, Any]:
        return {"stride": at.number("stride")}

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        c, h, w = spatial(inputs[0], self.name)  # refuses a flat input, with a message
        if min(h, w) < 2:
            raise ShapeProblem(f"blurpool pads by reflection, which needs 2×2 or more, not {h}×{w}")
        stride = args["stride"]
        return (c, (h - 1) // stride + 1, (w - 1) // stride + 1)  # reflect padding 1

    def macs(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        return shape[0] * shape[1] * shape[2] * TAPS * TAPS  # a depthwise 3x3 convolution

    def write_args(self, layer: Layer, writer: ArgWriter, channels: Any) -> dict[str, str]:
        stride = writer.code([args["stride"] for args in layer.args], layer.raw.stride)
        return {"channels": writer.code(list(layer.in_channels), channels), "stride": stride}

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        stride = keywords([("stride", args["stride"], "2")])  # left out when PyTorch's default
        return f"BlurPool2d({', '.join([args['channels'], *stride])})"

    def label(self, args: Mapping[str, Any], shape: Shape) -> str:
        return f"blurpool /{args['stride']}"

    # written once into every emitted file that uses the op
    helper_source = '''
class BlurPool2d(nn.Module):
    """Blur with a fixed [1, 2, 1] binomial filter per channel, then subsample."""

    def __init__(self, channels: int, stride: int = 2) -> None:
        super().__init__()
        self.channels = channels
        self.stride = stride
        taps = torch.tensor([1.0, 2.0, 1.0])
        kernel = (taps[:, None] * taps[None, :]) / 16
        self.register_buffer("kernel", kernel.expand(channels, 1, 3, 3).clone(), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        x = nn.functional.pad(x, (1, 1, 1, 1), mode="reflect")
        return nn.functional.conv2d(x, self.kernel, stride=self.stride, groups=self.channels)
'''


OPS = [BlurPool()]
