"""The IR: the resolved network, every value concrete, every shape and count known.

`expand` builds it in one pass. It has two views of the same ops:

- the module tree (`Network` -> `Stage` -> `Block` -> `Op`), which codegen
  writes as classes and attributes;
- the data-flow table `Network.nodes` (`Node`s in execution order, each with
  its inputs), which analysis, diagrams and diff read.

Joins and shortcut kinds are explicit (`Block.join`, `Block.shortcut`); nothing
downstream re-derives them. `to_networkx()` gives a networkx graph for graph
algorithms; nothing on the build path needs one.

The records other than `Edge` compare by identity (`eq=False`): each is one place
in one network, and a field-by-field `__eq__` would only cost its creation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from resgen.graph.shapes import Shape
from resgen.spec.schema import BlockDef, InitSettings
from resgen.spec.yaml_source import Path as KeyPath

if TYPE_CHECKING:
    import networkx as nx

    from resgen.spec.yaml_source import Location


@dataclass(frozen=True)
class Edge:
    """One input of a node. Inputs of a join say which branch they carry."""

    source: str
    branch: str = ""  # main | shortcut | gate at a join; "" for plain data flow
    kind: str = ""  # the shortcut's kind (identity, zeropad, projection, ...)
    option: str = ""  # the spec's shortcut option (identity, A, B, C, D)

    def attributes(self) -> dict[str, str]:
        """The non-empty fields (the networkx edge attributes)."""
        pairs = (("branch", self.branch), ("kind", self.kind), ("option", self.option))
        return {key: value for key, value in pairs if value}


@dataclass(eq=False)
class Node:
    """One op in the data flow, with its inferred shape and exact counts."""

    id: str  # module path of its layer, e.g. layer1.0.conv1 (`#2` marks a repeated call)
    op: str
    args: dict[str, Any]  # concrete values
    shape: Shape
    in_shape: Shape
    inputs: tuple[Edge, ...]
    location: Location | None  # where the spec wrote it
    key: str  # the spec key path, as text
    stage: str | None = None  # stem, head, or a stage name
    block: str | None = None  # the block's module path
    branch: str | None = None  # main | shortcut | gate | post inside a block
    zero_init: bool = False
    params: int = 0
    macs: int = 0
    activations: int = 0  # elements of the output


@dataclass(eq=False)
class Op:
    """One layer call. `attr` is its attribute name in the parent module."""

    op: str
    attr: str
    args: dict[str, Any]
    in_shape: Shape
    shape: Shape
    node: str  # id of its Node
    source: Any = None  # the spec's layer (expressions unevaluated)
    children: list[Op] = field(default_factory=list)  # for `sequential`


@dataclass(eq=False)
class Shortcut:
    """How a block's input reaches its join: `identity`, or a module."""

    kind: str  # identity | zeropad | projection | conv | avgdown | avgdown_conv | none
    in_channels: int = 0
    out_channels: int = 0
    stride: int = 1
    tap: int | None = None  # index of the main layer a projection reads (pre-activation)
    option: str = ""  # the spec's choice: identity, A, B, C, D or none
    nodes: tuple[str, ...] = ()  # its layers' node ids
    pad_before: int = 0  # zero-pad: new channels before the input's (`zero_pad: split`)
    attr: str = "downsample"  # its attribute in the block
    layer_names: tuple[str, ...] = ()  # its layers' names (a place per layer); () numbered
    first: bool = False  # registered before the main branch's layers


@dataclass(eq=False)
class Block:
    index: int
    path: str  # module path, e.g. layer2.0
    type_name: str
    definition: BlockDef
    env: dict[str, Any]  # every variable the block's expressions can read
    main: list[Op]
    shortcut: Shortcut
    join: str
    post: list[Op]
    in_shape: Shape
    shape: Shape
    gate: list[Op] = field(default_factory=list)
    zero_init: str | None = None  # attribute of the norm initialised to zero
    # the knobs that shape this block's layers (activation, norm, se, ...): blocks of
    # one type with different variants become different classes
    variant: tuple[tuple[str, Any], ...] = ()
    class_name: str = ""  # the emitted class, set once the whole network is known
    depth: int = 0  # position among the residual blocks (from 1; 0: not residual)
    output: str = ""  # id of its last node


@dataclass(eq=False)
class Stage:
    name: str
    blocks: list[Block]
    spec_path: KeyPath
    after: list[Op] = field(default_factory=list)
    inline: bool = False  # its blocks sit directly in the `features` container
    blocks_in: str | None = None  # the nn.Sequential inside the stage holding its blocks


@dataclass(eq=False)
class Network:
    name: str
    class_name: str
    input: Shape
    spec_hash: str
    stem: list[Op] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    head: list[Op] = field(default_factory=list)
    output: Shape = ()
    drop_path_rule: str = "linear"  # the emitted `drop_path_rate`'s rule (linear, timm)
    features: str | None = None  # name of the nn.Sequential wrapping stem and stages
    trunk: str | None = None  # name of the nn.Sequential wrapping the stages
    description: str = ""  # the spec's, for the class docstring
    init: InitSettings = field(default_factory=InitSettings)  # the spec's `init:`
    drop_path: float = 0.0  # stochastic depth: the last residual block's drop rate
    residual_blocks: int = 0
    nodes: dict[str, Node] = field(default_factory=dict)  # data flow, in execution order
    output_node: str = "input"
    params: int = 0
    macs: int = 0
    activations: int = 0

    def blocks(self) -> Iterator[Block]:
        for stage in self.stages:
            yield from stage.blocks

    def ops(self) -> Iterator[Op]:
        """Every layer call in order: stem, each stage's blocks and `after`, head."""
        yield from walk(self.stem)
        for stage in self.stages:
            for block in stage.blocks:
                yield from walk([*block.main, *block.gate, *block.post])
            yield from walk(stage.after)
        yield from walk(self.head)

    def edges(self) -> list[tuple[str, str, Edge]]:
        """`(source, target, edge)` for every input of every node, grouped by source in
        data-flow order (then by target): the order networkx lists them in."""
        position = {node: index for index, node in enumerate(self.nodes)}
        edges = [(e.source, node.id, e) for node in self.nodes.values() for e in node.inputs]
        return sorted(edges, key=lambda edge: position[edge[0]])

    def to_networkx(self) -> nx.DiGraph:
        """The data flow as a networkx graph, for graph algorithms.

        Node attributes are the `Node` fields (less `id` and `inputs`); edge
        attributes the `Edge` fields that are set, plus the source's `shape`;
        `graph.graph` holds this network, the `output` node and the totals.
        """
        import networkx as nx

        graph = nx.DiGraph(name=self.name)
        for node in self.nodes.values():
            attributes = {k: v for k, v in vars(node).items() if k not in {"id", "inputs"}}
            for key in ("stage", "block", "branch"):
                if attributes[key] is None:
                    del attributes[key]
            if not node.zero_init:
                del attributes["zero_init"]
            graph.add_node(node.id, **attributes)
            for edge in node.inputs:
                shape = self.nodes[edge.source].shape
                graph.add_edge(edge.source, node.id, shape=shape, **edge.attributes())
        graph.graph.update(
            network=self,
            output=self.output_node,
            params=self.params,
            macs=self.macs,
            activations=self.activations,
        )
        return graph


def walk(ops: list[Op]) -> Iterator[Op]:
    """`ops` and, depth first, the layers inside each `sequential`."""
    for op in ops:
        yield op
        yield from walk(op.children)
