"""ResNeSt's split attention (`split_attention`; Zhang et al. 2020, timm's `SplitAttn`).

A grouped conv to `out * radix` channels (groups `groups * radix`), BN, ReLU;
the `radix` splits are summed, globally averaged, and go through `fc1` (a 1x1
conv to the attention width), BN, ReLU and `fc2` (back to `out * radix`); a
softmax across the radix (a sigmoid when `radix` is 1) weighs the splits, whose
weighted sum is the output. Submodule names are timm's: `conv`, `bn0`, `fc1`,
`bn1`, `fc2`.
"""

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
    require_batch_norm_relu,
    spatial,
)
from resgen.ops.conv import check_spatial, conv_size
from resgen.spec.fields import IntExpr, LayerName, StrictModel

MIN_ATTENTION = 32  # timm: make_divisible(..., min_value=32)


class SplitAttentionArgs(StrictModel):
    """Split attention: a radix-split grouped conv weighed by a softmax over the splits."""

    out: IntExpr
    kernel: IntExpr = 3
    stride: IntExpr = 1
    dilation: IntExpr = 1
    groups: IntExpr = 1
    radix: IntExpr = 2
    reduction: IntExpr = 4  # attention width: in * radix / reduction (timm's rd_ratio 0.25)
    divisor: IntExpr = 8
    name: LayerName | None = None


def attention_channels(channels: int, radix: int, reduction: int, divisor: int) -> int:
    """timm's `make_divisible(channels * radix / reduction, divisor, min_value=32)`."""
    value = channels * radix / reduction
    rounded = max(MIN_ATTENTION, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class SplitAttention(OpDef):
    name = "split_attention"
    attribute = "conv"
    args = SplitAttentionArgs
    color = "#66c2a5"
    weighted = True
    fresh_output = True

    def resolve(self, raw: SplitAttentionArgs, at: Resolver) -> dict[str, Any]:
        layout = "split_attention is written with BatchNorm and ReLU (timm's SplitAttn)"
        require_batch_norm_relu(at, layout, "split_attention layers")
        args = {
            key: at.number(key)
            for key in ("out", "kernel", "stride", "dilation", "groups", "radix")
        }
        reduction, divisor = at.number("reduction"), at.number("divisor")
        args.update(reduction=reduction, divisor=divisor)
        if len(at.in_shape) == 3:
            args["in"] = at.in_shape[0]
            args["attention"] = attention_channels(
                at.in_shape[0], args["radix"], reduction, divisor
            )
        return args

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        c, h, w = spatial(inputs[0], self.name)
        groups, radix, out = args["groups"], args["radix"], args["out"]
        if c % (groups * radix) or out % groups:
            raise ShapeProblem(
                f"groups × radix = {groups * radix} must divide the input channels ({c}), "
                f"and groups={groups} the output channels ({out})"
            )
        if args["attention"] % groups:
            raise ShapeProblem(
                f"groups={groups} must divide the attention width ({args['attention']})"
            )
        kernel, stride, dilation = args["kernel"], args["stride"], args["dilation"]
        padding = dilation * (kernel - 1) // 2
        out_h = conv_size(h, kernel, stride, padding, dilation)
        out_w = conv_size(w, kernel, stride, padding, dilation)
        check_spatial(out_h, out_w, "split_attention", h, w)
        return (out, out_h, out_w)

    @staticmethod
    def _counts(args: Mapping[str, Any]) -> tuple[int, int, int]:
        """Weights of the conv, fc1 and fc2."""
        mid, attention, groups = args["out"] * args["radix"], args["attention"], args["groups"]
        conv = mid * (args["in"] // (groups * args["radix"])) * args["kernel"] ** 2
        return conv, attention * (args["out"] // groups), mid * (attention // groups)

    def params(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        conv, fc1, fc2 = self._counts(args)
        mid, attention = args["out"] * args["radix"], args["attention"]
        # bn0 and bn1 have a weight and a bias per channel; fc1 and fc2 have biases
        return conv + 2 * mid + fc1 + attention + 2 * attention + fc2 + mid

    def macs(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        conv, fc1, fc2 = self._counts(args)
        return shape[1] * shape[2] * conv + fc1 + fc2  # the fcs act on the pooled 1x1 map

    def write_args(self, layer: Layer, writer: ArgWriter, channels: Any) -> dict[str, str]:
        raw = layer.raw
        keys = ("out", "kernel", "stride", "dilation", "groups", "radix", "reduction", "divisor")
        written = {
            key: writer.code([a[key] for a in layer.args], getattr(raw, key)) for key in keys
        }
        written["in"] = writer.code(list(layer.in_channels), channels)
        return written

    def out_channels(self, layer: Layer, channels: Any) -> Any:
        return layer.raw.out

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        named = keywords(
            [
                ("kernel_size", args["kernel"], "3"),
                ("stride", args["stride"], "1"),
                ("dilation", args["dilation"], "1"),
                ("groups", args["groups"], "1"),
                ("radix", args["radix"], "2"),
                ("reduction", args["reduction"], "4"),
                ("divisor", args["divisor"], "8"),
            ]
        )
        return f"SplitAttention({', '.join([args['in'], args['out'], *named])})"

    def label(self, args: Mapping[str, Any], shape: Shape) -> str:
        kernel = args.get("kernel", "?")
        text = f"split-attn {kernel}×{kernel} r{args.get('radix', '?')}"
        if args.get("stride", 1) != 1:
            text += f" /{args['stride']}"
        return f"{text}, {args.get('out', '?')}"

    helper_source = '''
class SplitAttention(nn.Module):
    """Split attention (ResNeSt): a radix-split grouped conv, its splits weighed by a
    softmax over the radix of an attention computed from their pooled sum."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
        dilation: int = 1, groups: int = 1, radix: int = 2, reduction: int = 4,
        divisor: int = 8,
    ) -> None:
        super().__init__()
        self.radix = radix
        self.groups = groups
        mid = out_channels * radix
        value = in_channels * radix / reduction
        attention = max(32, int(value + divisor / 2) // divisor * divisor)
        attention += divisor if attention < 0.9 * value else 0
        padding = dilation * (kernel_size - 1) // 2
        self.conv = nn.Conv2d(
            in_channels, mid, kernel_size, stride, padding, dilation, groups * radix, bias=False
        )
        self.bn0 = nn.BatchNorm2d(mid)
        self.act0 = nn.ReLU(inplace=True)
        self.fc1 = nn.Conv2d(out_channels, attention, 1, groups=groups)
        self.bn1 = nn.BatchNorm2d(attention)
        self.act1 = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(attention, mid, 1, groups=groups)

    def forward(self, x: Tensor) -> Tensor:
        x = self.act0(self.bn0(self.conv(x)))
        batch, channels, height, width = x.shape
        if self.radix > 1:
            x = x.reshape(batch, self.radix, channels // self.radix, height, width)
            pooled = x.sum(dim=1)
        else:
            pooled = x
        pooled = pooled.mean((2, 3), keepdim=True)
        attention = self.fc2(self.act1(self.bn1(self.fc1(pooled))))
        if self.radix > 1:
            attention = attention.view(batch, self.groups, self.radix, -1).transpose(1, 2)
            attention = torch.softmax(attention, dim=1).reshape(batch, -1)
            attention = attention.reshape(batch, self.radix, channels // self.radix, 1, 1)
            return (x * attention).sum(dim=1)
        return x * torch.sigmoid(attention)
'''


OPS = [SplitAttention()]
