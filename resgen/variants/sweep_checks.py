"""Mistakes of a sweep file that would otherwise show as failures of its variants.

A variant fails on its own merits when one of its values does not fit (exit
code 1, the others still build). These are the sweep's mistakes instead (exit
code 2, located in the sweep file, nothing built or written): a path that names
no key of the spec language, a key the base spec itself gets wrong, a name
template whose names are not valid names, or that gives two variants one name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from pydantic import TypeAdapter, ValidationError

from resgen.errors import SpecError
from resgen.spec.load import KeyProblem, key_problems
from resgen.spec.schema import Identifier
from resgen.spec.yaml_source import Path as KeyPath
from resgen.spec.yaml_source import Source
from resgen.variants.overrides import Override, apply

if TYPE_CHECKING:
    from resgen.variants.sweep import Variant

DEPTH_PROBE = 1  # `{depth}` while checking a name that needs the built network
_IDENTIFIER = TypeAdapter(Identifier)


def refuse_key_problems(base: Source, variant: Variant) -> None:
    """Every key of the edited spec exists in the spec language, but those inside an
    edited value (that value is its variant's own failure).

    Every variant edits the same paths, only with other values, so what the first
    one shows about paths and about the base holds for all of them.
    """
    edits = variant.overrides
    data = apply(base.data, edits)  # a missing list entry: an error at its edit
    for problem in key_problems(data):
        if not any(_inside(problem, edit.path) for edit in edits):
            raise _error(problem, base, edits)


def _error(problem: KeyProblem, base: Source, edits: Sequence[Override]) -> SpecError:
    """At the edit whose path goes through the problem, else in the base spec."""
    for edit in edits:
        if edit.path[: len(problem.path)] == problem.path:
            return edit.error(problem.message, problem.path)
    return base.error(problem.path, problem.message)


def _inside(problem: KeyProblem, edited: KeyPath) -> bool:
    """Whether the problem is in the value written at `edited`."""
    if problem.path[: len(edited)] != edited:
        return False
    return len(problem.path) > len(edited) or not problem.names_key


def refuse_bad_names(variants: Sequence[Variant]) -> None:
    """Each variant's name is a valid name (with `{depth}` as 1 when it needs the
    network), and names known before building are all different."""
    known: list[tuple[Variant, str]] = []
    for variant in variants:
        template = variant.template
        fields = dict(variant.fields, depth=DEPTH_PROBE) if template.needs_build else variant.fields
        name = template.render(fields)
        try:
            _IDENTIFIER.validate_python(name)
        except ValidationError as exc:
            probe = f" (with {{depth}} as {DEPTH_PROBE})" if template.needs_build else ""
            problem = exc.errors(include_url=False)[0]["msg"]  # shows the name, shortened
            raise SpecError(
                f"variant {variant.index}{probe}: {problem}", location=template.origin
            ) from None
        if not template.needs_build:
            known.append((variant, name))
    refuse_duplicate_names(known)


def refuse_duplicate_names(named: Iterable[tuple[Variant, str]]) -> None:
    """Two variants cannot share a name (nor, so, their files): an error at the
    template of the later one."""
    first: dict[str, Variant] = {}
    for variant, name in named:
        if name in first:
            raise SpecError(
                f"variants {first[name].index} and {variant.index} are both named {name!r}",
                location=variant.template.origin,
                hint="put the axis that tells them apart in the name template",
            )
        first[name] = variant
