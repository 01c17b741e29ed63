"""Sweep files: a base spec plus axes, expanded into a list of planned variants.

Sections `grid` and `zip` are dimensions, varied in the order they appear in
the file (the first one slowest): each `grid` axis is a dimension of its own,
the `zip` lists together form one. Axis keys are spec paths (`params.n`,
`defaults.shortcut`, `stages[1].blocks`); an axis on `name` gives each value
its own name template. See docs/variants.md.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from resgen.errors import Location, SpecError
from resgen.spec.load import read_source, validate_model
from resgen.spec.schema import Identifier, StrictModel, TrainSettings, suggest
from resgen.spec.yaml_source import Path as KeyPath
from resgen.spec.yaml_source import Source, format_path
from resgen.variants.overrides import Override, parse_path, parse_set
from resgen.variants.sweep_checks import refuse_bad_names, refuse_key_problems
from resgen.variants.template import BUILTIN_FIELDS, Template

NAME_PATH: KeyPath = ("name",)
MAX_VARIANTS = 10_000  # counted before excludes, before any variant is made


class SweepFile(StrictModel):
    """The schema of a sweep file."""

    resgen: Literal[1] = 1
    sweep: Identifier = Field(description="the sweep's name")
    description: str = ""
    base: str | dict[str, Any] = Field(
        description="the base spec: a path relative to this file, or the spec inline"
    )
    name: str | None = Field(None, description="variant name template, e.g. resnet{depth}")
    set_: dict[str, Any] = Field({}, alias="set", description="overrides for every variant")
    grid: dict[str, list[Any]] = Field({}, description="axes varied as a product")
    zip_: dict[str, list[Any]] = Field({}, alias="zip", description="axes varied in lockstep")
    exclude: list[dict[str, Any]] = Field([], description="combinations to leave out")
    train: TrainSettings | None = Field(None, description="settings for `sweep --train`")


@dataclass(frozen=True)
class Axis:
    section: str  # grid or zip
    key: str  # as written in the sweep file
    path: KeyPath
    label: str  # its name in templates and tables: the last key, where unambiguous
    values: tuple[Any, ...]
    origins: tuple[Location, ...]

    def override(self, index: int) -> Override:
        return Override(self.path, self.values[index], self.origins[index])


@dataclass(frozen=True)
class Variant:
    """One planned variant: the overrides that make it and its name template."""

    index: int  # position in the sweep, from 1
    values: dict[str, Any]  # axis label -> value (a `name` axis shows as the name itself)
    overrides: tuple[Override, ...]
    template: Template
    fields: dict[str, Any]  # what the template can read


@dataclass
class Sweep:
    name: str
    file: str
    base: Source
    axes: list[Axis]
    variants: list[Variant]

    @property
    def labels(self) -> list[str]:
        """The axes a variant's values are shown by (a `name` axis shows as the name)."""
        return [axis.label for axis in self.axes if axis.path != NAME_PATH]

    def candidates(self, name: str) -> Iterator[Variant]:
        """The variants that may be called `name` (it may depend on their `{depth}`)."""
        for variant in self.variants:
            if variant.template.could_render(name, variant.fields):
                yield variant


