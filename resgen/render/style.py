"""Colours and line styles shared by the Graphviz and the HTML renderings.

Each op carries its own colour and, for joins, its symbol (resgen/ops/). An op
without a colour gets one from a stable hash of its name, so a new op is drawn
(and drawn the same on every run) without a change here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from resgen import ops
from resgen.ops.join import Add, Concat, Gate, JoinStyle

_EXTRA = ("#ccebc5", "#b3cde3", "#decbe4", "#fed9a6", "#e5d8bd", "#fddaec", "#d9d9d9", "#b3e2cd")

GROUP_COLOR = "#f2f2f2"  # collapsed stages and blocks
CHANGE_COLOR = "#c0392b"  # the block where the shape changes
TEXT_COLOR = "#222222"
EDGE_COLOR = "#555555"


def op_color(op: str) -> str:
    """The op's own colour (resgen/ops/), else one from a stable hash of its name."""
    definition = ops.get(op)
    if definition is not None and definition.color:
        return definition.color
    digest = hashlib.sha256(op.encode()).digest()
    return _EXTRA[digest[0] % len(_EXTRA)]


@dataclass(frozen=True)
class LineStyle:
    color: str
    dot_style: str  # Graphviz `style`
    dash: str  # SVG stroke-dasharray ("" for solid)
    width: float
    label: str  # legend text


SHORTCUTS: dict[str, LineStyle] = {
    "identity": LineStyle("#555555", "dashed", "6 4", 1.4, "identity shortcut"),
    "zeropad": LineStyle("#e6550d", "dotted", "2 3", 2.2, "zero-pad shortcut (A)"),
    "projection": LineStyle("#2171b5", "bold", "", 2.2, "projection shortcut (B/C: 1×1 conv)"),
    "avgdown": LineStyle("#6a51a3", "bold", "10 3 2 3", 2.2, "avg-down shortcut (D)"),
}
_OTHER_SHORTCUT = LineStyle("#7f7f7f", "solid", "", 1.6, "shortcut")


def shortcut_style(kind: str) -> LineStyle:
    return SHORTCUTS.get(kind, _OTHER_SHORTCUT)


BRANCHES: dict[str, LineStyle] = {
    "gate": LineStyle("#1b9e77", "solid", "", 1.8, "gate branch T(x)"),
}


def branch_style(branch: str) -> LineStyle:
    """Line style of a block's extra branch (not main, shortcut or post), e.g. a gate."""
    return BRANCHES.get(branch, LineStyle("#7f7f7f", "solid", "", 1.4, f"{branch} branch"))


def shortcut_label(kind: str, options: list[str]) -> str:
    """Legend text naming the spec's option letters actually used."""
    base = shortcut_style(kind).label
    letters = [o for o in options if len(o) == 1]
    if kind == "projection" and letters:
        return f"projection shortcut ({'/'.join(letters)}: 1×1 conv)"
    if kind not in SHORTCUTS:
        return f"{kind} shortcut"
    return base


JOINS: dict[str, JoinStyle] = {op.name: op.style for op in (Add, Concat, Gate)}


def join_style(op: str) -> JoinStyle:
    return JOINS.get(op, JoinStyle(op, "doublecircle", "normal", f"{op} join"))
