"""Checked network -> Graphviz DOT text, deterministically and without Graphviz.

Levels: `layer` draws every op, with stages and blocks as clusters and each
shortcut kind in its own line style; `block` draws one node per block (or per
run of identical blocks with `roll`); `stage` one node per stage.
"""

from __future__ import annotations

import re

from resgen.graph.model import Edge, Network
from resgen.render.dot_text import attrs, html, quote
from resgen.render.labels import (
    compact,
    describe,
    details,
    format_shape,
    merged_details,
    merged_text,
)
from resgen.render.legend import Legend
from resgen.render.style import (
    CHANGE_COLOR,
    DIRECTIONS,
    TEXT_COLOR,
    Theme,
    branch_style,
    join_style,
    op_color,
    shortcut_style,
    theme,
)
from resgen.render.tree import Group, Tree, build_tree, merged_chains, suffix

LEVELS = ("stage", "block", "layer")
FONT = "DejaVu Sans,sans-serif"  # what Graphviz measures is what the SVG names
MAIN_WEIGHT = 8  # keeps the main branch a straight column
LR_LABELLOC = "b"  # shortcuts in LR mostly pass above a block: its label goes below
HEADER = "header:"  # id prefix of the invisible node that keeps a cluster's label clear
TAP = "tap:"  # id prefix of the invisible point a shortcut from outside a block enters by
BREAK = '<BR ALIGN="LEFT"/>'  # ends a left-aligned line of a cluster's header
EM = 0.66  # a DejaVu Sans character's advance in ems, on the wide side (estimates)
NODE_MARGIN = 7.2  # points: the node margin of 0.1 inch, each side
MIN_WIDTH = 54  # points: Graphviz's default minimum node width, 0.75 inch
RANKSEP = 0.32 * 72  # points: the graph's ranksep
SHORT = 3  # ranks: an edge dipping into a cluster this far in is one curve (LR labels)


def block_shortcut_text(group: Group) -> str:
    """`B: projection shortcut (+)`; `identity shortcut (+)`."""
    join = join_style(group.join)
    joined = join.symbol if group.join == "add" else f"{join.symbol} {group.join}"
    if group.shortcut == "identity":
        return f"identity shortcut ({joined})"
    option = f"{group.option}: " if len(group.option) == 1 else ""
    return f"{option}{group.shortcut} shortcut ({joined})"


