"""Exact output-shape arithmetic for each op, as PyTorch computes it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

Shape = tuple[int, ...]


class ShapeProblem(ValueError):
    """An op that cannot run on its input; the message says why."""


def spatial(shape: Shape, op: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ShapeProblem(
            f"{op} needs a C×H×W input but gets {format_shape(shape)}; move it before `flatten`"
        )
    return shape[0], shape[1], shape[2]


def format_shape(shape: Shape) -> str:
    return "×".join(map(str, shape))


def se_channels(channels: int, reduction: int, divisor: int) -> int:
    """Squeeze-excitation width: `channels / reduction` rounded to a multiple of `divisor`."""
    return max(divisor, int(channels / reduction + divisor / 2) // divisor * divisor)


def conv_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def pool_size(size: int, kernel: int, stride: int, padding: int, ceil_mode: bool) -> int:
    span = size + 2 * padding - kernel
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1  # PyTorch: the last window must start inside the input
    return out


def _check_spatial(out_h: int, out_w: int, op: str, in_h: int, in_w: int) -> None:
    if out_h < 1 or out_w < 1:
        raise ShapeProblem(
            f"{op} shrinks the spatial size {in_h}×{in_w} to {out_h}×{out_w}; "
            "use a larger input, fewer strides or more padding"
        )


def infer(op: str, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
    """The output shape of `op` on `inputs`, or ShapeProblem."""
    if op in {"add", "gate"}:
        return inputs[0]
    if op == "concat":
        channels = sum(shape[0] for shape in inputs)
        return (channels, *inputs[0][1:])
    (shape,) = inputs
    if op == "conv":
        c, h, w = spatial(shape, op)
        groups = args["groups"]
        if c % groups or args["out"] % groups:
            raise ShapeProblem(
                f"groups={groups} must divide both the input channels ({c}) "
                f"and the output channels ({args['out']})"
            )
        geometry = (args["kernel"], args["stride"], args["padding"], args["dilation"])
        out_h, out_w = conv_size(h, *geometry), conv_size(w, *geometry)
        _check_spatial(out_h, out_w, "convolution", h, w)
        return (args["out"], out_h, out_w)
    if op in {"maxpool", "avgpool"}:
        c, h, w = spatial(shape, op)
        if args.get("kernel") is None:
            return (c, 1, 1)
        kernel, stride, padding = args["kernel"], args["stride"], args["padding"]
        if padding * 2 > kernel:
            raise ShapeProblem(f"pool padding {padding} must be at most half the kernel {kernel}")
        out_h = pool_size(h, kernel, stride, padding, args["ceil_mode"])
        out_w = pool_size(w, kernel, stride, padding, args["ceil_mode"])
        _check_spatial(out_h, out_w, op, h, w)
        return (c, out_h, out_w)
    if op == "zeropad":
        c, h, w = spatial(shape, op)
        stride = args["stride"]
        return (c + args["extra_channels"], -(-h // stride), -(-w // stride))
    if op in {"bn", "norm", "se"}:
        spatial(shape, op)
        return shape
    if op == "gn":
        channels = spatial(shape, op)[0]
        if channels % args["groups"]:
            raise ShapeProblem(
                f"group norm with {args['groups']} groups cannot split {channels} channels; "
                "set `norm_groups` to a divisor"
            )
        return shape
    if op == "flatten":
        return (math.prod(shape),)
    if op == "linear":
        if len(shape) != 1:
            raise ShapeProblem(
                f"linear needs a flat input but gets {format_shape(shape)}; "
                "add `avgpool: {}` and `flatten` before it"
            )
        return (args["out"],)
    return shape  # activations, dropout: shape-preserving
