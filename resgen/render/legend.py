"""A diagram's legend: the ops, shortcut kinds, joins and markers it drew, once each."""

from __future__ import annotations

from dataclasses import dataclass, field

from resgen.render.dot_text import attrs, html, quote
from resgen.render.style import (
    CHANGE_COLOR,
    TEXT_COLOR,
    Theme,
    branch_style,
    join_style,
    no_shortcut_legend,
    op_color,
    shortcut_label,
    shortcut_style,
)


@dataclass
class Legend:
    """What a diagram drew, collected while it is written, for its legend."""

    ops: list[str] = field(default_factory=list)
    shortcuts: dict[str, list[str]] = field(default_factory=dict)  # kind -> option letters
    joins: list[str] = field(default_factory=list)
    branches: list[str] = field(default_factory=list)
    block_borders: dict[str, list[str]] = field(default_factory=dict)
    shape_change: str = ""  # "border" (a cluster, layer level) or "double" (a node)
    groups: list[str] = field(default_factory=list)  # folded group kinds drawn
    no_shortcut: bool = False

    def add(self, items: list[str], value: str) -> None:
        if value not in items:
            items.append(value)

    def node(self, theme: Theme) -> str | None:
        """The legend's DOT node statement: what was drawn, each kind once; None if nothing."""
        """One table node: op colours in a row, then line styles, joins and borders."""
        legend = self
        pairs: list[tuple[str, str]] = []  # (sample cell, text cell)
        for kind, options in legend.shortcuts.items():
            line = shortcut_style(kind)
            pairs.append(
                _line_pair(line.color, line.dot_style, line.width, shortcut_label(kind, options))
            )
        for branch in legend.branches:
            line = branch_style(branch)
            pairs.append(_line_pair(line.color, line.dot_style, line.width, line.label))
        for op in legend.joins:
            style = join_style(op)
            pairs.append((f"<TD>{html(style.symbol)}</TD>", _text(style.label)))
        for kind, options in legend.block_borders.items():
            line = shortcut_style(kind)
            pairs.append(
                _box_pair(line.color, line.dot_style, f"block, {shortcut_label(kind, options)}")
            )
        if legend.no_shortcut:
            mark, text = no_shortcut_legend()
            pairs.append((f'<TD WIDTH="28">{html(mark)}</TD>', _text(text)))
        if legend.groups:  # one entry for every folded kind drawn: `stem, stage, head`
            kinds = ", ".join(legend.groups)
            text = f"{kinds}, folded: name, shapes, params · MACs"
            sample = f'<TD BGCOLOR="{theme.group}" STYLE="rounded" BORDER="1" WIDTH="28"> </TD>'
            pairs.append((sample, _text(text)))
        if legend.shape_change == "border":
            sample = f'<TD COLOR="{CHANGE_COLOR}" BORDER="2" STYLE="rounded" WIDTH="28"> </TD>'
            text = f'<FONT COLOR="{CHANGE_COLOR}">◆ shape changes in this block</FONT>'
            pairs.append((sample, f'<TD ALIGN="LEFT">{text}</TD>'))
        elif legend.shape_change == "double":
            inner = '<TABLE BORDER="1" CELLBORDER="1"><TR><TD WIDTH="20"> </TD></TR></TABLE>'
            sample = f"<TD>{inner}</TD>"
            text = (
                f'<FONT COLOR="{CHANGE_COLOR}">◆ shape changes in this block (double border)</FONT>'
            )
            pairs.append((sample, f'<TD ALIGN="LEFT">{text}</TD>'))
        if not legend.ops and not pairs:
            return None
        columns = 2 * min(2, max(1, len(pairs)))
        rows = [f'<TR><TD COLSPAN="{columns}"><B>legend</B></TD></TR>']
        if legend.ops:
            cells = "".join(
                f'<TD BGCOLOR="{op_color(op)}"><FONT COLOR="{TEXT_COLOR}">{html(op)}</FONT></TD>'
                for op in legend.ops
            )
            inner = f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2"><TR>{cells}</TR></TABLE>'
            rows.append(f'<TR><TD COLSPAN="{columns}">{inner}</TD></TR>')
        for start in range(0, len(pairs), 2):
            chunk = pairs[start : start + 2]
            cells = "".join(sample + text for sample, text in chunk)
            if len(chunk) * 2 < columns:
                cells += f'<TD COLSPAN="{columns - len(chunk) * 2}"> </TD>'
            rows.append(f"<TR>{cells}</TR>")
        table = (
            f'<TABLE BORDER="1" COLOR="{theme.border}" BGCOLOR="{theme.background}"'
            ' CELLBORDER="0" CELLSPACING="3" CELLPADDING="2">'
        )
        label = "<" + table + "".join(rows) + "</TABLE>>"
        node = [("shape", "plain"), ("style", ""), ("fontsize", 9), ("label", label)]
        node.append(("fontcolor", theme.text))
        return f"  {quote('legend')} {attrs(node)};"


def _text(text: str) -> str:
    return f'<TD ALIGN="LEFT">{html(text)}</TD>'


def _line_pair(color: str, style: str, width: float, text: str) -> tuple[str, str]:
    """A line sample (a cell's bottom border in that style) and its text."""
    border = 3 if style == "bold" else 2 if width >= 2 else 1
    cell_style = f' STYLE="{style}"' if style in {"dashed", "dotted"} else ""
    sample = f'<TD SIDES="B" BORDER="{border}" COLOR="{color}"{cell_style} WIDTH="28"> </TD>'
    return sample, f'<TD ALIGN="LEFT"><FONT COLOR="{color}">{html(text)}</FONT></TD>'


def _box_pair(color: str, style: str, text: str) -> tuple[str, str]:
    cell_style = (
        f' STYLE="rounded,{style}"' if style in {"dashed", "dotted"} else ' STYLE="rounded"'
    )
    sample = f'<TD BORDER="2" COLOR="{color}"{cell_style} WIDTH="28"> </TD>'
    return sample, _text(text)
