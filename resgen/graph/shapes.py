"""Shapes: the type every op's shape rule (resgen/ops/) takes and returns."""

from __future__ import annotations

Shape = tuple[int, ...]


class ShapeProblem(ValueError):
    """An op that cannot run on its input; the message says why."""


def spatial(shape: Shape, op: str) -> tuple[int, int, int]:
    """`(C, H, W)` of an op's input, or ShapeProblem for a flat one."""
    if len(shape) != 3:
        raise ShapeProblem(
            f"{op} needs a C×H×W input but gets {format_shape(shape)}; move it before `flatten`"
        )
    return shape[0], shape[1], shape[2]


def format_shape(shape: Shape) -> str:
    return "×".join(map(str, shape))

