"""Selective kernel convolution (`selective_kernel`): parallel conv paths mixed by attention.

Li et al., "Selective Kernel Networks" (CVPR 2019), in timm's layout
(`timm.layers.SelectiveKernel`, used by `skresnet18`/`skresnet34`): the input is
(by default) split across the paths; each path is conv-BN-ReLU with its own
kernel, a k×k kernel written as a 3×3 one dilated to the same reach (`keep_3x3`);
the paths' sum is pooled and squeezed (1×1 conv, BN, ReLU) and a 1×1 conv gives
one logit per path and channel; a softmax across the paths weighs their sum.

The language has no parallel branches inside a block, so the whole unit is one
op whose emitted helper, `SelectiveKernel`, keeps timm's parameter names
(`paths.0.conv`, `paths.0.bn`, `attn.fc_reduce`, `attn.bn`, `attn.fc_select`).
Its norms are batch norm and its activations ReLU, as timm's defaults.
"""

from collections.abc import Mapping
from typing import Any

from pydantic import Field, StrictBool, StrictInt

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

DEFAULT_KERNELS = (3, 5)


class SelectiveKernelArgs(StrictModel):
    """Selective kernel convolution (SKNet, timm's layout) to `out` channels."""

    out: IntExpr
    kernels: list[StrictInt] = Field(
        default_factory=lambda: list(DEFAULT_KERNELS),
        description="each path's kernel (odd, >= 3); with keep_3x3, a dilated 3x3 of that reach",
    )
    stride: IntExpr = 1
    dilation: IntExpr = 1
    groups: IntExpr = 1
    reduction: IntExpr = 16
    divisor: IntExpr = 8
    keep_3x3: StrictBool = True
    split_input: StrictBool = True
    name: LayerName | None = None


def attention_channels(channels: int, reduction: int, divisor: int) -> int:
    """`channels / reduction` rounded to a multiple of `divisor`, never below 90% (timm's rule)."""
    wanted = channels / reduction
    rounded = max(divisor, int(wanted + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * wanted else rounded


def path_geometry(args: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(kernel, dilation) of each path."""
    kernels, dilation = args["kernels"], args["dilation"]
    if args["keep_3x3"]:
        return [(3, dilation * (k - 1) // 2) for k in kernels]
    return [(k, dilation) for k in kernels]


def padding(kernel: int, stride: int, dilation: int) -> int:
    return (stride - 1 + dilation * (kernel - 1)) // 2  # timm's symmetric padding


class SelectiveKernel(OpDef):
    name = "selective_kernel"
    attribute = "conv"
    weighted = True
    args = SelectiveKernelArgs
    helper = "selective_kernel"
    color = "#7fbfe6"
    fresh_output = True

    def resolve(self, raw: SelectiveKernelArgs, at: Resolver) -> dict[str, Any]:
        layout = "selective_kernel's paths are conv-BN-ReLU (timm's layout)"
        require_batch_norm_relu(at, layout, "selective_kernel blocks")
        if not raw.kernels or any(k < 3 or k % 2 == 0 for k in raw.kernels):
            raise at.error("kernels", f"kernels must be odd and at least 3, got {raw.kernels}")
        args = {
            "out": at.number("out"),
            "kernels": tuple(raw.kernels),
            "stride": at.number("stride"),
            "dilation": at.number("dilation"),
            "groups": at.number("groups"),
            "reduction": at.number("reduction"),
            "divisor": at.number("divisor"),
            "keep_3x3": raw.keep_3x3,
            "split_input": raw.split_input,
        }
        args["attn"] = attention_channels(args["out"], args["reduction"], args["divisor"])
        if len(at.in_shape) == 3:
            args["in"] = at.in_shape[0]
        return args

    def _path_in(self, args: Mapping[str, Any], channels: int) -> int:
        return channels // len(args["kernels"]) if args["split_input"] else channels

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        c, h, w = spatial(inputs[0], self.name)
        paths = len(args["kernels"])
        if args["split_input"] and c % paths:
            raise ShapeProblem(
                f"split_input divides the {c} input channels among {paths} paths; "
                "make them a multiple or set split_input: false"
            )
        path_in, out = self._path_in(args, c), args["out"]
        groups = min(out, args["groups"])
        if path_in % groups or out % groups:
            raise ShapeProblem(
                f"groups={groups} must divide each path's input channels ({path_in}) "
                f"and the output channels ({out})"
            )
        stride = args["stride"]
        sizes = set()
        for kernel, dilation in path_geometry(args):
            geometry = (kernel, stride, padding(kernel, stride, dilation), dilation)
            out_h, out_w = conv_size(h, *geometry), conv_size(w, *geometry)
            check_spatial(out_h, out_w, "selective kernel path", h, w)
            sizes.add((out_h, out_w))
        (size,) = sizes  # odd kernels with symmetric padding: every path agrees
        return (out, *size)

    def params(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        out, attn, paths = args["out"], args["attn"], len(args["kernels"])
        per_in = self._path_in(args, args["in"]) // min(out, args["groups"])
        convs = sum(out * per_in * k * k for k, _ in path_geometry(args))
        return convs + paths * 2 * out + out * attn + 2 * attn + attn * out * paths

    def macs(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        out, attn, paths = args["out"], args["attn"], len(args["kernels"])
        per_in = self._path_in(args, args["in"]) // min(out, args["groups"])
        convs = sum(shape[0] * shape[1] * shape[2] * per_in * k * k for k, _ in path_geometry(args))
        return convs + out * attn + attn * out * paths  # the paths, then two 1x1 convs on 1x1

    def write_args(self, layer: Layer, writer: ArgWriter, channels: Any) -> dict[str, str]:
        raw = layer.raw
        written = {
            key: writer.code([args[key] for args in layer.args], getattr(raw, key))
            for key in ("out", "stride", "dilation", "groups", "reduction", "divisor")
        }
        written["kernels"] = repr(tuple(raw.kernels))
        written["keep_3x3"] = repr(raw.keep_3x3)
        written["split_input"] = repr(raw.split_input)
        return {"in": writer.code(list(layer.in_channels), channels), **written}

    def out_channels(self, layer: Layer, channels: Any) -> Any:
        return layer.raw.out

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        named = keywords(
            [
                ("kernels", args["kernels"], repr(DEFAULT_KERNELS)),
                ("stride", args["stride"], "1"),
                ("dilation", args["dilation"], "1"),
                ("groups", args["groups"], "1"),
                ("reduction", args["reduction"], "16"),
                ("divisor", args["divisor"], "8"),
                ("keep_3x3", args["keep_3x3"], "True"),
                ("split_input", args["split_input"], "True"),
            ]
        )
        return f"SelectiveKernel({', '.join([args['in'], args['out'], *named])})"

    def label(self, args: Mapping[str, Any], shape: Shape) -> str:
        if "kernels" not in args:
            return "selective kernel"
        reach = ",".join(str(k) for k in args["kernels"])
        text = f"SK {reach}"
        if args.get("stride", 1) != 1:
            text += f" /{args['stride']}"
        return f"{text}, {args.get('out', '?')}"


OPS = [SelectiveKernel()]