def to_dot(
    net: Network,
    level: str = "layer",
    roll: bool = False,
    direction: str = "TB",
    theme_name: str = "light",
    merge: bool = False,
) -> str:
    """The DOT source of `net` at `level` (stage, block or layer), flowing `direction`
    (TB top-down, LR left-right) in colour theme `theme_name` (light or dark); `merge`
    draws each conv-norm-act run as one node (`tree.merged_chains`)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}; expected one of TB, LR")
    writer = _Writer(net, level, build_tree(net, roll), direction, theme(theme_name), merge)
    return writer.write()


def node_label(short: str, op: str, text: str) -> str:
    """`bn1` (not `bn1 / bn`), `conv1 / conv 3×3, 64`, `input 3×224×224`."""
    if op == "input" or text == short or short == op:
        return text
    if text == op and short.startswith(op):
        return short
    return f"{short}\n{text}"


class _Writer:
    def __init__(
        self,
        net: Network,
        level: str,
        tree: Tree,
        direction: str = "TB",
        colors: Theme | None = None,
        merge: bool = False,
    ) -> None:
        self.net = net
        self.merge = merge
        self.chains = merged_chains(net) if merge else {}  # layer -> its merged run
        self.direction = direction
        self.theme = colors or theme("light")
        self.level = level
        self.tree = tree
        self.lines: list[str] = []
        self.rep: dict[str, str] = {}  # graph node -> drawn node id
        self.run_of: dict[str, tuple[str, int]] = {}  # node -> (run, block index in it)
        self.block_of: dict[str, Group] = {}
        self.legend = Legend()
        self.spacers: list[tuple[str, str]] = []  # (header spacer, its cluster's first node)
        self.headers: list[str] = []  # labels of the clusters opened at one top, outermost first
        self.main_column: set[str] = set()  # drawn nodes on a main edge: one straight column
        self.main_lane: set[str] = set()  # with --merge: layers on a main lane (`on_main_lane`)
        self.widths: dict[str, float] = {}  # drawn node -> its width in points, estimated
        self.lr_labels: list[tuple[int, Group, str, str]] = []  # (line, cluster, label, indent)
        self.drawn_edges: list[tuple[str, str]] = []
        self.tap_lines: dict[str, tuple[int, str]] = {}  # block -> (its placeholder line, indent)
        self.taps: list[tuple[str, str]] = []  # (tap, the first node of its block)
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
                    ("rankdir", self.direction),
                    ("bgcolor", self.theme.background),
                    ("fontcolor", self.theme.text),
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
                    ("fontcolor", self.theme.edge_text),
                    ("color", self.theme.edge),
                    ("arrowsize", 0.6),
                ]
            )
            + ";"
        )
        for item in self.tree.items:
            self.item(item, "  ")
        self.edges()
        self.group_main_lane()
        for spacer, first in self.spacers:
            self.beside(spacer, first)
        for tap, first in self.taps:
            self.beside(first, tap)
        self.indent_lr_labels()
        legend = self.legend.node(self.theme)
        if legend:
            self.lines.append(legend)
        out.append("}")
        return "\n".join(line for line in out if line) + "\n"  # unused tap places dropped

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
        chain = self.chains.get(node, (node,))
        if chain[0] != node:
            return  # drawn by its merged run's first layer
        for member in chain:
            self.rep[member] = node
        block = self.block_of.get(node)
        short = suffix(block.name, node) if block else node
        merged = [self.net.nodes[member] for member in chain]
        facts = merged_details(merged) if len(chain) > 1 else details(data)
        tooltip = "\n".join(f"{k}: {v}" for k, v in facts.items())
        pairs: list[tuple[str, str | float | int]]
        if self.is_join(node):
            style = join_style(op)
            self.legend.add(self.legend.joins, op)
            label = style.symbol if op == "add" else f"{style.symbol} {op}"
            pairs = [("label", label), ("shape", style.dot_shape), ("style", "filled")]
            pairs += [("fillcolor", op_color(op)), ("margin", "0.02"), ("fontsize", 12)]
        else:
            self.legend.add(self.legend.ops, op)
            text = merged_text(merged) if len(chain) > 1 else describe(op, data.args, data.shape)
            label = node_label(short, op, text)
            pairs = [("label", label), ("fillcolor", op_color(op))]
        self.widths[node] = width(str(pairs[0][1]), float(dict(pairs).get("fontsize", 10)))
        if self.merge and self.on_main_lane(node):
            self.main_lane.add(node)
        self.lines.append(f"{indent}{quote(node)} {attrs([*pairs, ('tooltip', tooltip)])};")

    def on_main_lane(self, node: str) -> bool:
        """A layer outside any branch, on a block's main branch or after its join."""
        return self.net.nodes[node].branch in {None, "", "main", "post"}

    def is_join(self, node: str) -> bool:
        return any(edge.branch for edge in self.net.nodes[node].inputs)

    def group_node(self, group: Group, indent: str) -> None:
        for node in group.nodes():
            self.rep[node] = group.key
        rows = [f"<B>{html(self.title(group))}</B>"]
        change = f"{format_shape(group.in_shape)} → {format_shape(group.shape)}"
        self.legend.add(self.legend.groups, group.kind if group.kind != "run" else "block")
        if group.changes_shape:
            self.legend.shape_change = "double"
            rows.append(f'<FONT COLOR="{CHANGE_COLOR}">◆ {html(change)}</FONT>')
        elif group.kind in {"block", "run"}:
            rows.append(html(format_shape(group.shape)))
        else:
            rows.append(html(change))
        # a wider margin than a layer's: the bold title and the ◆ line, measured by
        # Graphviz's font metrics, must not touch a double border in any viewer
        pairs: list[tuple[str, str | float | int]] = [
            ("fillcolor", self.theme.group),
            ("margin", "0.16,0.06"),
        ]
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
                self.legend.no_shortcut = True
                rows.append("no shortcut")
            if group.changes_shape:
                pairs.append(("peripheries", 2))
        each = f"{compact(group.params)} params · {compact(group.macs)} MACs"
        rows.append(html(each))
        label = "<" + "<BR/>".join(rows) + ">"
        self.widths[group.key] = width("\n".join(rows), 10)
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
        colors = self.theme
        pairs: list[tuple[str, str | float | int]] = [
            ("style", "rounded"),
            ("color", colors.border),
        ]
        pairs.append(("fontcolor", colors.text))
        # a header's name on its first line, the shape change and notes below: the
        # narrower label needs a narrower space beside the nodes (`header_space`)
        if group.kind == "stage":
            shapes = f"{format_shape(group.in_shape)} → {format_shape(group.shape)}"
            label = f"<B>{label}</B>{BREAK}{html(shapes)}"
            pairs = [("style", "rounded,filled"), ("fillcolor", colors.cluster)]
            pairs += [("color", colors.border), ("fontcolor", colors.text)]
        elif group.kind in {"block", "run"}:
            notes = []
            if group.changes_shape:
                self.legend.shape_change = "border"
                shapes = f"◆ {format_shape(group.in_shape)} → {format_shape(group.shape)}"
                notes.append(f'<FONT COLOR="{CHANGE_COLOR}">{html(shapes)}</FONT>')
                pairs = [("style", "rounded,filled"), ("color", CHANGE_COLOR), ("penwidth", 2)]
            else:
                pairs = [("style", "rounded,filled"), ("color", colors.border)]
            if not group.shortcut:
                self.legend.no_shortcut = True
                notes.append(html("(no shortcut)"))
            pairs += [("fillcolor", colors.block), ("fontcolor", colors.text)]
            if group.kind == "run":
                pairs += [("style", "rounded,filled,dashed")]
                notes.append(html(f"({group.count} identical blocks, the first drawn)"))
            label += "".join(BREAK + note for note in notes)
        if BREAK in label:
            label += BREAK  # the last line left-aligned too (no empty line follows)
        pairs += [("label", f"<{label}>"), ("labeljust", "l"), ("fontname", FONT)]
        if self.direction == "LR":
            pairs.append(("labelloc", LR_LABELLOC))
        pairs.append(("fontsize", 11 if group.kind in {"block", "run"} else 12))
        at = -1  # left to right, the label's line: rewritten once the nodes are known
        for key, value in pairs:
            if key == "label" and self.direction == "LR":
                at = len(out)
            out.append(f"{inner}{attrs([(key, value)])[1:-1]};")
        if self.direction == "TB":
            self.header_space(group, label, inner)
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
        if group.kind == "block" and self.level == "layer":
            self.tap_lines[group.key] = (len(out), inner)
            out.append("")  # the place of its tap, should a shortcut come in from outside
        if at >= 0:
            self.lr_labels.append((at, group, label, inner))
        out.append(f"{indent}}}")

    def indent_lr_labels(self) -> None:
        """Left to right, a shortcut from outside a cluster may dip below its first node,
        past the start of its label: where an edge from outside comes in beyond the
        first node, the label begins right of the first rank's middle (the first node's
        estimated half width, and a little)."""
        for at, group, label, inner in self.lr_labels:
            start = self.first_drawn(group)
            inside = {self.rep[node] for node in group.nodes()}
            heads = {b for a, b in self.drawn_edges if a not in inside and b in inside}
            heads.discard(start)
            if start is None or not heads:
                continue
            indent = self.widths.get(start, MIN_WIDTH) / 2 + 6
            # a few ranks in, the edge is one curve through the innermost cluster's
            # label band: that label then begins right of the edge's head
            lane = [n for n in dict.fromkeys(self.rep[n] for n in group.nodes())]
            lane = [n for n in lane if n in self.main_column]
            nested = any(isinstance(i, Group) and not self.collapsed(i) for i in group.items)
            for head in [] if nested else sorted(heads):
                if head in lane and lane.index(head) <= SHORT:
                    before = lane[: lane.index(head)]
                    past = sum(self.widths.get(n, MIN_WIDTH) + RANKSEP for n in before)
                    indent = max(indent, past + self.widths.get(head, MIN_WIDTH) + 4)
            self.lines[at] = f"{inner}label={self.lr_label(label, indent)};"

    def lr_label(self, label: str, indent: float) -> str:
        return (
            '<<TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR>'
            f'<TD WIDTH="{round(indent)}"></TD><TD ALIGN="LEFT" BALIGN="LEFT">{label}</TD>'
            "</TR></TABLE>>"
        )

    # ------------------------------------------------------------------ header space

    # Graphviz does not route edges around a cluster's label, so an edge entering a
    # stage or block from above would strike through its header. The innermost
    # cluster at the top of each nest gets an invisible node on its first rank, left
    # of its first node, as wide as the widest label of that nest: the labels sit
    # above it, and the edges come in to the right of them.

    def header_space(self, group: Group, label: str, indent: str) -> None:
        size = 11 if group.kind in {"block", "run"} else 12
        label = label.removesuffix(BREAK)  # the lines are joined below: no empty one
        self.headers.append(f'<FONT POINT-SIZE="{size}">{label}</FONT>')
        first = group.items[0] if group.items else None
        if isinstance(first, Group) and not self.collapsed(first):
            return  # the nest goes on: the innermost cluster holds the space
        node = HEADER + group.key
        start = self.first_drawn(group)
        if start is not None:
            self.spacers.append((node, start))
            pairs: list[tuple[str, str | float | int]] = [
                ("label", "<" + "<BR/>".join(self.headers) + ">"),
                ("shape", "plaintext"),
                ("style", "invis"),
                ("margin", 0),
                ("height", 0),
            ]
            self.lines.append(f"{indent}{quote(node)} {attrs(pairs)};")
        self.headers = []

    def first_drawn(self, group: Group) -> str | None:
        """The id the first node of `group` is drawn with (a layer, or a folded group)."""
        for item in group.items:
            if isinstance(item, Group):
                if self.collapsed(item):
                    return item.key
                return self.first_drawn(item)
            return item
        return None

    def group_main_lane(self) -> None:
        """`group="main"` on the main lane, so that with the main edges' weight it is one
        straight column: the layers `--merge` puts there, and the nodes on main edges
        wherever header spaces or taps would push a column aside."""
        lane = set(self.main_lane)
        if self.spacers or self.taps:
            lane |= self.main_column
        quoted = set(map(quote, lane))
        for index, line in enumerate(self.lines):
            node, bracket, rest = line.lstrip().partition(" [")
            if bracket and node in quoted:
                indent = line[: len(line) - len(line.lstrip())]
                self.lines[index] = f'{indent}{node} [group="main", {rest}'

    def beside(self, left: str, right: str) -> None:
        """`left` and `right` on one rank, `left` first (an invisible edge orders them)."""
        self.lines.append(f"  {{ rank=same; {quote(left)}; {quote(right)}; }}")
        self.lines.append(f"  {quote(left)} -> {quote(right)} [style=invis];")

    # ------------------------------------------------------------------ edges

    def changes(self, drawn: str) -> bool:
        """Whether the drawn node `drawn` (a layer or a folded group) changes the shape."""
        if drawn in self.chains:
            chain = self.chains[drawn]
            return self.net.nodes[chain[0]].in_shape != self.net.nodes[chain[-1]].shape
        if drawn in self.net.nodes:
            node = self.net.nodes[drawn]
            return node.op == "input" or node.in_shape != node.shape
        group = self.groups_by_key[drawn]
        return group.in_shape != group.shape

    def shape_of(self, drawn: str, source: str) -> str:
        if drawn in self.net.nodes:
            return format_shape(self.net.nodes[source].shape)
        return format_shape(self.groups_by_key[drawn].shape)

    def edges(self) -> None:
        """Each edge once; the shape labels the edge out of a node that changes it, once
        (on its main edge where it forks), and a shortcut into its join (`B: ...`)."""
        self.groups_by_key = {group.key: group for group in self.tree.groups()}
        seen: set[tuple[str, str]] = set()
        todo: list[tuple[str, str, str, str, Edge]] = []
        for source, target, data in self.net.edges():
            a, b = self.rep[source], self.rep[target]
            if a == b or (a, b) in seen or self.crosses_run(source, target):
                continue
            seen.add((a, b))
            self.drawn_edges.append((a, b))
            todo.append((source, target, a, b, data))
        chosen: dict[str, tuple[str, str]] = {}  # drawn source -> (target, its kind)
        for source, target, a, b, data in todo:
            kind = self.shortcut_kind(source, target, data) if self.level == "layer" else ""
            if not self.changes(a):
                continue
            if a not in chosen or (chosen[a][1] and not kind):
                chosen[a] = (b, kind)
        for source, target, a, b, data in todo:
            shape = self.shape_of(a, source)
            text = shape if a in chosen and chosen[a][0] == b else ""
            pairs: list[tuple[str, str | float | int]] = [("label", text)] if text else []
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
                    pairs = [("label", f"{option}: {text}" if text else option)]
                pairs += [("color", line.color), ("style", line.dot_style)]
                pairs += [("penwidth", line.width), ("weight", 1)]
            else:
                pairs.append(("weight", MAIN_WEIGHT))
                self.main_column.update((a, b))
            if self.level == "layer" and data.branch:
                pairs.append(("arrowhead", join_style(self.net.nodes[target].op).arrowhead))
            tap = self.tap(a, b) if kind else None
            if tap is None:
                self.lines.append(f"  {quote(a)} -> {quote(b)} {attrs(pairs)};")
                continue
            # two edges through the tap, one line to the eye: the first ends without
            # a head, and each says which edge it draws
            line_pairs = [p for p in pairs if p[0] in {"color", "style", "penwidth", "weight"}]
            tooltip = ("tooltip", f"{a} → {b}")
            into = [*line_pairs, ("arrowhead", "none"), tooltip]
            self.lines.append(f"  {quote(a)} -> {quote(tap)} {attrs(into)};")
            self.lines.append(f"  {quote(tap)} -> {quote(b)} {attrs([*pairs, tooltip])};")

    # Graphviz routes a shortcut from outside a block to its join outside the block's
    # cluster, right along its border: two lines hugging each other. Through an invisible
    # point inside the block, on its first rank after its first node (right of it
    # top-down, below it left to right), the shortcut comes in at the block's start and
    # runs on inside the box, clear of its border.

    def tap(self, a: str, b: str) -> str | None:
        """The tap a shortcut `a -> b` from outside b's block into its join `b` enters by,
        or None where it starts inside the block or the block has no place for one."""
        block = self.block_of.get(b)
        if block is None or block.key not in self.tap_lines:
            return None
        inside = {self.rep[node] for node in block.nodes()}
        start = self.first_drawn(block)
        if a in inside or start is None or start == b or not self.is_join(b):
            return None
        node = TAP + block.key
        before = sum(tap == node or tap.startswith(node + "#") for tap, _ in self.taps)
        node += f"#{before + 1}" if before else ""
        at, indent = self.tap_lines[block.key]
        pairs = [("shape", "point"), ("width", 0.01), ("height", 0.01), ("style", "invis")]
        line = f"{indent}{quote(node)} {attrs(pairs)};"
        self.lines[at] += ("\n" if self.lines[at] else "") + line
        self.taps.append((node, start))
        return node

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


def width(label: str, size: float) -> float:
    """A node's width in points, estimated on the wide side from its label's longest line
    (HTML tags dropped, entities counted as one character)."""
    text = re.sub(r"<BR/>", "\n", label.removeprefix("<").removesuffix(">"))
    text = re.sub(r"&[a-z#0-9]+;", "x", re.sub(r"<[^>]*>", "", text))
    longest = max((len(line) for line in text.split("\n")), default=0)
    return max(MIN_WIDTH, longest * size * EM + 2 * NODE_MARGIN)
