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

# Okabe & Ito (2008), the colour-blind-safe palette: the hues, and the light tints
# that ops are filled with (dark text stays readable on them in both themes).
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}
_EXTRA = ("#a9d8f3", "#f5d28a", "#8fd3bf", "#f8f1a0", "#99c6e0", "#efb68a", "#e6bcd4", "#d9d9d9")

GROUP_COLOR = "#f2f2f2"  # collapsed stages and blocks
CHANGE_COLOR = "#D55E00"  # the block where the shape changes (Okabe-Ito vermillion)
TEXT_COLOR = "#222222"  # text inside op-filled nodes (light fills in both themes)
EDGE_COLOR = "#555555"


@dataclass(frozen=True)
class Theme:
    """Colours of what is not an op: background, text, edges, clusters (static output)."""

    background: str
    text: str
    edge: str
    edge_text: str
    cluster: str  # stage cluster fill
    block: str  # block cluster fill
    border: str  # cluster and legend borders
    group: str  # folded stage / block fill


THEMES: dict[str, Theme] = {
    "light": Theme(
        "#ffffff", "#222222", "#555555", "#444444", "#fafafa", "#ffffff", "#999999", GROUP_COLOR
    ),
    "dark": Theme(
        "#1e1e1e", "#e6e6e6", "#bbbbbb", "#cccccc", "#262626", "#2d2d2d", "#777777", "#d9d9d9"
    ),
}
DIRECTIONS = ("TB", "LR")


def theme(name: str) -> Theme:
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; expected one of {', '.join(THEMES)}")
    return THEMES[name]


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


# One line per shortcut kind, told apart without colour (Graphviz style and pen width;
# the HTML view draws the same `dash` and `width`). Graphviz has three dash styles,
# so a kind is its (style, width) pair: no two kinds share one.
SHORTCUTS: dict[str, LineStyle] = {
    "identity": LineStyle("#7f7f7f", "dashed", "6 4", 1.2, "identity shortcut"),
    "zeropad": LineStyle("#E69F00", "dotted", "2 3", 2.6, "zero-pad shortcut (A)"),
    "projection": LineStyle("#0072B2", "solid", "", 2.6, "projection shortcut (B/C: 1×1 conv, BN)"),
    "conv": LineStyle("#56B4E9", "dotted", "1 2", 1.2, "projection shortcut (1×1 conv, no norm)"),
    "avgdown": LineStyle("#CC79A7", "dashed", "10 4", 2.6, "avg-down shortcut (D)"),
    "avgdown_conv": LineStyle(
        "#CC79A7", "dashed", "10 4 2 4", 1.8, "avg-down shortcut (D, no norm)"
    ),
    "none": LineStyle("#999999", "invis", "", 0.0, "no shortcut"),
}
_OTHER_SHORTCUT = LineStyle("#7f7f7f", "solid", "", 1.8, "shortcut")


def shortcut_style(kind: str) -> LineStyle:
    return SHORTCUTS.get(kind, _OTHER_SHORTCUT)


NO_SHORTCUT_MARK = "—"  # the legend's sample for a block without a shortcut (no line to draw)


def no_shortcut_legend() -> tuple[str, str]:
    """The legend entry of a block without a shortcut, in both renderings: mark, text."""
    return NO_SHORTCUT_MARK, f"block with {shortcut_style('none').label}"


BRANCHES: dict[str, LineStyle] = {
    "gate": LineStyle("#009E73", "solid", "", 1.8, "gate branch T(x)"),
}


def branch_style(branch: str) -> LineStyle:
    """Line style of a block's extra branch (not main, shortcut or post), e.g. a gate."""
    return BRANCHES.get(branch, LineStyle("#7f7f7f", "solid", "", 1.4, f"{branch} branch"))


def shortcut_label(kind: str, options: list[str]) -> str:
    """Legend text naming the spec's option letters actually used."""
    base = shortcut_style(kind).label
    letters = [o for o in options if len(o) == 1]
    if kind in {"projection", "conv"} and letters:
        norm = ", BN" if kind == "projection" else ", no norm"
        return f"projection shortcut ({'/'.join(letters)}: 1×1 conv{norm})"
    if kind not in SHORTCUTS:
        return f"{kind} shortcut"
    return base


JOINS: dict[str, JoinStyle] = {op.name: op.style for op in (Add, Concat, Gate)}


def join_style(op: str) -> JoinStyle:
    return JOINS.get(op, JoinStyle(op, "doublecircle", "normal", f"{op} join"))
