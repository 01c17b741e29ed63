"""Shape arithmetic agrees with PyTorch, odd sizes included."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from resgen import ops
from resgen.graph.shapes import ShapeProblem


def infer(op: str, args: dict, inputs: list) -> tuple:
    """The op's own shape rule (resgen/ops/)."""
    return ops.get(op).shape(args, inputs)


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "dilation"),
    list(itertools.product([1, 5, 7, 8, 13], [1, 3, 4, 7], [1, 2, 3], [0, 1, 3], [1, 2])),
)
def test_conv_matches_pytorch(
    size: int, kernel: int, stride: int, padding: int, dilation: int
) -> None:
    args = {"out": 4, "kernel": kernel, "stride": stride, "padding": padding,
            "dilation": dilation, "groups": 1}  # fmt: skip
    x = torch.zeros(1, 2, size, size + 1)
    conv = nn.Conv2d(2, 4, kernel, stride=stride, padding=padding, dilation=dilation)
    try:
        expected = tuple(conv(x).shape[1:])
    except RuntimeError:
        with pytest.raises(ShapeProblem, match="shrinks the spatial size"):
            infer("conv", args, [(2, size, size + 1)])
        return
    assert infer("conv", args, [(2, size, size + 1)]) == expected


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "ceil_mode"),
    [
        c
        for c in itertools.product([2, 5, 7, 8, 13], [2, 3, 4], [1, 2, 3], [0, 1], [False, True])
        if c[3] * 2 <= c[1] and c[1] <= c[0] + 2 * c[3]
    ],
)
def test_pools_match_pytorch(
    size: int, kernel: int, stride: int, padding: int, ceil_mode: bool
) -> None:
    args = {"kernel": kernel, "stride": stride, "padding": padding, "ceil_mode": ceil_mode}
    x = torch.zeros(1, 3, size, size)
    for op, module in (
        ("maxpool", nn.MaxPool2d(kernel, stride, padding, ceil_mode=ceil_mode)),
        ("avgpool", nn.AvgPool2d(kernel, stride, padding, ceil_mode=ceil_mode)),
    ):
        assert infer(op, args, [(3, size, size)]) == tuple(module(x).shape[1:]), op


def test_groups_must_divide_channels() -> None:
    args = {"out": 64, "kernel": 3, "stride": 1, "padding": 1, "dilation": 1, "groups": 5}
    with pytest.raises(ShapeProblem, match="groups=5 must divide"):
        infer("conv", args, [(60, 8, 8)])


def test_zero_pad_shortcut_matches_strided_convolution_sizes() -> None:
    for size in (7, 8, 9, 15):
        conv = {"out": 40, "kernel": 3, "stride": 2, "padding": 1, "dilation": 1, "groups": 1}
        pad = {"stride": 2, "extra_channels": 24}
        assert infer("zeropad", pad, [(16, size, size)]) == infer("conv", conv, [(16, size, size)])