def load_sweep(
    path: str | Path, arguments: Sequence[str | Override] = (), last: Sequence[Override] = ()
) -> Sweep:
    """Read, validate and expand a sweep file; SpecError (with positions) if it is wrong.

    `arguments` are `--set PATH=VALUE` edits of the base (or edits made for the user,
    such as `--data`'s input shape), applied to every variant. `last` are training
    flags: they win over the sweep's `train:` section, but not over an axis.
    """
    given = [parse_set(a) if isinstance(a, str) else a for a in arguments]
    source = read_source(Path(path))
    if not isinstance(source.data, dict):
        raise source.error((), "a sweep is a mapping of keys (sweep, base, grid, zip, ...)")
    model = validate_model(source, SweepFile)
    base = _base(model, source)
    fixed = [
        Override(_path(source, ("set", key), key), value, source.locate(("set", key)))
        for key, value in model.set_.items()
    ]
    fixed += [
        Override(("train", key), value, source.locate(("train", key)))
        for key, value in (source.data.get("train") or {}).items()
    ]
    dimensions = _dimensions(model, source)
    _refuse_too_many(source, dimensions)
    axes = [axis for dimension in dimensions for axis in dimension]
    _check_paths(source, fixed, axes, given)
    _check_paths(source, [], axes, list(last))
    labels = {axis.key: axis for axis in axes} | {axis.label: axis for axis in axes}
    templates = _templates(source, model.name, axes, labels)
    rules = _rules(source, model.exclude, labels, axes)
    common = {"base": base.data.get("name", ""), "sweep": model.sweep}
    variants: list[Variant] = []
    for combination in itertools.product(*(_rows(dimension) for dimension in dimensions)):
        picks = [index for row in combination for index in row]
        if any(all(test(picks[axis]) for axis, test in rule) for rule in rules):
            continue
        chosen = [(axis, axis.values[i], i) for axis, i in zip(axes, picks, strict=True)]
        fields = {**common, "index": len(variants) + 1}
        named = [i for axis, _, i in chosen if axis.path == NAME_PATH]
        chosen = [pick for pick in chosen if pick[0].path != NAME_PATH]
        values = {axis.label: value for axis, value, _ in chosen}
        fields |= {axis.key: value for axis, value, _ in chosen} | values
        template = templates[named[0] if named else None]
        overrides = [axis.override(i) for axis, _, i in chosen]
        edits = (*given, *fixed, *overrides, *last)
        variants.append(Variant(len(variants) + 1, values, edits, template, fields))
    if not variants:
        raise source.error(("exclude",), "every variant is excluded")
    refuse_key_problems(base, variants[0])
    refuse_bad_names(variants)
    return Sweep(model.sweep, source.file, base, axes, variants)


def _base(model: SweepFile, source: Source) -> Source:
    """The base spec's source; variants name their own class, so `class_name` goes."""
    if isinstance(model.base, dict):
        positions = {p[1:]: at for p, at in source.positions.items() if p[:1] == ("base",)}
        base = Source(data=dict(model.base), file=source.file, positions=positions)
    else:
        file = os.path.normpath(Path(source.file).parent / model.base)
        try:
            base = read_source(Path(file))
        except SpecError as exc:
            if exc.location is not None:
                raise
            raise source.error(("base",), exc.message) from None
        if not isinstance(base.data, dict):
            raise source.error(("base",), f"{file} is not a spec (a mapping of keys)")
        if "sweep" in base.data:
            same = Path(file).resolve() == Path(source.file).resolve()
            kind = "this very sweep file" if same else "a sweep file"
            raise source.error(("base",), f"{file} is {kind}, not a spec")
    if "class_name" not in model.set_:
        base.data.pop("class_name", None)
    return base


def _path(source: Source, where: KeyPath, key: str) -> KeyPath:
    try:
        return parse_path(key)
    except ValueError as exc:
        raise source.error(where, str(exc)) from None


def _dimensions(model: SweepFile, source: Source) -> list[list[Axis]]:
    """Grid axes and the zip group, in the order they appear in the file."""
    sections = {"grid": model.grid, "zip": model.zip_}
    paths = {k: _path(source, (s, k), k) for s, axes in sections.items() for k in axes}
    last = {
        key: next(p for p in reversed(path) if isinstance(p, str)) for key, path in paths.items()
    }
    names = list(last.values())
    labels = {
        key: name if names.count(name) == 1 and name not in BUILTIN_FIELDS else key
        for key, name in last.items()
    }

    def make(section: str, key: str) -> Axis:
        return _axis(source, section, key, paths[key], labels[key], sections[section][key])

    dimensions: list[list[Axis]] = []
    for section in source.data:
        if section == "grid":
            dimensions += [[make("grid", key)] for key in model.grid]
        elif section == "zip" and model.zip_:
            group = [make("zip", key) for key in model.zip_]
            lengths = {len(axis.values) for axis in group}
            if len(lengths) > 1:
                sizes = ", ".join(f"{axis.key} has {len(axis.values)}" for axis in group)
                raise source.error(("zip",), f"zip lists must have the same length: {sizes}")
            dimensions.append(group)
    if not dimensions:
        raise source.error((), "a sweep needs axes: a `grid` or a `zip` section")
    return dimensions


