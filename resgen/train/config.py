"""Training settings: the spec's (or sweep's) `train:` section, then the flags on top.

Settings are validated by `TrainSettings` of the spec schema wherever they come
from, so a bad value in a file and a bad flag get the same message; the flag's
message names the flag instead of a file position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError

from resgen.errors import Location, SpecError
from resgen.spec.schema import TrainSettings
from resgen.variants.overrides import ArgumentLocation, Override


@dataclass(frozen=True)
class TrainConfig:
    """Every hyper-parameter of one run, resolved (what config.json records)."""

    data: str
    data_dir: str | None
    epochs: int
    batch_size: int
    lr: float
    momentum: float
    weight_decay: float
    warmup: int
    milestones: tuple[int, ...]
    seed: int
    augment: bool
    device: str
    amp: str
    channels_last: bool
    compile: bool
    threads: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"milestones": list(self.milestones)}

    def with_seed(self, seed: int) -> TrainConfig:
        return TrainConfig(**(asdict(self) | {"seed": seed}))


# Settings that change how a run is executed, not what it computes: a resumed run may differ.
EXECUTION_ONLY = ("device", "threads", "compile")


def flag_name(key: str) -> str:
    return "--" + key.replace("_", "-")


def validate_flags(flags: Mapping[str, Any]) -> dict[str, Any]:
    """The flags that were given (not None), checked like a `train:` section."""
    given = {key: value for key, value in flags.items() if value is not None}
    try:
        TrainSettings.model_validate(given)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        key = str(error["loc"][0]) if error["loc"] else ""
        raise SpecError(
            error["msg"], location=ArgumentLocation(f"{flag_name(key)} {given.get(key)}", 0, 0)
        ) from None
    return given


def flag_overrides(flags: Mapping[str, Any]) -> list[Override]:
    """Flags as edits of the spec's `train:` section, each located at its flag."""
    return [
        Override(
            ("train", key), list(value) if isinstance(value, tuple) else value, _at(key, value)
        )
        for key, value in validate_flags(flags).items()
    ]


def _at(key: str, value: Any) -> Location:
    shown = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else value
    return ArgumentLocation(f"{flag_name(key)} {shown}", 0, 0)


def no_data_error() -> SpecError:
    return SpecError(
        "no data set to train on",
        hint="pass --data NAME (digits, fashion-mnist, cifar10, idx:DIR, npz:FILE, "
        "synthetic) or set train.data in the spec",
    )


def resolve_config(settings: TrainSettings | None, locate: Any = None) -> TrainConfig:
    """The run's config from a validated `train:` section (spec, sweep and flags merged).

    `locate(key)` gives where a setting was written, for errors. A milestone after the
    last epoch never applies, and a warm-up longer than the run never ends: both are
    allowed, so that a quick `--epochs 1` run of a study's file needs no other flag.
    """
    values = (settings or TrainSettings()).model_dump()
    values.pop("seeds")
    if values["data"] is None:
        raise no_data_error()
    epochs, milestones = values["epochs"], values["milestones"]
    if milestones is None:
        milestones = sorted({epochs // 2, epochs * 3 // 4} - {0})
    if min(milestones, default=1) < 1 or list(milestones) != sorted(set(milestones)):
        raise SpecError(
            f"milestones must be increasing epochs from 1; got {','.join(map(str, milestones))}",
            path="train.milestones",
            location=locate("milestones") if locate else None,
        )
    values["milestones"] = tuple(milestones)
    for key in ("lr", "momentum", "weight_decay"):
        values[key] = float(values[key])
    return TrainConfig(**values)


def seeds_of(settings: TrainSettings | None, default: int = 0) -> list[int]:
    if settings is not None and settings.seeds:
        return list(settings.seeds)
    return [settings.seed if settings else default]
