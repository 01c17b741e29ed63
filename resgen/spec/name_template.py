"""Name templates (`denselayer{n}`, `resnet{depth}_{shortcut}`): fields are filled in,
nothing is evaluated.

A template is literal text and fields. A field is `{name}` or `{name:format}`:
`name` is one of the names its user allows, matched as a whole (`{params.n}` is
a sweep axis, never an attribute lookup); `format` is an optional fill character
and alignment (`<`, `>`, `^`), an optional `0` (pad with zeros) and a width of
at most 64, e.g. `{n:03}` or `{i:_>4}`. Conversions (`!r`), attribute and index
access, other format types and lone braces are refused with a message naming
the allowed fields. One formatter serves the spec's `block_names` and the sweep
file's `name`, so neither runs Python's `str.format` on a user's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from resgen.spec.schema import suggest

MAX_WIDTH = 64
_PART = re.compile(r"\{([^{}]*)\}|[{}]")
_FORMAT = re.compile(r"(?:(?P<fill>[^{}])?(?P<align>[<>^]))?(?P<zero>0)?(?P<width>\d+)?")
FORMAT_HELP = (
    f"a field may take a width up to {MAX_WIDTH}, with a fill and alignment or 0: "
    "{n:03}, {n:_>4}"
)


class TemplateError(ValueError):
    """A template that cannot be used: the message names the template, `hint` the fix."""

    def __init__(self, message: str, hint: str = FORMAT_HELP) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Field:
    name: str
    fill: str = " "
    align: str = ""  # "" aligns as str.format does: numbers right, text left
    width: int = 0

    def render(self, value: Any, convert: Callable[[Any], str] = str) -> str:
        text = convert(value)
        pad = self.width - len(text)
        if pad <= 0:
            return text
        align = self.align or (">" if isinstance(value, int | float) else "<")
        left = {"<": 0, ">": pad, "^": pad // 2}[align]
        return self.fill * left + text + self.fill * (pad - left)


@dataclass(frozen=True)
class NameTemplate:
    text: str
    parts: tuple[str | Field, ...]  # literal text and fields, in order

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(part.name for part in self.parts if isinstance(part, Field))

    def check_fields(self, allowed: Collection[str]) -> None:
        """Refuse a field that is not one of `allowed`."""
        for name in self.fields:
            if name not in allowed:
                raise TemplateError(
                    f"unknown field {{{_shorten(name)}}} in the name template "
                    f"{_shorten(self.text)!r}{suggest(name, allowed)}",
                    "fields: " + ", ".join(f"{{{field}}}" for field in allowed),
                )

    def render(self, values: Mapping[str, Any], convert: Callable[[Any], str] = str) -> str:
        """The name; a field without a value shows as `?`."""
        return "".join(
            part.render(values.get(part.name, "?"), convert) if isinstance(part, Field) else part
            for part in self.parts
        )

    def pattern(self, values: Mapping[str, Any], convert: Callable[[Any], str] = str) -> str:
        """A regular expression for the names this template gives; a field without a
        value matches anything."""
        return "".join(
            re.escape(part)
            if isinstance(part, str)
            else re.escape(part.render(values[part.name], convert))
            if part.name in values
            else ".+"
            for part in self.parts
        )


@lru_cache(maxsize=1024)
def parse_template(text: str) -> NameTemplate:
    """Split `text` into literals and fields; TemplateError for anything else."""
    parts: list[str | Field] = []
    position = 0
    for match in _PART.finditer(text):
        if match[1] is None:
            raise TemplateError(
                f"a lone {match[0]!r} in the name template {_shorten(text)!r}",
                "braces only enclose a field, e.g. {n}",
            )
        parts += [text[position : match.start()], _field(match[1], text)]
        position = match.end()
    parts.append(text[position:])
    return NameTemplate(text, tuple(part for part in parts if part != ""))


def _field(body: str, text: str) -> Field:
    name, colon, spec = body.partition(":")
    where = f"{{{_shorten(body)}}} in the name template {_shorten(text)!r}"
    if "!" in name:
        raise TemplateError(f"conversions (!r, !s) are not allowed: {where}")
    if not colon:
        return Field(name)
    match = _FORMAT.fullmatch(spec)
    if match is None:
        raise TemplateError(f"format {_shorten(spec)!r} is not allowed: {where}")
    digits = match["width"] or "0"
    if len(digits) > 2 or int(digits) > MAX_WIDTH:
        raise TemplateError(f"width {_shorten(digits)} is larger than {MAX_WIDTH}: {where}")
    fill = match["fill"] or ("0" if match["zero"] and not match["align"] else " ")
    align = match["align"] or (">" if match["zero"] else "")
    return Field(name, fill, align, int(digits))


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
