"""Checks at residual joins, with a message that says how to fix the spec."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resgen.graph.shapes import Shape, format_shape

if TYPE_CHECKING:
    from resgen.graph.expand import Expander
    from resgen.spec.yaml_source import Path as KeyPath


def implied_stride(in_shape: Shape, out_shape: Shape) -> int:
    """The stride a shortcut needs to match the main branch's spatial size."""
    if out_shape[1] >= in_shape[1]:
        return 1
    return -(-in_shape[1] // out_shape[1])


def check_join(
    expander: Expander,
    block: str,
    join: str,
    shortcut_kind: str,
    inputs: list[tuple[str, dict[str, Any]]],
    path: KeyPath,
) -> None:
    shapes = [expander.graph.nodes[node]["shape"] for node, _ in inputs]
    main, short = (shapes[1], shapes[0]) if join == "concat" else (shapes[0], shapes[1])
    if join == "gate" and shapes[2] != main:
        raise expander.error(
            path,
            f"{block}: the gate gives {format_shape(shapes[2])} but the main branch gives "
            f"{format_shape(main)}; the gate must match it (check its `out` and stride)",
        )
    same_space = main[1:] == short[1:]
    if (join == "concat" and same_space) or (join != "concat" and main == short):
        return
    described = (
        f"{block}: the main branch gives {format_shape(main)} but the {_name(shortcut_kind)} "
        f"shortcut gives {format_shape(short)}"
    )
    if join == "concat":
        raise expander.error(path, f"{described}; a concat join needs equal spatial sizes")
    raise expander.error(path, described, _fix(shortcut_kind, short, main))


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
