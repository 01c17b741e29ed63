"""The diagram's hierarchy: stem, stages, runs, blocks, layers.

Both renderers draw from this tree, read from the IR: nodes in data-flow order
with their stage and block, and each block's type, shortcut and join as the
expander recorded them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from resgen.graph.model import Network
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
        """A block that changes the tensor's shape (◆). A concat block always adds its
        growth to the channels, which is its nature, not a change: there only a new
        height × width counts (a DenseNet transition, a strided concat block)."""
        if self.kind not in {"block", "run"}:
            return False
        if self.join == "concat":
            return self.in_shape[1:] != self.shape[1:]
        return self.in_shape != self.shape

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


def build_tree(net: Network, roll: bool = False) -> Tree:
    """Group the network's nodes in data-flow order; with `roll`, fold identical runs."""
    blocks = {block.path: block for block in net.blocks()}
    top: list[str | Group] = []
    stages: dict[str, Group] = {}
    groups: dict[str, Group] = {}
    for node in net.nodes.values():
        if node.stage is None:
            top.append(node.id)
            continue
        stage = stages.get(node.stage)
        if stage is None:
            kind = node.stage if node.stage in {"stem", "head"} else "stage"
            stage = stages[node.stage] = Group(kind, node.stage)
            top.append(stage)
        if node.block is None:
            stage.items.append(node.id)
            continue
        group = groups.get(node.block)
        if group is None:
            block = blocks[node.block]
            group = groups[node.block] = Group(
                "block",
                node.block,
                type_name=block.type_name,
                shortcut="" if block.shortcut.kind == "none" else block.shortcut.kind,
                option="" if block.shortcut.kind == "none" else block.shortcut.option,
                join=block.join,
            )
            stage.items.append(group)
        group.items.append(node.id)
    for group in groups.values():
        _summarise(net, group)
    for stage in stages.values():
        if roll and stage.kind == "stage":
            stage.items = _roll(net, stage.items)
        _summarise(net, stage)
        inner = [item for item in stage.items if isinstance(item, Group)]
        stage.count = sum(item.count for item in inner)
        names = sorted({item.type_name for item in inner})
        stage.type_name = names[0] if len(names) == 1 else ""
    return Tree(top)


def _summarise(net: Network, group: Group) -> None:
    nodes = [net.nodes[node] for node in group.nodes()]
    if not nodes:
        return
    group.in_shape, group.shape = nodes[0].in_shape, nodes[-1].shape
    group.params = sum(node.params for node in nodes)
    group.macs = sum(node.macs for node in nodes)
    group.activations = sum(node.activations for node in nodes)


def suffix(block: str, node: str) -> str:
    """`layer1.3.relu#2` in block `layer1.3` -> `relu#2`."""
    return node[len(block) + 1 :] if node.startswith(block + ".") else node


def _signature(net: Network, block: Group) -> tuple[Any, ...]:
    """Everything that makes two blocks draw alike: ops, args, shapes, wiring."""
    inside = set(block.nodes())
    parts: list[Any] = [block.in_shape]
    for node in block.nodes():
        data = net.nodes[node]
        wiring = tuple(
            (suffix(block.name, e.source) if e.source in inside else "<in>", repr(e.attributes()))
            for e in data.inputs
        )
        args = repr(sorted(data.args.items()))
        parts.append((suffix(block.name, node), data.op, args, data.shape, wiring))
    return tuple(parts)


def _roll(net: Network, items: list[str | Group]) -> list[str | Group]:
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
            _summarise(net, group)
            result.append(group)
        run.clear()

    for item in items:
        if not (isinstance(item, Group) and item.kind == "block"):
            flush()
            key = None
            result.append(item)
            continue
        signature = _signature(net, item)
        if signature != key:
            flush()
            key = signature
        run.append(item)
    flush()
    return result


def _merge_role(op: str) -> str:
    """`head` for a conv or linear layer, `tail` for a norm or activation, else ``""``."""
    from resgen import ops

    definition = ops.get(op)
    if definition is None:
        return ""
    if definition.weighted:
        return "head"
    return "tail" if definition.normalization or definition.activation else ""


def merged_chains(net: Network) -> dict[str, tuple[str, ...]]:
    """`--merge`: each layer of a conv-norm-act run -> the run (two layers or more).

    A run starts at a conv (or linear) layer, or at a norm or activation that no such
    run took (pre-activation's `bn · relu`), and takes the norms and activations that
    follow it along a straight chain: the layer before feeds only the next one, which
    reads only it, in the same stage, block and branch. Joins are never merged, so
    the ⊕ nodes stay on the main lane.
    """
    consumers: dict[str, list[str]] = {name: [] for name in net.nodes}
    for source, target, _ in net.edges():
        consumers[source].append(target)
    chains: dict[str, tuple[str, ...]] = {}
    for name, node in net.nodes.items():
        if name in chains or not _merge_role(node.op) or len(node.inputs) > 1:
            continue
        if any(edge.branch for edge in node.inputs):
            continue
        chain = [name]
        while len(consumers[chain[-1]]) == 1:
            last = net.nodes[chain[-1]]
            following = net.nodes[consumers[chain[-1]][0]]
            if _merge_role(following.op) != "tail" or len(following.inputs) != 1:
                break
            if any(edge.branch for edge in following.inputs):
                break
            where = ("stage", "block", "branch")
            if any(getattr(following, key) != getattr(last, key) for key in where):
                break
            chain.append(following.id)
        if len(chain) > 1:
            for member in chain:
                chains[member] = tuple(chain)
    return chains
