"""The diagram's hierarchy, read from the graph: stem, stages, runs, blocks, layers.

Both renderers draw from this tree. It uses only the graph contract (node
attributes `stage`, `block`, `branch`; join edges' `branch`, `kind`, `option`)
plus the block type names from `graph.graph["network"]` where present.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from resgen.graph.shapes import Shape


@dataclass
class Group:
    """A stem, stage, head, block, or a run of identical blocks (`--roll`)."""

    kind: str  # stem | stage | head | block | run
    name: str  # stage name, block path, or `first … last` for a run
    items: list[str | Group] = field(default_factory=list)
    type_name: str = ""
    shortcut: str = ""  # kind of the shortcut into the join (blocks and runs)
    option: str = ""
    join: str = ""  # join op (add, concat, gate)
    count: int = 1  # blocks (stages and runs)
    in_shape: Shape = ()
    shape: Shape = ()
    params: int = 0
    macs: int = 0
    activations: int = 0

    @property
    def key(self) -> str:
        """A DOT / HTML id that no layer can have (layer ids contain no `:`)."""
        return f"{self.kind}:{self.name}"

    @property
    def changes_shape(self) -> bool:
        return self.kind in {"block", "run"} and self.in_shape != self.shape

    def nodes(self) -> Iterator[str]:
        for item in self.items:
            if isinstance(item, Group):
                yield from item.nodes()
            else:
                yield item

    def groups(self) -> Iterator[Group]:
        for item in self.items:
            if isinstance(item, Group):
                yield item
                yield from item.groups()


@dataclass
class Tree:
    items: list[str | Group]

    def groups(self) -> Iterator[Group]:
        for item in self.items:
            if isinstance(item, Group):
                yield item
                yield from item.groups()


def build_tree(graph: nx.DiGraph, roll: bool = False) -> Tree:
    """Group the graph's nodes in data-flow order; with `roll`, fold identical runs."""
    top: list[str | Group] = []
    stages: dict[str, Group] = {}
    blocks: dict[str, Group] = {}
    for node, data in graph.nodes(data=True):
        stage_name = data.get("stage")
        if stage_name is None:
            top.append(node)
            continue
        stage = stages.get(stage_name)
        if stage is None:
            kind = stage_name if stage_name in {"stem", "head"} else "stage"
            stage = stages[stage_name] = Group(kind, stage_name)
            top.append(stage)
        block_path = data.get("block")
        if block_path is None:
            stage.items.append(node)
            continue
        block = blocks.get(block_path)
        if block is None:
            block = blocks[block_path] = Group("block", block_path)
            stage.items.append(block)
        block.items.append(node)
    types = _block_types(graph)
    for block in blocks.values():
        block.type_name = types.get(block.name, "block")
        _summarise(graph, block)
        _find_join(graph, block)
    for stage in stages.values():
        if roll and stage.kind == "stage":
            stage.items = _roll(graph, stage.items)
        _summarise(graph, stage)
        inner = [item for item in stage.items if isinstance(item, Group)]
        stage.count = sum(item.count for item in inner)
        names = sorted({item.type_name for item in inner})
        stage.type_name = names[0] if len(names) == 1 else ""
    return Tree(top)


def _block_types(graph: nx.DiGraph) -> dict[str, str]:
    network = graph.graph.get("network")
    if network is None:
        return {}
    return {block.path: block.type_name for stage in network.stages for block in stage.blocks}


def _summarise(graph: nx.DiGraph, group: Group) -> None:
    nodes = list(group.nodes())
    if not nodes:
        return
    first, last = graph.nodes[nodes[0]], graph.nodes[nodes[-1]]
    group.in_shape = tuple(first.get("in_shape", ()))
    group.shape = tuple(last.get("shape", ()))
    group.params = sum(graph.nodes[n].get("params", 0) for n in nodes)
    group.macs = sum(graph.nodes[n].get("macs", 0) for n in nodes)
    group.activations = sum(graph.nodes[n].get("activations", 0) for n in nodes)


def _find_join(graph: nx.DiGraph, block: Group) -> None:
    for node in block.nodes():
        for _, target, data in graph.in_edges(node, data=True):
            if data.get("branch") == "shortcut":
                block.shortcut = data.get("kind", "")
                block.option = str(data.get("option", ""))
                block.join = graph.nodes[target].get("op", "")
                return


def suffix(block: str, node: str) -> str:
    """`layer1.3.relu#2` in block `layer1.3` -> `relu#2`."""
    return node[len(block) + 1 :] if node.startswith(block + ".") else node


def _signature(graph: nx.DiGraph, block: Group) -> tuple[Any, ...]:
    """Everything that makes two blocks draw alike: ops, args, shapes, wiring."""
    inside = set(block.nodes())
    parts: list[Any] = [block.in_shape]
    for node in block.nodes():
        data = graph.nodes[node]
        wiring = tuple(
            (suffix(block.name, src) if src in inside else "<in>", repr(sorted(edge.items())))
            for src, _, edge in graph.in_edges(node, data=True)
        )
        args = repr(sorted(data.get("args", {}).items()))
        parts.append((suffix(block.name, node), data.get("op"), args, data.get("shape"), wiring))
    return tuple(parts)


def _roll(graph: nx.DiGraph, items: list[str | Group]) -> list[str | Group]:
    """Fold each run of two or more identical consecutive blocks into a `run` group."""
    result: list[str | Group] = []
    run: list[Group] = []
    key: tuple[Any, ...] | None = None

    def flush() -> None:
        if len(run) == 1:
            result.append(run[0])
        elif run:
            first, last = run[0], run[-1]
            group = Group(
                "run",
                f"{first.name} … {last.name}",
                list(run),
                type_name=first.type_name,
                shortcut=first.shortcut,
                option=first.option,
                join=first.join,
                count=len(run),
            )
            _summarise(graph, group)
            result.append(group)
        run.clear()

    for item in items:
        if not (isinstance(item, Group) and item.kind == "block"):
            flush()
            key = None
            result.append(item)
            continue
        signature = _signature(graph, item)
        if signature != key:
            flush()
            key = signature
        run.append(item)
    flush()
    return result
