"""Several networks in one figure, one column each, aligned where the resolution changes.

Each network is drawn by `to_dot` as on its own, then placed in a cluster of its
own with its node names prefixed. The first layer at each spatial size
(224×224, 112×112, 56×56, ...) is put on one rank across the columns, so the
stages of a ResNet line up with the same stages of its plain twin and with
VGG's blocks of equal resolution, as in the ResNet paper's Figure 3.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from resgen.render.dot import to_dot
from resgen.render.dot_text import quote
from resgen.render.labels import compact
from resgen.render.tree import Group, build_tree, merged_chains

if TYPE_CHECKING:
    from resgen.graph.model import Network

_ID = r'"((?:[^"\\]|\\.)*)"'
_NODE = re.compile(rf"^(\s*){_ID}( \[.*)?;$")
_EDGE = re.compile(rf"^(\s*){_ID} -> {_ID}( \[.*)?;$")
_CLUSTER = re.compile(rf"^(\s*)subgraph {_ID} \{{$")
_LABEL = re.compile(r'\blabel="(?:[^"\\]|\\.)*"')


def drawn_ids(net: Network, level: str, roll: bool, merge: bool = False) -> dict[str, str]:
    """Each layer -> the node that draws it at `level` (itself, its merged run's first
    layer with `merge`, or its folded group)."""
    folded = {"stage": {"stem", "stage", "head"}, "block": {"block", "run"}}.get(level, set())
    ids: dict[str, str] = {}
    chains = merged_chains(net) if merge and level == "layer" else {}

    def walk(item: str | Group) -> None:
        if isinstance(item, str):
            ids[item] = chains[item][0] if item in chains else item
        elif item.kind in folded:
            for node in item.nodes():
                ids[node] = item.key
        else:
            for inner in item.items:
                walk(inner)

    for item in build_tree(net, roll).items:
        walk(item)
    return ids


def resolution_starts(
    net: Network, level: str, roll: bool, merge: bool = False
) -> dict[tuple[int, ...], str]:
    """Spatial size -> the drawn node where the network first reaches it."""
    ids = drawn_ids(net, level, roll, merge)
    starts: dict[tuple[int, ...], str] = {}
    for name, node in net.nodes.items():
        shape = tuple(node.shape)
        size = shape[-2:] if len(shape) >= 3 else ("flat",)
        if size not in starts and name in ids:
            starts[size] = ids[name]  # type: ignore[index]
    return starts  # type: ignore[return-value]


def _prefixed(line: str, prefix: str) -> str:
    if found := _CLUSTER.match(line):
        indent, name = found.groups()
        rest = name.removeprefix("cluster_")
        return f"{indent}subgraph {quote('cluster_' + prefix + rest)} {{"
    if found := _EDGE.match(line):
        indent, a, b, tail = found.groups()
        return f'{indent}"{prefix}{a}" -> "{prefix}{b}"{tail or ""};'
    if found := _NODE.match(line):
        indent, a, tail = found.groups()
        return f'{indent}"{prefix}{a}"{tail or ""};'
    if line.lstrip().startswith("{ rank=same;"):  # a header's space beside its first node
        return re.sub(_ID, lambda m: f'"{prefix}{m.group(1)}"', line)
    return line


def side_by_side(
    nets: Sequence[Network],
    level: str = "layer",
    roll: bool = False,
    direction: str = "TB",
    theme_name: str = "light",
    merge: bool = False,
) -> str:
    """One DOT graph: a column per network, left to right, aligned by resolution
    (with `direction` LR, a row per network, top to bottom); `theme_name` and
    `merge` as for `to_dot`."""
    if len(nets) < 2:
        raise ValueError("side by side needs two networks or more")
    out: list[str] = []
    anchors: dict[tuple[int, ...], list[str]] = {}
    for index, net in enumerate(nets):
        prefix = f"n{index}/"
        drawn_dot = to_dot(
            net, level=level, roll=roll, direction=direction, theme_name=theme_name, merge=merge
        )
        lines = drawn_dot.rstrip("\n").split("\n")
        head, body = lines[0], lines[1:-1]  # `digraph "x" {` ... `}`
        defaults = [line for line in body if line.startswith(("  graph [", "  node [", "  edge ["))]
        if index == 0:
            out.append(head.replace(quote(net.name), quote("_".join(n.name for n in nets)), 1))
            for line in defaults:
                out.append(_LABEL.sub('label=""', line) if line.startswith("  graph [") else line)
        title = f"{net.name}\n{net.params:,} parameters, {compact(net.macs)} MACs"
        out.append(f"  subgraph {quote(f'cluster_{prefix}')} {{")
        out.append(f'    label={quote(title)}; labelloc="t"; fontsize=14; pencolor="transparent";')
        drawn = set()
        for line in body:
            if line in defaults:
                continue
            renamed = _prefixed(line, prefix)
            if found := _NODE.match(line):
                drawn.add(found.group(2))
            out.append("  " + renamed)
        out.append("  }")
        for size, node in resolution_starts(net, level, roll, merge).items():
            if node in drawn:
                anchors.setdefault(size, []).append(quote(prefix + node))
    for nodes in anchors.values():
        if len(nodes) > 1:
            out.append(f"  {{ rank=same; {'; '.join(nodes)}; }}")
    out.append("}")
    return "\n".join(out) + "\n"
