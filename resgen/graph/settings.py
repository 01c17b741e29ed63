"""A stage's settings, resolved into frozen values before any of its blocks is built."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from resgen.spec.expr import ExpressionError, parse
from resgen.spec.schema import BlockDef, Spec, layer_op
from resgen.spec.yaml_source import Path as KeyPath

BLOCK_PARAM_KNOBS = ("expansion", "groups", "width_per_group", "stride_on")
# knobs the expander reads for every stage, whatever its block type
STAGE_KNOBS = ("norm", "norm_groups", "activation", "se", "zero_init", "shortcut_norm",
               "dilation", "shortcut", "zero_pad")  # fmt: skip
# knobs the stem and head read too (`norm` and `act` layers), so a network without stages uses them
LAYER_KNOBS = ("norm", "norm_groups", "activation")


@dataclass(frozen=True)
class StageSettings:
    """Everything the blocks of one stage share."""

    index: int
    name: str
    path: KeyPath  # ("stages", index)
    type_name: str
    definition: BlockDef
    base: KeyPath  # where the block type's layers are written, for errors
    env: Mapping[str, Any]  # the variables its expressions read, before per-block ones
    count: int
    stride: int  # of the first block
    first_dilation: int  # of the first block; the others use `dilation`
    dilation: int
    shortcut: str  # the spec's option: identity, A, B, C, D or none
    shortcut_path: KeyPath

    @property
    def residual(self) -> bool:
        return self.shortcut != "none"


def knob(spec: Spec, stage_index: int | None, name: str) -> tuple[Any, KeyPath] | None:
    """A knob's value and where it was set: the stage, else `defaults`; None if unset."""
    owners: list[tuple[Any, KeyPath]] = []
    if stage_index is not None:
        owners.append((spec.stages[stage_index], ("stages", stage_index)))
    owners.append((spec.defaults, ("defaults",)))
    for owner, path in owners:
        in_args = name in owner.args
        value = owner.args[name] if in_args else getattr(owner, name, None)
        if value is not None:
            return value, (*path, "args", name) if in_args else (*path, name)
    return None


def setting(spec: Spec, stage_index: int | None, name: str, default: Any) -> Any:
    found = knob(spec, stage_index, name)
    return default if found is None else found[0]


def unused_defaults(spec: Spec, types: Mapping[str, BlockDef]) -> list[KeyPath]:
    """`defaults` keys for block parameters that no stage's block type reads."""
    defaults = spec.defaults
    unused = []
    if not spec.stages:  # a network of stem and head layers: only the layers' knobs apply
        set_keys = defaults.model_dump(exclude_none=True, exclude_defaults=True)
        return [("defaults", key) for key in set_keys if key not in LAYER_KNOBS]
    for name in [*BLOCK_PARAM_KNOBS, *defaults.args]:
        in_args = name in defaults.args
        if (defaults.args.get(name) if in_args else getattr(defaults, name)) is None:
            continue
        if not any(_reads_default(spec, index, types, name) for index in range(len(spec.stages))):
            unused.append(("defaults", "args", name) if in_args else ("defaults", name))
    return unused


def _reads_default(spec: Spec, index: int, types: Mapping[str, BlockDef], name: str) -> bool:
    if name in STAGE_KNOBS:  # read for every stage
        return True
    stage = spec.stages[index]
    definition = types.get(stage.block or spec.defaults.block or "")
    if definition is None or name not in definition.params:
        return False
    found = knob(spec, index, name)
    return found is not None and found[1][0] == "defaults"


def names_in(definition: BlockDef) -> set[str]:
    """Every name the block type's expressions read."""
    names: set[str] = set()
    pending: list[Any] = [definition.model_dump(exclude={"params", "doc", "class_name", "base"})]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            with contextlib.suppress(ExpressionError):  # plain strings are not expressions
                names |= parse(item).names
    return names


def uses_dilation(definition: BlockDef) -> bool:
    """Whether a conv of the main branch reads `dilation` (so `dilate:` can apply)."""
    for layer in definition.main:
        op, raw = layer_op(layer)
        if (
            op == "conv"
            and isinstance(raw.dilation, str)
            and "dilation" in parse(raw.dilation).names
        ):
            return True
    return False
