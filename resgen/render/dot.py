"""Checked network -> Graphviz DOT text, deterministically and without Graphviz.

Levels: `layer` draws every op, with stages and blocks as clusters and each
shortcut kind in its own line style; `block` draws one node per block (or per
run of identical blocks with `roll`); `stage` one node per stage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from resgen.graph.model import Edge, Network
from resgen.render.labels import compact, describe, details, format_shape
from resgen.render.style import (
    CHANGE_COLOR,
    EDGE_COLOR,
    GROUP_COLOR,
    TEXT_COLOR,
    branch_style,
    join_style,
    op_color,
    shortcut_label,
    shortcut_style,
)
from resgen.render.tree import Group, Tree, build_tree, suffix

LEVELS = ("stage", "block", "layer")
FONT = "DejaVu Sans,sans-serif"  # what Graphviz measures is what the SVG names
MAIN_WEIGHT = 8  # keeps the main branch a straight column


def quote(text: str) -> str:
    """A DOT double-quoted string; newlines become Graphviz's `\\n`."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def html(text: str) -> str:
    """Escape text for a Graphviz HTML-like label."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def attrs(pairs: Iterable[tuple[str, str | float | int]]) -> str:
    """`[a="1", b=<...>]`; values starting with `<` are HTML-like labels."""
    parts = []
    for key, value in pairs:
        if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
            parts.append(f"{key}={value}")
        elif isinstance(value, str):
            parts.append(f"{key}={quote(value)}")
        else:
            parts.append(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}")
    return "[" + ", ".join(parts) + "]" if parts else ""


def block_shortcut_text(group: Group) -> str:
    """`B: projection shortcut (+)`; `identity shortcut (+)`."""
    join = join_style(group.join)
    joined = join.symbol if group.join == "add" else f"{join.symbol} {group.join}"
    if group.shortcut == "identity":
        return f"identity shortcut ({joined})"
    option = f"{group.option}: " if len(group.option) == 1 else ""
    return f"{option}{group.shortcut} shortcut ({joined})"


def to_dot(net: Network, level: str = "layer", roll: bool = False) -> str:
    """The DOT source of `net` at `level` (stage, block or layer)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    return _Writer(net, level, build_tree(net, roll)).write()


@dataclass
class _Legend:
    ops: list[str] = field(default_factory=list)
    shortcuts: dict[str, list[str]] = field(default_factory=dict)  # kind -> option letters
    joins: list[str] = field(default_factory=list)
    branches: list[str] = field(default_factory=list)
    block_borders: dict[str, list[str]] = field(default_factory=dict)
    shape_change: bool = False

    def add(self, items: list[str], value: str) -> None:
        if value not in items:
            items.append(value)


