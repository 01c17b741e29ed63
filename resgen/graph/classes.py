"""Which class of the emitted module each block becomes, decided with the checked graph.

A block class serves every block of one structure: the same block type (or
types that differ only in their params' defaults, as `bottleneck` and
`grouped` do: they share torchvision's `Bottleneck`), the same join, and the
same structural knobs (activation, norm, SE, zero-init, drop-path). Its name
is the type's `class` (else `TypeNameBlock`); a residual type used without a
shortcut adds `NoShortcut`, and a type used with other knobs in other stages
adds what differs from its first use (`BasicBlockSE`, `BasicBlockGN`).

Two different structures that would take one name, or a block class named like
the network's class, are located errors: nothing is renamed behind the user's back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from resgen.errors import SpecError
from resgen.graph.model import Block, Network
from resgen.ops.activation import ACTIVATIONS
from resgen.spec.schema import BlockDef, Spec, layer_op
from resgen.spec.yaml_source import Path as KeyPath

ErrorFactory = Callable[[KeyPath, str, str], SpecError]

_WORDS: dict[str, dict[Any, str]] = {
    "activation": {op.name: op.module[3 : op.module.index("(")] for op in ACTIVATIONS},
    "norm": {"batch": "BN", "group": "GN", "none": "NoNorm"},
    "se": {True: "SE", False: "NoSE"},
    "zero_init": {True: "ZeroInit", False: "NoZeroInit"},
    "drop_path": {True: "DropPath", False: "NoDropPath"},
}


@dataclass(frozen=True)
class _Key:
    requested: str  # the type's `class`, or the name derived from the type name
    structure: str  # the type's definition, less its params, doc and class
    join: bool
    variant: tuple[tuple[str, Any], ...]


def _requested(block: Block) -> str:
    return block.definition.class_name or (
        "".join(part.capitalize() for part in block.type_name.split("_")) + "Block"
    )


def _structure(definition: BlockDef) -> str:
    """The definition as canonical JSON, less its params, doc, class and base."""
    fields = definition.model_dump(mode="json", exclude={"params", "doc", "class_name", "base"})
    return json.dumps(fields, sort_keys=True)


def _suffix(variant: tuple[tuple[str, Any], ...], first: tuple[tuple[str, Any], ...]) -> str:
    """What this variant changes from the type's first one, in words (`SE`, `GN`)."""
    before = dict(first)
    return "".join(_WORDS[knob][value] for knob, value in variant if before.get(knob) != value)


class _Namer:
    def __init__(self, spec: Spec, net: Network, error: ErrorFactory) -> None:
        self.spec = spec
        self.net = net
        self.error = error
        self.names: dict[_Key, str] = {}
        self.owners: dict[str, Block] = {}
        self.first_variant: dict[tuple[str, str, bool], tuple[tuple[str, Any], ...]] = {}
        self.structures: dict[int, str] = {}  # by id: the blocks of a stage share a definition

    def key(self, block: Block) -> _Key:
        definition = block.definition
        if id(definition) not in self.structures:
            self.structures[id(definition)] = _structure(definition)
        structure = self.structures[id(definition)]
        return _Key(_requested(block), structure, bool(block.join), block.variant)

    def name(self, block: Block, stage_path: KeyPath) -> str:
        key = self.key(block)
        if key not in self.names:
            self.names[key] = self.new_name(key, block, stage_path)
        return self.names[key]

    def new_name(self, key: _Key, block: Block, stage_path: KeyPath) -> str:
        first = self.first_variant.setdefault((key.requested, key.structure, key.join), key.variant)
        name = key.requested
        if not key.join and block.definition.shortcut != "none":
            name += "NoShortcut"
        name += _suffix(key.variant, first)
        if name == self.net.class_name:
            raise self.network_clash(block, name, stage_path)
        if name in self.owners:
            raise self.type_clash(block, name, self.owners[name], stage_path)
        self.owners[name] = block
        return name

    def where(self, block: Block, stage_path: KeyPath) -> tuple[KeyPath, bool]:
        """The user's key that chose this block's class name, and whether it is `class:`."""
        user = self.spec.blocks.get(block.type_name)
        if user is not None:
            written = user.class_name is not None
            return ("blocks", block.type_name, *(("class",) if written else ())), written
        return (*stage_path, "block"), False

    def network_clash(self, block: Block, name: str, stage_path: KeyPath) -> SpecError:
        path, written = self.where(block, stage_path)
        if not written:
            key = "class_name" if self.spec.class_name else "name"
            return self.error(
                (key,),
                f"the network's class {name!r} is also the class of block type "
                f"{block.type_name!r}",
                "choose another class_name for the network",
            )
        return self.error(
            path,
            f"class {name!r} is already the network's class",
            "give the block type another class, or the network another class_name",
        )

    def type_clash(self, block: Block, name: str, other: Block, stage_path: KeyPath) -> SpecError:
        path, written = self.where(block, stage_path)
        return self.error(
            path,
            f"block type {block.type_name!r} would be emitted as class {name!r}, "
            f"like block type {other.type_name!r} whose layers differ",
            "choose another `class:`"
            if written
            else f"give block type {block.type_name!r} its own `class:` in `blocks:`",
        )


def assign_class_names(spec: Spec, net: Network, error: ErrorFactory) -> None:
    """Set `class_name` on every block; a clash is a located error."""
    namer = _Namer(spec, net, error)
    for stage in net.stages:
        for block in stage.blocks:
            block.class_name = namer.name(block, stage.spec_path)


def _ops(layers: list[Any]) -> set[str]:
    """Every op in `layers`, those inside `sequential` layers included."""
    found: set[str] = set()
    for layer in layers:
        op, raw = layer_op(layer)
        found.add(op)
        if op == "sequential":
            found |= _ops(raw.layers)
    return found


def block_variant(
    definition: BlockDef, setting: Callable[[str, Any], Any], **flags: bool
) -> tuple[tuple[str, Any], ...]:
    """The knobs that shape one block's layers: activation and norm where the type
    uses `act` and `norm` layers, then `flags` (se, zero_init, drop_path)."""
    ops = _ops([*definition.main, *definition.gate, *definition.post])
    chosen = [(knob, setting(knob, default)) for op, knob, default in _CHOSEN if op in ops]
    return (*chosen, *flags.items())


_CHOSEN = (("act", "activation", "relu"), ("norm", "norm", "batch"))
