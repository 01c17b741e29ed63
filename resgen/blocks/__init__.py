"""Block types: the built-in library (`library.yaml`, written in the spec language
itself) and a spec's own `blocks:`, with `base:` inheritance resolved."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from resgen.spec.schema import BlockDef, layer_op

LIBRARY_FILE = Path(__file__).with_name("library.yaml")


class BuiltinBlocks(Mapping[str, BlockDef]):
    """The library, each block type read and validated (and its `base:` resolved) when
    first asked for: a build parses the one or two types its spec uses, not all ten."""

    def __init__(self) -> None:
        self._texts = library_sections(LIBRARY_FILE.read_text(encoding="utf-8"))
        self._resolved: dict[str, BlockDef] = {}

    def raw(self, name: str) -> dict[str, Any]:
        """Block type `name` as written in the library (KeyError if there is none)."""
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # our own file: no positions
        return yaml.load(self._texts[name], Loader=loader)[name]

    def __getitem__(self, name: str) -> BlockDef:
        if name not in self._resolved:
            chain, link = {name: self.raw(name)}, name  # the type, its base, its base's ...
            while (base := chain[link].get("base")) in self._texts:
                if base in self._resolved or base in chain:
                    break
                chain[base], link = self.raw(base), base
            written = {link: BlockDef.model_validate(raw) for link, raw in chain.items()}
            self._resolved.update(resolve_bases(written, _library_error, self._resolved))
        return self._resolved[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def __contains__(self, name: object) -> bool:
        return name in self._texts


def library_sections(text: str) -> dict[str, str]:
    """The library's text of each block type: from its unindented `name:` line to the next."""
    starts = list(re.finditer(r"^(\w+):[ \t]*$", text, re.MULTILINE))
    ends = [match.start() for match in starts[1:]] + [len(text)]
    return {match[1]: text[match.start() : end] for match, end in zip(starts, ends, strict=True)}


def _library_error(name: str, message: str) -> Exception:
    return ValueError(f"{name}: {message}")


@cache
def builtin_blocks() -> BuiltinBlocks:
    return BuiltinBlocks()


def resolve_bases(
    blocks: Mapping[str, BlockDef],
    error: Callable[[str, str], Exception],
    known: Mapping[str, BlockDef] | None = None,
) -> dict[str, BlockDef]:
    """Each block with `base:` becomes its base with the keys it sets replaced.

    `params` are merged (the derived block's values win). `error(name, message)`
    builds the exception for an unknown base, a cycle, or an empty main branch.
    """
    known = known or {}
    resolved: dict[str, BlockDef] = {}

    def resolve(name: str, chain: tuple[str, ...]) -> BlockDef:
        if name in resolved:
            return resolved[name]
        if name not in blocks:
            return known[name]
        block = blocks[name]
        if block.base is not None:
            if block.base in chain:
                raise error(name, f"block types inherit in a cycle: {' -> '.join((*chain, name))}")
            if block.base not in blocks and block.base not in known:
                raise error(name, f"unknown base block type {block.base!r}")
            parent = resolve(block.base, (*chain, name))
            update = {field: getattr(block, field) for field in block.model_fields_set}
            update["params"] = {**parent.params, **block.params}
            update["let"] = {**parent.let, **block.let}
            update["base"] = None
            block = parent.model_copy(update=update)
        if not block.main:
            raise error(name, "a block type needs a `main` branch (or a `base` that has one)")
        resolved[name] = block
        return block

    for name in blocks:
        resolve(name, ())
    return resolved


def definition_problem(block: BlockDef) -> tuple[str, str] | None:
    """A key of a resolved block type that its other keys would ignore: `(key, why)`."""
    return next(_problems(block), None)


def _problems(block: BlockDef) -> Iterator[tuple[str, str]]:
    if block.shortcut == "none" and block.join != "add":
        yield "join", f"a block type without a shortcut has no join to be {block.join!r}"
    if block.shortcut == "none" and block.shortcut_from is not None:
        yield "shortcut_from", "a block type without a shortcut has no shortcut to tap"
    written = block.model_fields_set
    if block.join == "concat" and "shortcut" in written and block.shortcut != "identity":
        yield "shortcut", "a concat join keeps the block input as it is: use shortcut identity"
    if block.join == "concat" and block.shortcut_from is not None:
        yield "shortcut_from", "a concat join keeps the block input: shortcut_from cannot apply"
    for key in ("gate", "gate_bias"):
        if block.join != "gate" and getattr(block, key) not in ([], None):
            yield key, f"only a `join: gate` block type uses `{key}`"
    convs = [raw for op, raw in map(layer_op, block.gate) if op == "conv"]
    if block.gate_bias is not None and not (convs and convs[0].bias):
        yield "gate_bias", (
            "gate_bias sets the bias of the gate's first conv: give `gate:` a conv with bias: true"
        )
    for name in block.let:
        if name in block.params:
            yield "let", f"{name!r} is both a parameter and a `let` name"
