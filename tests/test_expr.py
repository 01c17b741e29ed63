"""The whitelisting expression evaluator: values, refusals and folding."""

from __future__ import annotations

import pytest

from resgen.spec.expr import ExpressionError, parse


@pytest.mark.parametrize(
    ("text", "env", "value"),
    [
        ("6 * n + 2", {"n": 9}, 56),
        ("width * 4", {"width": 64}, 256),
        (
            "width * width_per_group // 64 * groups",
            {"width": 128, "width_per_group": 4, "groups": 32},
            256,
        ),
        ("max(16, int(c / 16 + 4) // 8 * 8)", {"c": 256}, 16),
        ("stride if stride_on == '1x1' else 1", {"stride": 2, "stride_on": "3x3"}, 1),
        ("2 ** 10", {}, 1024),
        ("-n % 3", {"n": 4}, 2),
    ],
)
def test_evaluates(text: str, env: dict, value: object) -> None:
    assert parse(text).evaluate(env) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", "unknown function"),
        ("a.b", "attribute is not allowed"),
        ("x[0]", "subscript is not allowed"),
        ("(lambda: 1)()", "lambda is not allowed|unknown function"),
        ("[1, 2]", "list is not allowed"),
        ("1 +", "cannot parse"),
        ("x" * 300, "longer than"),
    ],
)
def test_refuses(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse(text)


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("10 ** 100", {}, "exponent larger|too large"),
        ("2 ** 60", {}, "too large"),
        ("n / 0", {"n": 1}, "division by zero"),
        ("m + 1", {"n": 1}, "unknown name 'm'"),
        # every number entering an operation is bounded, so none is slow to compute
        ("n ** 64", {"n": 10**4000}, r"the value of n is too large \(13,288 bits"),
        ("9" * 150, {}, "number is too large"),
        ("round(5, -10**15)", {}, "keeps at most 64 digits"),
        ("(1.5 * 10**15) ** 64", {}, "result is too large"),
        ("(-8) ** 0.5", {}, "not a real number"),
        ("x * 2", {"x": float("inf")}, "not a finite number"),
    ],
)
def test_evaluation_errors(text: str, env: dict, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse(text).evaluate(env)


def test_unknown_name_is_reported_for_suggestions() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("widht * 2").evaluate({"width": 3})
    assert info.value.unknown_name == "widht"


def test_folding_keeps_only_varying_names() -> None:
    expression = parse("stride if stride_on == '3x3' else 1")
    assert expression.to_python({"stride_on": "3x3"}) == "stride"
    assert expression.to_python({"stride_on": "1x1"}) == "1"
    assert parse("width * expansion").to_python({"expansion": 1}) == "width"
    assert parse("width * expansion").to_python({"expansion": 4}) == "width * 4"
    assert (
        parse("width * width_per_group // 64 * groups").to_python(
            {"width_per_group": 64, "groups": 1}
        )
        == "width"
    )
    assert parse("out_channels + 1").to_python({}, {"out_channels": "(width * 4)"}) == (
        "width * 4 + 1"
    )


def test_results_are_remembered_by_value_and_type() -> None:
    """An expression remembers its result per values of its names: 1, 1.0 and True are
    equal keys to a dict, so the type is part of the key; a missing name still fails."""
    expression = parse("x * 2 + y")
    results = [expression.evaluate({"x": x, "y": 0}) for x in (1, 1.0, True, 1)]
    assert [(type(r), r) for r in results] == [(int, 2), (float, 2.0), (int, 2), (int, 2)]
    assert expression.evaluate({"x": 3, "y": 1, "z": 9}) == 7  # other names do not matter
    with pytest.raises(ExpressionError, match="unknown name 'y'"):
        expression.evaluate({"x": 1})