def _refuse_too_many(source: Source, dimensions: list[list[Axis]]) -> None:
    """Count the variants, the product of the dimensions' lengths, before making any."""
    lengths: list[int] = []
    for dimension in dimensions:
        lengths.append(len(dimension[0].values))
        if math.prod(lengths) > MAX_VARIANTS:
            axis = dimension[0]
            raise source.error(
                (axis.section, axis.key),
                f"the sweep would have more than {MAX_VARIANTS:,} variants "
                f"({'... × ' * (len(lengths) > 6)}{' × '.join(map(str, lengths[-6:]))} = "
                f"{math.prod(lengths):,} before excludes)",
                "split it into several sweeps, or give its axes fewer values",
            )


def _axis(
    source: Source, section: str, key: str, path: KeyPath, label: str, values: list[Any]
) -> Axis:
    if not values:
        raise source.error((section, key), "an axis needs at least one value")
    if path == NAME_PATH and not all(isinstance(v, str) for v in values):
        raise source.error((section, key), "values of a `name` axis are name templates (strings)")
    origins = tuple(source.locate((section, key, i)) for i in range(len(values)))
    return Axis(section, key, path, label, tuple(values), origins)


def _rows(dimension: list[Axis]) -> list[tuple[int, ...]]:
    """The value indexes a dimension takes: one per value, shared by a zip group."""
    return [(i,) * len(dimension) for i in range(len(dimension[0].values))]


def _check_paths(
    source: Source, fixed: list[Override], axes: list[Axis], given: list[Override]
) -> None:
    """A path is written once: by `set`, by one axis, or by one `--set` argument."""
    writers = [(("set", format_path(o.path)), o.path) for o in fixed]
    writers += [((axis.section, axis.key), axis.path) for axis in axes]
    seen: dict[KeyPath, str] = {}
    for where, path in writers:
        if path in seen:
            raise source.error(where, f"{format_path(path)} is already set by {seen[path]}")
        seen[path] = f"{where[0]}: {where[1]}"
    for override in given:
        if override.path in seen:
            path = format_path(override.path)
            raise override.error(f"{path} is already set by {seen[override.path]}")
        seen[override.path] = str(override.origin)


def _templates(
    source: Source, name: str | None, axes: list[Axis], labels: dict[str, Axis]
) -> dict[int | None, Template]:
    """The sweep's name template, and one per value of a `name` axis.

    Without a template, a variant is named by the base's name and its values, each
    written as identifier characters.
    """
    if name is None:
        fields = "_".join(f"{{{axis.label}}}" for axis in axes if axis.path != NAME_PATH)
        default = Template(f"{{base}}_{fields}", source.locate(("sweep",)), slug=True)
    else:
        default = Template(name, source.locate(("name",)))
    templates: dict[int | None, Template] = {None: default}
    for axis in axes:
        if axis.path == NAME_PATH:
            templates.update({i: Template(v, axis.origins[i]) for i, v in enumerate(axis.values)})
    for template in templates.values():
        template.check(name for name, axis in labels.items() if axis.path != NAME_PATH)
    return templates


Rule = list[tuple[int, Callable[[int], bool]]]


def _rules(
    source: Source, rules: list[dict[str, Any]], labels: dict[str, Axis], axes: list[Axis]
) -> list[Rule]:
    """Exclude rules as tests: a rule leaves out the variants that match all of its keys."""
    tests: list[Rule] = []
    for n, rule in enumerate(rules):
        if not rule:
            raise source.error(("exclude", n), "an exclude rule needs at least one axis")
        tests.append(
            [_test(source, ("exclude", n, k), labels, axes, k, v) for k, v in rule.items()]
        )
    return tests


def _test(
    source: Source,
    where: KeyPath,
    labels: dict[str, Axis],
    axes: list[Axis],
    key: str,
    wanted: Any,
) -> tuple[int, Callable[[int], bool]]:
    """`(axis position, test on a value index)`; a list means any of its values."""
    axis = labels.get(key)
    if axis is None:
        raise source.error(
            where,
            f"{key!r} is not an axis{suggest(key, labels)}",
            "axes: " + ", ".join(axis.label for axis in axes),
        )
    options = [wanted] if wanted in axis.values or not isinstance(wanted, list) else wanted
    missing = [v for v in options if v not in axis.values]
    if missing:
        raise source.error(
            where,
            f"{axis.label} never takes the value {missing[0]!r}, so this rule never matches",
            f"its values: {', '.join(map(repr, axis.values))}",
        )
    chosen = {i for i, value in enumerate(axis.values) if value in options}
    return axes.index(axis), chosen.__contains__
