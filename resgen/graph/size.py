"""How many layers a spec asks for, counted from its settings before it is expanded.

Expanding a network costs time and memory per layer, so a spec whose blocks
multiply to more layers than the limit is refused before any is built. The
count is a lower bound that is exact but for the shortcut's layers (none to
three per block, known only once the shapes are), so a spec is never refused
here that would build; the expander's own count catches the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from resgen.spec.schema import BlockDef, Spec, layer_op

Setting = Callable[[int | None, str, Any], Any]  # (stage index, knob, default) -> value


def sequence_layers(layers: Sequence[Any], norm_vanishes: bool) -> int:
    """Graph nodes of a list of layers: a `sequential` is its children, `norm: none` nothing."""
    total = 0
    for layer in layers:
        op, raw = layer_op(layer)
        if op == "sequential":
            total += sequence_layers(raw.layers, norm_vanishes)
        elif not (op == "norm" and norm_vanishes):
            total += 1
    return total


def block_layers(definition: BlockDef, norm_vanishes: bool, se: bool) -> int:
    """Nodes one block of this type adds, its shortcut's aside (and drop-path's, which
    a tiny rate may round away)."""
    residual = definition.shortcut != "none"
    branches = [definition.main, definition.post]
    if residual and definition.join == "gate":
        branches.append(definition.gate)
    layers = sum(sequence_layers(branch, norm_vanishes) for branch in branches)
    return layers + int(se) + int(residual)  # the SE layer, the join


def outside_blocks(spec: Spec, setting: Setting) -> int:
    """Nodes outside the blocks: the input, stem, head and every stage's `after:`."""

    def vanishes(stage_index: int | None) -> bool:
        return setting(stage_index, "norm", "batch") == "none"

    total = 1 + sum(sequence_layers(part, vanishes(None)) for part in (spec.stem, spec.head))
    for index, stage in enumerate(spec.stages):
        total += sequence_layers(stage.after, vanishes(index))
    return total


def stage_layers(definition: BlockDef, blocks: int, stage_index: int, setting: Setting) -> int:
    """Nodes the blocks of stage `stage_index` add (a lower bound: see the module doc)."""
    norm_vanishes = setting(stage_index, "norm", "batch") == "none"
    se = bool(setting(stage_index, "se", None))
    return blocks * block_layers(definition, norm_vanishes, se)
