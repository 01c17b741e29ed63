"""Shortcuts, in one place: which layers carry a block's input to its join, per spec
option, and how the emitted code builds them, per kind.

A builder gets the shapes on both sides and returns the shortcut's kind and
its layers in module order. `emitted_call` writes the module for a kind; the
helpers it calls (templates/helpers/) build the same layers in the same order,
so layer i of a several-layer shortcut is `downsample.i` in the state dict;
`None` holds a place with no parameters (the `nn.Identity()` of an avg-down
shortcut at stride 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from resgen.graph.checks import implied_stride
from resgen.graph.model import Shortcut
from resgen.graph.shapes import Shape
from resgen.spec.names import HELPER_NAMES

Layers = list[tuple[str, dict[str, Any]] | None]


class ShortcutProblem(ValueError):
    """A shortcut that cannot reach the main branch's shape; `hint` says what would."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Need:
    """What the shortcut must bridge: the block input's shape and the main branch's."""

    in_shape: Shape
    main_shape: Shape
    with_norm: bool  # the spec's `shortcut_norm`
    split: bool = False  # the spec's `zero_pad: split`: half the new channels go first

    @property
    def stride(self) -> int:
        return implied_stride(self.in_shape, self.main_shape)

    @property
    def changes(self) -> bool:
        return self.in_shape[0] != self.main_shape[0] or self.stride != 1

    def conv(self, stride: int) -> tuple[str, dict[str, Any]]:
        channels = {"in": self.in_shape[0], "out": self.main_shape[0]}
        geometry = {"kernel": 1, "stride": stride, "padding": 0, "dilation": 1, "groups": 1}
        return "conv", {**channels, **geometry, "bias": False}


Builder = Callable[[Need], tuple[str, Layers]]


def identity(need: Need) -> tuple[str, Layers]:
    return "identity", []


def zero_pad(need: Need) -> tuple[str, Layers]:
    """Option A: subsample, then pad the new channels with zeros (no parameters)."""
    if not need.changes:
        return "identity", []
    in_c, out_c = need.in_shape[0], need.main_shape[0]
    if out_c < in_c:
        raise ShortcutProblem(
            f"shortcut A can only add channels, not reduce {in_c}→{out_c}",
            "use shortcut B (a 1x1 projection)",
        )
    args = {"stride": need.stride, "extra_channels": out_c - in_c}
    if need.split:  # pytorch_resnet_cifar10: F.pad(x, (0, 0, 0, 0, planes // 4, planes // 4))
        args["before"] = (out_c - in_c) // 2
    return "zeropad", [("zeropad", args)]


def projection(need: Need) -> tuple[str, Layers]:
    """Options B (where the shape changes) and C (every block): a 1x1 conv, then BN."""
    if not need.with_norm:
        return "conv", [need.conv(need.stride)]
    return "projection", [need.conv(need.stride), ("bn", {})]


def projection_where_shape_changes(need: Need) -> tuple[str, Layers]:
    return projection(need) if need.changes else identity(need)


def avg_down(need: Need) -> tuple[str, Layers]:
    """Option D (ResNet-D): average-pool by the stride, then a 1x1 conv and BN."""
    if not need.changes:
        return "identity", []
    stride = need.stride
    pool = {"kernel": stride, "stride": stride, "padding": 0, "ceil_mode": True}
    layers: Layers = [("avgpool", pool) if stride > 1 else None, need.conv(1)]
    if not need.with_norm:
        return "avgdown_conv", layers
    return "avgdown", [*layers, ("bn", {})]


BUILDERS: dict[str, Builder] = {
    "identity": identity,
    "A": zero_pad,
    "B": projection_where_shape_changes,
    "C": projection,
    "D": avg_down,
}


def layer_names(prefix: str, layers: Layers) -> list[str]:
    """Node ids of the layers: `prefix` for one module, `prefix.i` inside a Sequential."""
    if len(layers) == 1:
        return [prefix]
    return [f"{prefix}.{index}" for index in range(len(layers))]


# the kinds whose module the emitted file builds with a helper of `names.HELPERS`
SHORTCUT_HELPERS = ("zeropad", "projection", "avgdown")


def emitted_call(s: Shortcut) -> str:
    """The expression that builds a shortcut of kind `s.kind` in the emitted code."""
    stride = f", stride={s.stride}" if s.stride != 1 else ""
    if s.kind == "zeropad":
        extra = s.out_channels - s.in_channels
        before = f", before={s.pad_before}" if s.pad_before else ""
        return f"{HELPER_NAMES['zeropad']}(stride={s.stride}, extra_channels={extra}{before})"
    if s.kind == "conv":
        return f"nn.Conv2d({s.in_channels}, {s.out_channels}, kernel_size=1{stride}, bias=False)"
    if s.kind == "avgdown_conv":
        pool = f"nn.AvgPool2d({s.stride}, ceil_mode=True, count_include_pad=False)"
        conv = f"nn.Conv2d({s.in_channels}, {s.out_channels}, kernel_size=1, bias=False)"
        return f"nn.Sequential({pool if s.stride > 1 else 'nn.Identity()'}, {conv})"
    return f"{HELPER_NAMES[s.kind]}({s.in_channels}, {s.out_channels}{stride})"