class _Writer:
    def __init__(self, net: Network, level: str, tree: Tree) -> None:
        self.net = net
        self.level = level
        self.tree = tree
        self.lines: list[str] = []
        self.rep: dict[str, str] = {}  # graph node -> drawn node id
        self.run_of: dict[str, tuple[str, int]] = {}  # node -> (run, block index in it)
        self.block_of: dict[str, Group] = {}
        self.legend = _Legend()
        for group in tree.groups():
            if group.kind == "block":
                for node in group.nodes():
                    self.block_of[node] = group
            if group.kind == "run":
                for index, block in enumerate(group.items):
                    for node in block.nodes() if isinstance(block, Group) else [block]:
                        self.run_of[node] = (group.name, index)

    # ------------------------------------------------------------------ document

    def write(self) -> str:
        name = self.net.name
        title = f"{name}: {self.net.params:,} parameters, {compact(self.net.macs)} MACs"
        out = self.lines
        out.append(f"digraph {quote(name)} {{")
        out.append(
            "  graph "
            + attrs(
                [
                    ("rankdir", "TB"),
                    ("label", title),
                    ("labelloc", "t"),
                    ("fontname", FONT),
                    ("fontsize", 16),
                    ("nodesep", 0.25),
                    ("ranksep", 0.32),
                    ("newrank", "true"),
                ]
            )
            + ";"
        )
        out.append(
            "  node "
            + attrs(
                [
                    ("shape", "box"),
                    ("style", "rounded,filled"),
                    ("fontname", FONT),
                    ("fontsize", 10),
                    ("fontcolor", TEXT_COLOR),
                    ("color", "#666666"),
                    ("height", 0.3),
                    ("margin", "0.1,0.04"),
                ]
            )
            + ";"
        )
        out.append(
            "  edge "
            + attrs(
                [
                    ("fontname", FONT),
                    ("fontsize", 8),
                    ("fontcolor", "#444444"),
                    ("color", EDGE_COLOR),
                    ("arrowsize", 0.6),
                ]
            )
            + ";"
        )
        for item in self.tree.items:
            self.item(item, "  ")
        self.edges()
        self.write_legend()
        out.append("}")
        return "\n".join(out) + "\n"

    # ------------------------------------------------------------------ nodes

    def collapsed(self, group: Group) -> bool:
        if self.level == "stage":
            return group.kind in {"stem", "stage", "head"}
        if self.level == "block":
            return group.kind in {"block", "run"}
        return False

    def item(self, item: str | Group, indent: str) -> None:
        if isinstance(item, Group):
            if self.collapsed(item):
                self.group_node(item, indent)
            else:
                self.cluster(item, indent)
        else:
            self.layer(item, indent)

    def layer(self, node: str, indent: str) -> None:
        data = self.net.nodes[node]
        op = data.op
        self.rep[node] = node
        block = self.block_of.get(node)
        short = suffix(block.name, node) if block else node
        tooltip = "\n".join(f"{k}: {v}" for k, v in details(data).items())
        pairs: list[tuple[str, str | float | int]]
        if self.is_join(node):
            style = join_style(op)
            self.legend.add(self.legend.joins, op)
            label = style.symbol if op == "add" else f"{style.symbol} {op}"
            pairs = [("label", label), ("shape", style.dot_shape), ("style", "filled")]
            pairs += [("fillcolor", op_color(op)), ("margin", "0.02"), ("fontsize", 12)]
        else:
            self.legend.add(self.legend.ops, op)
            text = describe(op, data.args, data.shape)
            label = text if op == "input" or text == short else f"{short}\n{text}"
            pairs = [("label", label), ("fillcolor", op_color(op))]
        self.lines.append(f"{indent}{quote(node)} {attrs([*pairs, ('tooltip', tooltip)])};")

    def is_join(self, node: str) -> bool:
        return any(edge.branch for edge in self.net.nodes[node].inputs)

    def group_node(self, group: Group, indent: str) -> None:
        for node in group.nodes():
            self.rep[node] = group.key
        rows = [f"<B>{html(self.title(group))}</B>"]
        change = f"{format_shape(group.in_shape)} → {format_shape(group.shape)}"
        if group.changes_shape:
            self.legend.shape_change = True
            rows.append(f'<FONT COLOR="{CHANGE_COLOR}">◆ {html(change)}</FONT>')
        elif group.kind in {"block", "run"}:
            rows.append(html(format_shape(group.shape)))
        else:
            rows.append(html(change))
        pairs: list[tuple[str, str | float | int]] = [("fillcolor", GROUP_COLOR)]
        if group.kind in {"block", "run"}:
            if group.shortcut:
                line = shortcut_style(group.shortcut)
                self.legend.block_borders.setdefault(group.shortcut, [])
                self.legend.add(self.legend.block_borders[group.shortcut], group.option)
                rows.append(html(block_shortcut_text(group)))
                style = "rounded,filled" + (
                    "" if line.dot_style == "bold" else f",{line.dot_style}"
                )
                pairs += [("color", line.color), ("penwidth", line.width), ("style", style)]
            else:
                rows.append("no shortcut")
            if group.changes_shape:
                pairs.append(("peripheries", 2))
        each = f"{compact(group.params)} params · {compact(group.macs)} MACs"
        rows.append(html(each))
        label = "<" + "<BR/>".join(rows) + ">"
        tooltip = f"{group.name}\n{change}\n{group.params:,} parameters\n{group.macs:,} MACs"
        pairs = [("label", label), *pairs, ("tooltip", tooltip)]
        self.lines.append(f"{indent}{quote(group.key)} {attrs(pairs)};")

    def title(self, group: Group) -> str:
        if group.kind == "run":
            return f"{group.name}  ×{group.count} {group.type_name}"
        if group.kind == "block":
            return f"{group.name} · {group.type_name}"
        if group.kind == "stage":
            kind = f"{group.type_name}" if group.type_name else "blocks"
            return f"{group.name} · {group.count} × {kind}"
        if not self.collapsed(group):
            return group.name
        ops = [self.net.nodes[n].op for n in group.nodes()]
        return f"{group.name} · {', '.join(ops)}"

    def cluster(self, group: Group, indent: str) -> None:
        out = self.lines
        out.append(f"{indent}subgraph {quote('cluster_' + group.key)} {{")
        inner = indent + "  "
        label = html(self.title(group))
        pairs: list[tuple[str, str | float | int]] = [("style", "rounded"), ("color", "#999999")]
        if group.kind == "stage":
            shapes = f"{format_shape(group.in_shape)} → {format_shape(group.shape)}"
            label = f"<B>{label}</B>  {html(shapes)}"
            pairs = [("style", "rounded,filled"), ("fillcolor", "#fafafa"), ("color", "#888888")]
        elif group.kind in {"block", "run"}:
            if group.changes_shape:
                self.legend.shape_change = True
                shapes = f"◆ {format_shape(group.in_shape)} → {format_shape(group.shape)}"
                label += f'  <FONT COLOR="{CHANGE_COLOR}">{html(shapes)}</FONT>'
                pairs = [("style", "rounded,filled"), ("color", CHANGE_COLOR), ("penwidth", 2)]
            else:
                pairs = [("style", "rounded,filled"), ("color", "#aaaaaa")]
            pairs.append(("fillcolor", "#ffffff"))
            if group.kind == "run":
                pairs += [("style", "rounded,filled,dashed"), ("fillcolor", "#fcfcfc")]
                label += "<BR/>" + html(f"({group.count} identical blocks, the first drawn)")
        pairs += [("label", f"<{label}>"), ("labeljust", "l"), ("fontname", FONT)]
        pairs.append(("fontsize", 11 if group.kind in {"block", "run"} else 12))
        for key, value in pairs:
            out.append(f"{inner}{attrs([(key, value)])[1:-1]};")
        if group.kind == "run":
            first = group.items[0]
            self.item(first, inner)
            assert isinstance(first, Group)
            drawn = list(first.nodes())
            for block in group.items[1:]:
                assert isinstance(block, Group)
                for node, twin in zip(block.nodes(), drawn, strict=True):
                    self.rep[node] = self.rep[twin]
        else:
            for item in group.items:
                self.item(item, inner)
        out.append(f"{indent}}}")

    # ------------------------------------------------------------------ edges

    def edges(self) -> None:
        seen: set[tuple[str, str]] = set()
        for source, target, data in self.net.edges():
            a, b = self.rep[source], self.rep[target]
            if a == b or (a, b) in seen or self.crosses_run(source, target):
                continue
            seen.add((a, b))
            shape = format_shape(self.net.nodes[source].shape)
            pairs: list[tuple[str, str | float | int]] = [("label", shape)]
            kind = self.shortcut_kind(source, target, data) if self.level == "layer" else ""
            branch = self.extra_branch(target, data) if self.level == "layer" else ""
            if branch and not kind:
                line = branch_style(branch)
                self.legend.add(self.legend.branches, branch)
                pairs += [("color", line.color), ("style", line.dot_style)]
                pairs += [("penwidth", line.width), ("weight", 1)]
            elif kind:
                line = shortcut_style(kind)
                option = data.option
                self.legend.shortcuts.setdefault(kind, [])
                self.legend.add(self.legend.shortcuts[kind], option)
                if len(option) == 1 and kind != "identity":
                    pairs = [("label", f"{option}: {shape}")]
                pairs += [("color", line.color), ("style", line.dot_style)]
                pairs += [("penwidth", line.width), ("weight", 1)]
            else:
                pairs.append(("weight", MAIN_WEIGHT))
            if self.level == "layer" and data.branch:
                pairs.append(("arrowhead", join_style(self.net.nodes[target].op).arrowhead))
            self.lines.append(f"  {quote(a)} -> {quote(b)} {attrs(pairs)};")

    def crosses_run(self, source: str, target: str) -> bool:
        """An edge between two blocks of one folded run (drawn once, not N times)."""
        a, b = self.run_of.get(source), self.run_of.get(target)
        return a is not None and b is not None and a[0] == b[0] and a[1] != b[1]

    def shortcut_kind(self, source: str, target: str, data: Edge) -> str:
        if data.branch == "shortcut":
            return data.kind or "shortcut"
        if self.net.nodes[target].branch == "shortcut":
            block = self.block_of.get(target)
            return block.shortcut if block and block.shortcut else "shortcut"
        return ""

    def extra_branch(self, target: str, data: Edge) -> str:
        """A branch other than main, shortcut and post (a gate's T(x), ...), or ``""``."""
        branch = data.branch or self.net.nodes[target].branch or ""
        return "" if branch in {"main", "shortcut", "post"} else str(branch)

    # ------------------------------------------------------------------ legend

    def write_legend(self) -> None:
        """One table node: op colours in a row, then line styles, joins and borders."""
        legend = self.legend
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
        if legend.shape_change:
            sample = f'<TD COLOR="{CHANGE_COLOR}" BORDER="2" STYLE="rounded" WIDTH="28"> </TD>'
            text = f'<FONT COLOR="{CHANGE_COLOR}">◆ shape changes in this block</FONT>'
            pairs.append((sample, f'<TD ALIGN="LEFT">{text}</TD>'))
        if not legend.ops and not pairs:
            return
        columns = 2 * min(2, max(1, len(pairs)))
        rows = [f'<TR><TD COLSPAN="{columns}"><B>legend</B></TD></TR>']
        if legend.ops:
            cells = "".join(f'<TD BGCOLOR="{op_color(op)}">{html(op)}</TD>' for op in legend.ops)
            inner = f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2"><TR>{cells}</TR></TABLE>'
            rows.append(f'<TR><TD COLSPAN="{columns}">{inner}</TD></TR>')
        for start in range(0, len(pairs), 2):
            chunk = pairs[start : start + 2]
            cells = "".join(sample + text for sample, text in chunk)
            if len(chunk) * 2 < columns:
                cells += f'<TD COLSPAN="{columns - len(chunk) * 2}"> </TD>'
            rows.append(f"<TR>{cells}</TR>")
        table = '<TABLE BORDER="1" COLOR="#bbbbbb" CELLBORDER="0" CELLSPACING="3" CELLPADDING="2">'
        label = "<" + table + "".join(rows) + "</TABLE>>"
        node = [("shape", "plain"), ("style", ""), ("fontsize", 9), ("label", label)]
        self.lines.append(f"  {quote('legend')} {attrs(node)};")


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
