"""Variant name templates: `resnet{depth}_{shortcut}`.

A field is an axis (by its label or full path), or one of the fields every
variant has: `depth` (weighted layers, known only once the variant is built),
`index` (its position in the sweep, from 1), `base` (the base spec's name) and
`sweep` (the sweep's name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from resgen.errors import Location, SpecError
from resgen.spec.schema import suggest

BUILTIN_FIELDS = ("depth", "index", "base", "sweep")
_FIELD = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Template:
    text: str
    origin: Location
    slug: bool = False  # write values as identifier characters (`n * 2` -> `n_2`)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(_FIELD.findall(self.text))

    @property
    def needs_build(self) -> bool:
        """Whether naming needs the built network (for `{depth}`)."""
        return "depth" in self.fields

    def check(self, known: Iterable[str]) -> None:
        """Refuse fields that no axis or built-in provides."""
        known = [*known, *BUILTIN_FIELDS]
        for name in self.fields:
            if name not in known:
                raise SpecError(
                    f"unknown field {{{name}}} in the name template {self.text!r}"
                    + suggest(name, known),
                    location=self.origin,
                    hint="fields: " + ", ".join(f"{{{k}}}" for k in known),
                )

    def render(self, values: Mapping[str, Any]) -> str:
        """Fill in every field; a missing value shows as `?`."""
        return _FIELD.sub(lambda match: self._value(values.get(match[1], "?")), self.text)

    def _value(self, value: Any) -> str:
        return re.sub(r"\W+", "_", str(value)).strip("_") if self.slug else str(value)

    def could_render(self, name: str, values: Mapping[str, Any]) -> bool:
        """Whether `name` could come out of this template, whatever the missing fields are."""
        parts = _FIELD.split(self.text)  # literal, field, literal, field, ..., literal

        def field(part: str) -> str:
            return re.escape(self._value(values[part])) if part in values else ".+"

        pattern = "".join(field(p) if i % 2 else re.escape(p) for i, p in enumerate(parts))
        return re.fullmatch(pattern, name) is not None
