"""Load a spec: YAML text -> validated `Spec`, every error with its position."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from resgen.errors import SpecError, SpecErrors
from resgen.spec.schema import Spec
from resgen.spec.yaml_source import (
    MAX_SPEC_BYTES,
    Source,
    decode,
    format_path,
    read_yaml,
    too_large,
)
from resgen.spec.yaml_source import Path as KeyPath

MAX_REPORTED_ERRORS = 8


def load_spec(spec: str | Path | Spec, *, file: str | None = None) -> Spec:
    """Load a spec from a path, from YAML text, or pass a `Spec` through."""
    if isinstance(spec, Spec):
        return spec
    text, file = _read(spec, file)
    source = read_yaml(text, file)
    return validate(source)


def _read(spec: str | Path, file: str | None) -> tuple[str, str]:
    if isinstance(spec, Path) or ("\n" not in spec and spec.endswith((".yaml", ".yml"))):
        file = file or str(spec)
        try:
            with Path(spec).open("rb") as handle:  # at most one byte over the limit
                data = handle.read(MAX_SPEC_BYTES + 1)
        except FileNotFoundError:
            raise SpecError(f"no such spec file: {spec}") from None
        except OSError as exc:
            raise SpecError(f"cannot read {spec}: {exc.strerror or exc}") from None
        if len(data) > MAX_SPEC_BYTES:
            raise too_large(file)
        return decode(data, file), file
    return spec, file or "<spec>"


def read_source(spec: str | Path, *, file: str | None = None) -> Source:
    """Parse a spec file (or YAML text) without validating it, e.g. to edit it first."""
    return read_yaml(*_read(spec, file))


def validate(source: Source) -> Spec:
    """Validate parsed YAML against the schema; attach the source for later errors."""
    if not isinstance(source.data, dict):
        got = "an empty document" if source.data is None else type(source.data).__name__
        raise source.error((), f"a spec is a mapping of keys (name, input, stages, ...); got {got}")
    spec = validate_model(source, Spec)
    spec._source = source
    return spec


Model = TypeVar("Model", bound=BaseModel)


def validate_model(source: Source, model: type[Model]) -> Model:
    """Validate parsed YAML against any schema model, errors with positions."""
    try:
        return model.model_validate(source.data)
    except ValidationError as exc:
        raise _translate(exc, source) from None


class KeyProblem(NamedTuple):
    """A key the spec language does not have, found by `key_problems`."""

    path: KeyPath  # the unknown key's path, or the layer's that has more than one op
    message: str
    names_key: bool  # whether `path` ends with the unknown key itself


def key_problems(data: Any) -> list[KeyProblem]:
    """The keys of `data` (a spec's parsed YAML) that the spec language does not have:
    unknown keys, and layers with more than one op (a misspelt op beside the real one)."""
    try:
        Spec.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    else:
        return []
    problems = []
    for error in errors:
        path = _yaml_path(error["loc"])
        if error["type"] == "unknown_key":
            key = error["ctx"]["key"].strip("'\"")
            problems.append(KeyProblem((*path, key), _message(error), names_key=True))
        elif error["type"] == "layer_shape":
            problems.append(KeyProblem(path, _message(error), names_key=False))
    return problems


def source_of(spec: Spec) -> Source:
    """The YAML source a spec came from (an empty one for specs built in code)."""
    return getattr(spec, "_source", None) or Source(data=None, file=f"<{spec.name}>")


# optional keys added to the language later: left unset, a spec hashes as before they existed
LATER_KEYS = frozenset({"output", "zero_pad", "drop_path_rule", "inline"})


def _without_later_keys(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            key: _without_later_keys(value)
            for key, value in data.items()
            if not (key in LATER_KEYS and value is None)
        }
    if isinstance(data, list):
        return [_without_later_keys(item) for item in data]
    return data


def spec_hash(spec: Spec) -> str:
    """A short, stable hash of the validated spec's network (its `train:` settings aside)."""
    network = spec.model_dump(mode="json", by_alias=True, exclude={"train"})
    if network["init"] is None:  # a spec without `init:` hashes as before the key existed
        del network["init"]
    canonical = json.dumps(_without_later_keys(network), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def _translate(exc: ValidationError, source: Source) -> SpecError:
    errors = []
    seen: set[tuple[KeyPath, str]] = set()
    for error in exc.errors(include_url=False):
        path = _yaml_path(error["loc"])
        ctx: dict[str, Any] = error.get("ctx") or {}
        if error["type"] == "unknown_key":
            path = (*path, ctx["key"].strip("'\""))
        elif error["type"] == "null_value":
            path = (*path, ctx["key"])
        message = _message(error)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        errors.append(source.error(path, message))
        if len(errors) == MAX_REPORTED_ERRORS:
            break
    return errors[0] if len(errors) == 1 else SpecErrors(errors)


def _yaml_path(loc: tuple[Any, ...]) -> KeyPath:
    """Pydantic's error location as a key path (`[key]` marks a bad mapping key: drop it)."""
    return tuple(part for part in loc if part != "[key]")


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required key is missing"
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return f"expected a mapping, got {_kind_of(error.get('input'))}"
    if kind == "list_type":
        return f"expected a list, got {_kind_of(error.get('input'))}"
    if kind == "literal_error":
        return f"expected {error['ctx']['expected']}, got {error['input']!r}"
    if kind in {"too_short", "too_long"} and "input" in error:
        return error["msg"].replace("List", "list")
    return error["msg"]


__all__ = [
    "format_path",
    "key_problems",
    "load_spec",
    "read_source",
    "source_of",
    "spec_hash",
    "validate",
    "validate_model",
]
