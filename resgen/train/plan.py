"""Turn a spec or a sweep, the data set and the flags into run requests.

The network follows the data set: its `input` becomes the images' (C, H, W) and
its classifier's `out` the number of classes, as edits of the spec (the same
machinery as `--set`), located at the `--data` argument. A spec that cannot run
on the data fails here, at its layer, before any training.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from resgen.errors import SpecError
from resgen.pipeline import BuildOptions, build
from resgen.spec.load import read_source, validate
from resgen.spec.schema import Spec
from resgen.spec.yaml_source import Path as KeyPath
from resgen.spec.yaml_source import Source
from resgen.train.config import (
    TrainConfig,
    flag_overrides,
    no_data_error,
    resolve_config,
    seeds_of,
)
from resgen.train.data import DataSet, load_data
from resgen.train.loop import RunRequest
from resgen.variants.overrides import ArgumentLocation, Override, overridden, parse_set

if TYPE_CHECKING:
    from resgen.variants.sweep import Sweep


def data_overrides(spec_data: Any, data: DataSet) -> list[Override]:
    """Set the network's input to the data's image shape and its classifier to its classes."""
    origin = ArgumentLocation(f"--data {data.name}", 0, 0)
    return [
        Override(("input",), list(data.shape), origin),
        Override(classifier_path(spec_data, origin), data.classes, origin),
    ]


def classifier_path(spec_data: Any, origin: ArgumentLocation) -> KeyPath:
    """The path of the `out` of the head's last linear layer (the classifier)."""
    head = spec_data.get("head") if isinstance(spec_data, dict) else None
    for index in reversed(range(len(head or []))):
        layer = head[index]
        if layer == "linear" or (isinstance(layer, dict) and "linear" in layer):
            return ("head", index, "linear", "out")
    raise SpecError(
        "the network has no classifier to give the data set's classes: "
        "its head has no `linear` layer",
        location=origin,
        hint="end the head with e.g. `- linear: {name: fc, out: 10}`",
    )


def data_of(source: Source) -> tuple[str, str | None]:
    """The data set named by a (validated) source's `train:` section."""
    train = (source.data or {}).get("train") or {}
    name = train.get("data")
    if not name:
        raise no_data_error()
    return name, train.get("data_dir")


@dataclass(frozen=True)
class Planned:
    """What `resgen train` will run, and the data it found."""

    request: RunRequest
    data: DataSet


def plan_single(
    spec: str | Path,
    sets: Sequence[str],
    flags: Mapping[str, Any],
    out: Path,
    resume: bool = False,
) -> Planned:
    """The run of `resgen train SPEC`; SpecError (exit 2) for any mistake, before training."""
    source = read_source(spec)
    edits = [parse_set(argument) for argument in sets] + flag_overrides(flags)
    first = overridden(source, edits)
    validate(first)
    data = load_data(*data_of(first))
    edits += data_overrides(first.data, data)
    final = overridden(source, edits)
    built = build(final)
    request = RunRequest(
        name=built.spec.name,
        code=built.code,
        spec=final.data,
        config=config_of(built.spec, final),
        out=out,
        params=built.params,
        macs=built.macs,
        resume=resume,
    )
    return Planned(request, data)


def config_of(spec: Spec, source: Source) -> TrainConfig:
    return resolve_config(spec.train, lambda key: source.locate(("train", key)))


@dataclass(frozen=True)
class SweepPlan:
    """A sweep's variants as built (with their failures) and the runs of those that built."""

    sweep: Sweep
    results: list[Any]  # resgen.variants.build.Result, in sweep order
    runs: list[tuple[Any, RunRequest]]  # (Result, request) per variant × seed
    data: DataSet


def plan_sweep(
    first: Sweep,
    sets: Sequence[str],
    flags: Mapping[str, Any],
    out: Path,
    *,
    resume: bool = False,
    jobs: int | None = None,
) -> SweepPlan:
    """Build every variant (data-shaped) and plan one run per variant and seed.

    `first` is the sweep as `load_sweep(path, sets, flag_overrides(flags))` read it:
    it names the data set, whose shape then edits every variant.
    """
    from resgen.variants.run import run_sweep
    from resgen.variants.sweep import load_sweep

    last = flag_overrides(flags)
    probe = overridden(first.base, first.variants[0].overrides)
    data = load_data(*data_of(probe))
    given = [*sets, *data_overrides(first.base.data, data)]
    sweep = load_sweep(first.file, given, last)
    results = run_sweep(sweep, BuildOptions(), jobs=jobs)
    runs = []
    for variant, result in zip(sweep.variants, results, strict=True):
        if not result.ok:
            continue
        source = overridden(sweep.base, variant.overrides)
        checked = validate(source)
        config = config_of(checked, source)
        spec = yaml.safe_load(result.spec)
        for seed in seeds_of(checked.train):
            request = RunRequest(
                name=result.name,
                code=result.code,
                spec=spec,
                config=config.with_seed(seed),
                out=out / "runs" / result.name / f"seed{seed}",
                params=result.params or 0,
                macs=result.macs or 0,
                resume=resume,
            )
            runs.append((result, request))
    return SweepPlan(sweep, results, runs, data)
