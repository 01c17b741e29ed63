"""Variant name templates: `resnet{depth}_{shortcut}`.

A field is an axis (by its label or full path), or one of the fields every
variant has: `depth` (weighted layers, known only once the variant is built),
`index` (its position in the sweep, from 1), `base` (the base spec's name) and
`sweep` (the sweep's name). Templates are parsed and filled by the one safe
formatter of `resgen/spec/name_template.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from resgen.errors import Location, SpecError
from resgen.spec.name_template import NameTemplate, TemplateError, parse_template

BUILTIN_FIELDS = ("depth", "index", "base", "sweep")


@dataclass(frozen=True)
class Template:
    text: str
    origin: Location
    slug: bool = False  # write values as identifier characters (`n * 2` -> `n_2`)

    @property
    def parsed(self) -> NameTemplate:
        try:
            return parse_template(self.text)
        except TemplateError as exc:
            raise SpecError(str(exc), location=self.origin, hint=exc.hint) from None

    @property
    def fields(self) -> tuple[str, ...]:
        return self.parsed.fields

    @property
    def needs_build(self) -> bool:
        """Whether naming needs the built network (for `{depth}`)."""
        return "depth" in self.fields

    def check(self, known: Iterable[str]) -> None:
        """Refuse a malformed template, or a field that no axis or built-in provides."""
        try:
            self.parsed.check_fields([*known, *BUILTIN_FIELDS])
        except TemplateError as exc:
            raise SpecError(str(exc), location=self.origin, hint=exc.hint) from None

    def render(self, values: Mapping[str, Any]) -> str:
        """Fill in every field; a missing value shows as `?`."""
        return self.parsed.render(values, self._value)

    def _value(self, value: Any) -> str:
        return re.sub(r"\W+", "_", str(value)).strip("_") if self.slug else str(value)

    def could_render(self, name: str, values: Mapping[str, Any]) -> bool:
        """Whether `name` could come out of this template, whatever the missing fields are."""
        return re.fullmatch(self.parsed.pattern(values, self._value), name) is not None
