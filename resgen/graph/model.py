"""The resolved network: every value concrete, every layer named, every shape known.

Built by `expand` together with the networkx graph; codegen reads this
structure for the module layout, analysis and rendering read the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from resgen.graph.shapes import Shape
from resgen.spec.schema import BlockDef, InitSettings
from resgen.spec.yaml_source import Path as KeyPath


@dataclass
class Op:
    """One layer call. `attr` is its attribute name in the parent module."""

    op: str
    attr: str
    args: dict[str, Any]
    in_shape: Shape
    shape: Shape
    node: str  # graph node id
    source: Any = None  # the schema layer it came from (expressions unevaluated)
    children: list[Op] = field(default_factory=list)  # for `sequential`


@dataclass
class Shortcut:
    """How a block's input reaches its join: `identity`, or a module."""

    kind: str  # identity | zeropad | projection | conv | avgdown | avgdown_conv | none
    in_channels: int = 0
    out_channels: int = 0
    stride: int = 1
    tap: int | None = None  # index of the main layer a projection reads (pre-activation)


@dataclass
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


@dataclass
class Stage:
    name: str
    blocks: list[Block]
    spec_path: KeyPath
    after: list[Op] = field(default_factory=list)


@dataclass
class Network:
    name: str
    class_name: str
    input: Shape
    spec_hash: str
    stem: list[Op] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    head: list[Op] = field(default_factory=list)
    output: Shape = ()
    features: str | None = None  # name of the nn.Sequential wrapping stem and stages
    description: str = ""  # the spec's, for the class docstring
    init: InitSettings = field(default_factory=InitSettings)  # the spec's `init:`
    drop_path: float = 0.0  # stochastic depth: the last residual block's drop rate
    residual_blocks: int = 0
