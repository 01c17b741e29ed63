"""Res2Net's hierarchical split (`hierarchical_split`; Gao et al. 2019, timm's `Bottle2neck`).

The input's channels are split into `scale` groups of `width = channels / scale`.
Each group but the last goes through its own 3x3 conv, BN and ReLU; from the
second on, the previous group's output is added to it first. The last group
passes through unchanged, and the outputs are concatenated. In a block's first
use (`first`: a strided block, or one with a projection), no outputs are added,
the convolutions carry the stride, and the last group is average-pooled (3x3,
padding 1) by the same stride.

Its modules are attributes of the block itself, under timm's names (`convs.0`,
`bns.0`, ..., `pool`), so the op's constructor returns the three of them.
"""

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
    require_batch_norm_relu,
    spatial,
)
from resgen.ops.conv import check_spatial, conv_size
from resgen.spec.fields import IntExpr, StrictModel

KERNEL = 3


class HierarchicalSplitArgs(StrictModel):
    """Res2Net's hierarchical split into `scale` groups of 3x3 conv-BN-ReLU."""

    scale: IntExpr = 4
    stride: IntExpr = 1
    dilation: IntExpr = 1
    groups: IntExpr = 1
    first: StrictBool | str = False  # true, false or an expression (`stride > 1`)


class HierarchicalSplit(OpDef):
    name = "hierarchical_split"
    args = HierarchicalSplitArgs
    color = "#c7e9df"
    fresh_output = True
    weighted = True

    def attributes(self, attr: str) -> tuple[str, ...]:
        return ("convs", "bns", "pool")

    def resolve(self, raw: HierarchicalSplitArgs, at: Resolver) -> dict[str, Any]:
        layout = "hierarchical_split is written with BatchNorm and ReLU (timm's Bottle2neck)"
        require_batch_norm_relu(at, layout, "hierarchical_split layers")
        first = raw.first
        if not isinstance(first, bool):
            first = at.value(first, "first", minimum=0, integer=False)
            if not isinstance(first, bool):
                raise at.error("first", f"`first` must be true or false, not {first!r}")
        args = {
            "scale": at.number("scale", minimum=2),
            "stride": at.number("stride"),
            "dilation": at.number("dilation"),
            "groups": at.number("groups"),
            "first": first,
        }
        if len(at.in_shape) == 3:
            args["width"] = at.in_shape[0] // args["scale"]
        return args

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        c, h, w = spatial(inputs[0], self.name)
        scale, groups = args["scale"], args["groups"]
        if c % scale:
            raise ShapeProblem(f"scale={scale} must divide the input channels ({c})")
        if (c // scale) % groups:
            raise ShapeProblem(
                f"groups={groups} must divide the width of each split ({c} / {scale} = "
                f"{c // scale})"
            )
        if args["stride"] > 1 and not args["first"]:
            raise ShapeProblem("a strided hierarchical_split must be `first: true`")
        dilation, stride = args["dilation"], args["stride"]
        out_h = conv_size(h, KERNEL, stride, dilation, dilation)
        out_w = conv_size(w, KERNEL, stride, dilation, dilation)
        check_spatial(out_h, out_w, "hierarchical_split", h, w)
        return (c, out_h, out_w)

    def params(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        width = in_shape[0] // args["scale"]
        conv = width * (width // args["groups"]) * KERNEL**2
        return (args["scale"] - 1) * (conv + 2 * width)  # each split's conv and BN

    def macs(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        width = in_shape[0] // args["scale"]
        per_split = shape[1] * shape[2] * width * (width // args["groups"]) * KERNEL**2
        return (args["scale"] - 1) * per_split

    def write_args(self, layer: Layer, writer: ArgWriter, channels: Any) -> dict[str, str]:
        raw = layer.raw
        written = {
            key: writer.code([args[key] for args in layer.args], getattr(raw, key))
            for key in ("scale", "stride", "dilation", "groups", "first")
        }
        widths = [args["width"] for args in layer.args]
        written["width"] = writer.code(widths, f"({channels}) // ({raw.scale})")
        return written

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        named = [
            f"{key}={args[key]}"
            for key, default in (("stride", "1"), ("dilation", "1"), ("groups", "1"))
            if args[key] != default
        ]
        if args["first"] != "False":
            named.append(f"first={args['first']}")
        return f"res2net_split({', '.join([args['width'], args['scale'], *named])})"

    def forward(self, attr: str, x: str) -> str:
        return f"res2net_forward({x}, self.convs, self.bns, self.pool)"

    def label(self, args: Mapping[str, Any], shape: Shape) -> str:
        text = f"res2net ×{args.get('scale', '?')}"
        if args.get("stride", 1) != 1:
            text += f" /{args['stride']}"
        return text

    helper_source = '''
def res2net_split(
    width: int, scale: int, stride: int = 1, dilation: int = 1, groups: int = 1,
    first: bool = False,
) -> tuple[nn.ModuleList, nn.ModuleList, nn.Module | None]:
    """Res2Net's split modules: a 3x3 conv and a BN per split but the last, and in a
    block's first use the average pool of the last split."""
    convs = nn.ModuleList(
        nn.Conv2d(width, width, 3, stride, dilation, dilation, groups, bias=False)
        for _ in range(scale - 1)
    )
    bns = nn.ModuleList(nn.BatchNorm2d(width) for _ in range(scale - 1))
    pool = nn.AvgPool2d(kernel_size=3, stride=stride, padding=1) if first else None
    return convs, bns, pool


def res2net_forward(
    x: Tensor, convs: nn.ModuleList, bns: nn.ModuleList, pool: nn.Module | None
) -> Tensor:
    """Each split through its conv-BN-ReLU, after adding the previous split's output
    (not in a first use, which pools the last split); the last passes; concatenated."""
    splits = torch.split(x, x.shape[1] // (len(convs) + 1), 1)
    outs = []
    out = splits[0]
    for i, (conv, bn) in enumerate(zip(convs, bns)):
        out = splits[i] if i == 0 or pool is not None else out + splits[i]
        out = torch.relu(bn(conv(out)))
        outs.append(out)
    outs.append(splits[-1] if pool is None else pool(splits[-1]))
    return torch.cat(outs, 1)
'''


OPS = [HierarchicalSplit()]
