"""The building blocks of the spec schema: strict models and checked value types.

Shared by the spec's own models (`resgen.spec.schema`) and by each op's argument
model (`resgen.ops`), so an op can be defined without importing the whole schema.
Numbers that may depend on named params are `IntExpr`: an integer, or a string
holding a small expression (see `resgen.spec.expr`) evaluated when the network
is expanded. Every model forbids unknown keys and suggests the closest known one.

The modules that define models (this one, `schema` and the op modules) leave out
`from __future__ import annotations`: pydantic would evaluate every annotation
string again when it creates the class (the lean build path).
"""

import difflib
import keyword
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictStr,
    model_validator,
)
from pydantic_core import PydanticCustomError

from resgen.spec.expr import ExpressionError, parse
from resgen.spec.names import attribute_problem, class_problem, parameter_problem

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def suggest(word: str, choices: Any) -> str:
    """` (did you mean 'x'?)` for the closest choice, or nothing."""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _shown(value: str) -> str:
    """`repr` of a user string, cut short so a huge value cannot flood the message."""
    text = repr(value)
    return text if len(text) <= 50 else text[:45] + "...'"


def _identifier(value: str) -> str:
    if not _IDENTIFIER.fullmatch(value) or keyword.iskeyword(value):
        raise PydanticCustomError(
            "identifier",
            "{value} is not a valid name: use letters, digits and _ "
            "(not starting with a digit, at most 64 characters, not a Python keyword)",
            {"value": _shown(value)},
        )
    return value


def _unreserved(
    code: str, message: str, problem_of: Callable[[str], str | None], shown: Callable[[str], str]
) -> Callable[[str], str]:
    """A validator: an identifier that `problem_of` finds no problem with."""

    def check(value: str) -> str:
        _identifier(value)
        problem = problem_of(value)
        if problem:
            raise PydanticCustomError(code, message, {"value": shown(value), "problem": problem})
        return value

    return check


_class_name = _unreserved(
    "reserved_class", "{value} cannot name a class: {problem}", class_problem, repr
)
_layer_name = _unreserved(
    "reserved_name", "{value} cannot name a layer: it {problem}", attribute_problem, _shown
)
_parameter_name = _unreserved(
    "reserved_parameter",
    "{value} cannot name a block parameter: it {problem}",
    parameter_problem,
    _shown,
)


def _expression(value: str) -> str:
    try:
        parse(value)
    except ExpressionError as exc:
        raise PydanticCustomError("expression", "{problem}", {"problem": str(exc)}) from None
    return value


def _kind(value: Any) -> str:
    return "null" if value is None else f"{type(value).__name__} {value!r}"[:60]


def _int_or_expression(value: Any) -> int | str:
    if isinstance(value, str):
        return _expression(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise PydanticCustomError(
        "int_expr",
        "expected an integer or an expression string, got {got}",
        {"got": _kind(value)},
    )


def _number_or_expression(value: Any) -> float | int | str:
    if isinstance(value, float):
        return value
    try:
        return _int_or_expression(value)
    except PydanticCustomError:
        raise PydanticCustomError(
            "number_expr",
            "expected a number or an expression string, got {got}",
            {"got": _kind(value)},
        ) from None


def _scalar(value: Any) -> bool | int | float | str:
    if isinstance(value, bool | int | float | str):
        return value
    raise PydanticCustomError(
        "scalar", "expected a number, string or boolean, got {got}", {"got": _kind(value)}
    )


Identifier = Annotated[StrictStr, AfterValidator(_identifier)]
ClassName = Annotated[StrictStr, AfterValidator(_class_name)]
LayerName = Annotated[StrictStr, AfterValidator(_layer_name)]
ParameterName = Annotated[StrictStr, AfterValidator(_parameter_name)]
IntExpr = Annotated[
    Any,
    PlainValidator(_int_or_expression, json_schema_input_type=int | str),
    Field(description="an integer, or an expression over params such as 'width * 4'"),
]
NumberExpr = Annotated[
    Any, PlainValidator(_number_or_expression, json_schema_input_type=float | int | str)
]
Scalar = Annotated[Any, PlainValidator(_scalar, json_schema_input_type=bool | int | float | str)]


class StrictModel(BaseModel):
    """Base model: strict types, unknown keys refused with a suggestion."""

    # defer_build: a model's validator is built when first used, not at import, so
    # `Spec`'s one validator covers the models inside it and `resgen build` does not
    # pay for ~40 separate validators (the lean build path)
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = {f.alias or name for name, f in cls.model_fields.items()}
            for key in data:
                if key not in known:
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key {shown}{suggestion}; expected one of: {known}",
                        {
                            "key": repr(key),
                            "shown": _shown(str(key)),
                            "suggestion": suggest(str(key), known),
                            "known": ", ".join(sorted(known)),
                        },
                    )
            _refuse_nulls(cls, data)
        return data


def _refuse_nulls(model: type[BaseModel], data: dict[str, Any]) -> None:
    """A key set to null would quietly mean "not set": refuse it, so `shortcut: null`
    cannot pass for `shortcut: none`. (Required keys get pydantic's type message.)"""
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in data and data[key] is None and not field.is_required():
            none = "none" in _literal_values(field.annotation)
            raise PydanticCustomError(
                "null_value",
                "null is not a value: leave the key out for its default"
                + ("; write 'none' for no {key}" if none else ""),
                {"key": key},
            )


def _literal_values(annotation: Any) -> set[Any]:
    """The values of every `Literal` inside a type annotation."""
    if get_origin(annotation) is Literal:
        return set(get_args(annotation))
    return {value for arg in get_args(annotation) for value in _literal_values(arg)}


# ----------------------------------------------------------------------------- layers
