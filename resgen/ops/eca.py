"""Efficient channel attention (`eca`): channel weights from a 1-D conv over channel means.

Wang et al., "ECA-Net: Efficient Channel Attention for Deep Convolutional Neural
Networks" (CVPR 2020), as timm's `EcaModule`: global average pool, a 1-D
convolution across the channels whose (odd) kernel grows with log2 of the channel
count, a sigmoid, and a rescale of the input.
"""

import math
from collections.abc import Mapping
from typing import Any

from resgen.ops.base import ArgWriter, Layer, OpDef, Resolver, Shape, keywords, spatial
from resgen.spec.fields import IntExpr, LayerName, StrictModel


class EcaArgs(StrictModel):
    """Efficient channel attention: kernel = the odd number near (log2(C) + beta) / gamma, >= 3."""

    gamma: IntExpr = 2
    beta: IntExpr = 1
    name: LayerName | None = None


def eca_kernel(channels: int, gamma: int = 2, beta: int = 1) -> int:
    """ECA's adaptive kernel size, exactly as timm computes it."""
    t = int(abs(math.log(channels, 2) + beta) / gamma)
    return max(t if t % 2 else t + 1, 3)


class EfficientChannelAttention(OpDef):
    name = "eca"
    args = EcaArgs
    helper = "eca"
    color = "#f9e4b7"
    fresh_output = True

    def resolve(self, raw: EcaArgs, at: Resolver) -> dict[str, Any]:
        args = {"gamma": at.number("gamma"), "beta": at.number("beta", minimum=0)}
        if len(at.in_shape) == 3:
            args["kernel"] = eca_kernel(at.in_shape[0], args["gamma"], args["beta"])
        return args

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        spatial(inputs[0], self.name)
        return inputs[0]

    def params(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        return args["kernel"]  # one Conv1d(1, 1, kernel, bias=False)

    def macs(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        return shape[0] * args["kernel"]  # the 1-D convolution over the C channel means

    def write_args(self, layer: Layer, writer: ArgWriter, channels: Any) -> dict[str, str]:
        raw = layer.raw
        written = {
            key: writer.code([args[key] for args in layer.args], getattr(raw, key))
            for key in ("gamma", "beta")
        }
        return {**written, "channels": writer.code(list(layer.in_channels), channels)}

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        named = keywords([("gamma", args["gamma"], "2"), ("beta", args["beta"], "1")])
        return f"EfficientChannelAttention({', '.join([args['channels'], *named])})"

    def label(self, args: Mapping[str, Any], shape: Shape) -> str:
        return f"eca k{args['kernel']}" if "kernel" in args else "eca"


OPS = [EfficientChannelAttention()]
