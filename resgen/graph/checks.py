"""Checks at residual joins, with a message that says how to fix the spec."""

from __future__ import annotations

from resgen.graph.shapes import Shape, format_shape


def implied_stride(in_shape: Shape, out_shape: Shape) -> int:
    """The stride a shortcut needs to match the main branch's spatial size."""
    if out_shape[1] >= in_shape[1]:
        return 1
    return -(-in_shape[1] // out_shape[1])


def join_problem(
    block: str, join: str, option: str, shapes: list[Shape]
) -> tuple[str, str] | None:
    """What is wrong where a block's branches meet, as (message, hint); None if they fit.

    `shapes` are the join's inputs in order: main then shortcut (shortcut then
    main for `concat`), then the gate's for `gate`.
    """
    main, short = (shapes[1], shapes[0]) if join == "concat" else (shapes[0], shapes[1])
    if join == "gate" and shapes[2] != main:
        return (
            f"{block}: the gate gives {format_shape(shapes[2])} but the main branch gives "
            f"{format_shape(main)}; the gate must match it (check its `out` and stride)",
            "",
        )
    same_space = main[1:] == short[1:]
    if (join == "concat" and same_space) or (join != "concat" and main == short):
        return None
    described = (
        f"{block}: the main branch gives {format_shape(main)} but the {_name(option)} "
        f"shortcut gives {format_shape(short)}"
    )
    if join == "concat":
        return f"{described}; a concat join needs equal spatial sizes", ""
    return described, _fix(option, short, main)


def _name(kind: str) -> str:
    return {"A": "zero-pad (A)", "B": "projection (B)", "C": "projection (C)",
            "D": "avg-down (D)"}.get(kind, kind)  # fmt: skip


def _fix(kind: str, short: Shape, main: Shape) -> str:
    if kind == "identity":
        changes = []
        if short[0] != main[0]:
            changes.append(f"{short[0]}→{main[0]} channels")
        if short[1:] != main[1:]:
            changes.append(f"the spatial size {format_shape(short[1:])}→{format_shape(main[1:])}")
        return f"an identity shortcut cannot change {' or '.join(changes)}; use shortcut A or B"
    return (
        "the shortcut cannot reach this shape: check the stride, padding and dilation "
        "of the main branch"
    )
