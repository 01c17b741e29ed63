"""Overrides: `PATH=VALUE` edits of a spec's parsed YAML, applied before validation.

An override remembers where it was written (a `--set` argument, or a line of a
sweep file). `OverriddenSource` sends every error inside an overridden value
there, and every other error to the base spec's own line and column.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from resgen.errors import Location, SpecError
from resgen.spec.yaml_source import MAX_DEPTH, Source, format_path, read_yaml
from resgen.spec.yaml_source import Path as KeyPath

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)((?:\[\d+\])*)")


@dataclass(frozen=True)
class ArgumentLocation(Location):
    """A command-line argument standing in for a file position."""

    def __str__(self) -> str:
        return self.file


@dataclass(frozen=True)
class Override:
    """Set `path` to `value`; `origin` is where the user wrote it."""

    path: KeyPath
    value: Any
    origin: Location

    def error(self, message: str, path: KeyPath | None = None, hint: str = "") -> SpecError:
        """An error at this override; a `--set` argument already shows its own path."""
        path = self.path if path is None else path
        shown = path == self.path and isinstance(self.origin, ArgumentLocation)
        return SpecError(
            message, path="" if shown else format_path(path), location=self.origin, hint=hint
        )


def parse_path(text: str) -> KeyPath:
    """`stages[1].blocks` -> `("stages", 1, "blocks")`; ValueError if malformed or
    deeper than a spec may nest."""
    if text.count(".") + text.count("[") >= MAX_DEPTH:
        raise ValueError(f"{text[:40]!r}... is deeper than a spec may nest ({MAX_DEPTH} levels)")
    path: list[str | int] = []
    for segment in text.split("."):
        match = _SEGMENT.fullmatch(segment)
        if not match:
            raise ValueError(
                f"{text!r} is not a spec path: use keys and list indexes, "
                "e.g. defaults.shortcut, params.n or stages[1].blocks"
            )
        path.append(match[1])
        path.extend(int(index) for index in re.findall(r"\d+", match[2]))
    return tuple(path)


def parse_set(argument: str) -> Override:
    """`--set PATH=VALUE`: VALUE is read as YAML (`9` an int, `n*2` a string, `[1, 2]` a list)."""
    shown = argument if len(argument) <= 100 else argument[:97] + "..."
    origin = ArgumentLocation(f"--set {shown}", 0, 0)
    text, equals, raw = argument.partition("=")
    if not equals:
        raise SpecError("expected PATH=VALUE, e.g. --set params.n=9", location=origin)
    try:
        path = parse_path(text.strip())
    except ValueError as exc:
        raise SpecError(str(exc), location=origin) from None
    try:
        value = read_yaml(raw, str(origin)).data
    except SpecError as exc:
        raise SpecError(exc.message, location=origin) from None
    return Override(path, value, origin)


def apply(data: Any, overrides: Sequence[Override]) -> Any:
    """`data` with every override applied in order, to a deep copy (`data` itself if none)."""
    if not overrides:
        return data
    result = copy.deepcopy(data) if data is not None else {}
    for override in overrides:
        _set(result, override)
    return result


def _set(root: Any, override: Override) -> None:
    node, path = root, override.path
    for depth, key in enumerate(path):
        where = format_path(path[:depth]) or "the spec"
        if isinstance(key, int):
            if not isinstance(node, list):
                raise override.error(f"{where} is {_kind(node)}, not a list", path[: depth + 1])
            if key >= len(node):
                raise override.error(
                    f"{where} has {len(node)} entries, so there is no {where}[{key}]",
                    path[: depth + 1],
                )
        elif not isinstance(node, dict):
            raise override.error(f"{where} is {_kind(node)}, not a mapping", path[: depth + 1])
        if depth == len(path) - 1:
            node[key] = copy.deepcopy(override.value)
            return
        if isinstance(key, str) and node.get(key) is None:
            if isinstance(path[depth + 1], int):
                missing = format_path(path[: depth + 1])
                raise override.error(f"{missing} is not set, so it has no entries to index")
            node[key] = {}
        node = node[key]


def _kind(value: Any) -> str:
    return "empty" if value is None else f"a {type(value).__name__} ({value!r:.40})"


@dataclass
class OverriddenSource(Source):
    """A spec source whose errors inside overridden values point at the override."""

    overrides: tuple[Override, ...] = ()

    def __post_init__(self) -> None:
        # expansion locates every node it adds, so finding the owner must be cheap
        self._by_path = {override.path: override for override in self.overrides}
        self._sizes = sorted({len(path) for path in self._by_path}, reverse=True)

    def _owner(self, path: KeyPath) -> Override | None:
        """The most specific override that wrote `path` (the latest, if one path is set twice)."""
        for size in self._sizes:
            if size <= len(path) and (owner := self._by_path.get(path[:size])):
                return owner
        return None

    def locate(self, path: KeyPath) -> Location:
        owner = self._owner(tuple(path))
        return owner.origin if owner else super().locate(path)

    def error(self, path: KeyPath, message: str, hint: str = "") -> SpecError:
        owner = self._owner(tuple(path))
        if owner is None:
            return super().error(path, message, hint)
        return owner.error(message, tuple(path), hint)


def overridden(base: Source, overrides: Sequence[Override]) -> OverriddenSource:
    """`base` with `overrides` applied, remembering where each came from."""
    return OverriddenSource(
        data=apply(base.data, overrides),
        file=base.file,
        positions=base.positions,
        overrides=tuple(overrides),
    )
