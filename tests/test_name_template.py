"""The one name-template formatter (block_names, sweep names): fields filled, nothing run."""

from __future__ import annotations

from pathlib import Path

import pytest

from resgen.errors import SpecError
from resgen.spec.name_template import MAX_WIDTH, TemplateError, parse_template
from resgen.variants.sweep import load_sweep
from tests.test_variants_sweep import sweep_file


@pytest.mark.parametrize(
    ("text", "values", "name"),
    [
        ("denselayer{n}", {"n": 3}, "denselayer3"),
        ("b{i:03}", {"i": 7}, "b007"),
        ("b{i:_>4}", {"i": 7}, "b___7"),
        ("b{i:_<4}", {"i": 7}, "b7___"),
        ("b{i:_^5}", {"i": 7}, "b__7__"),
        ("b{i:3}", {"i": 7}, "b  7"),  # numbers align right, as str.format
        ("{s:3}x", {"s": "A"}, "A  x"),  # text aligns left
        ("r{params.n}_{stages[0].width}", {"params.n": 3, "stages[0].width": 16}, "r3_16"),
        ("b{i:02}", {"i": 12345}, "b12345"),  # a width never cuts
        ("r{depth}", {}, "r?"),  # a field without a value
        (f"b{{i:{MAX_WIDTH}}}", {"i": 1}, "b" + " " * (MAX_WIDTH - 1) + "1"),
    ],
)
def test_renders_like_str_format_for_what_it_allows(text: str, values: dict, name: str) -> None:
    assert parse_template(text).render(values) == name


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("b{i!r}", "conversions (!r, !s) are not allowed: {i!r}"),
        ("b{i:>999999999}", "width 999999999 is larger than 64: {i:>999999999}"),
        (f"b{{i:{MAX_WIDTH + 1}}}", f"width {MAX_WIDTH + 1} is larger than 64"),
        ("b{i:x}", "format 'x' is not allowed: {i:x}"),
        ("b{i:03d}", "format '03d' is not allowed"),
        ("b{i:,}", "format ',' is not allowed"),
        ("b{{i}}", "a lone '{'"),
        ("b{i}}", "a lone '}'"),
        ("b{i", "a lone '{'"),
        ("b{i:{n}}", "a lone '{'"),  # no nested fields
    ],
)
def test_refuses_anything_else(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(text)
    assert message in str(caught.value), str(caught.value)
    assert caught.value.hint


@pytest.mark.parametrize("field", ["i.__class__.__name__", "i[0]", "0", "", "n.real"])
def test_fields_are_names_from_a_list_never_lookups(field: str) -> None:
    template = parse_template(f"b{{{field}}}")
    with pytest.raises(TemplateError) as caught:
        template.check_fields(("n", "i"))
    assert str(caught.value).startswith(f"unknown field {{{field}}} in the name template")
    assert caught.value.hint == "fields: {n}, {i}"


def test_an_unknown_field_gets_a_suggestion() -> None:
    with pytest.raises(TemplateError, match=r"\(did you mean 'shortcut'\?\)"):
        parse_template("r{shortcutt}").check_fields(["shortcut", "n"])


def test_values_are_only_converted_to_text() -> None:
    class Probe:
        def __format__(self, spec: str) -> str:
            raise AssertionError("__format__ was called")

        def __str__(self) -> str:
            return "probe"

    assert parse_template("a{x:>7}").render({"x": Probe()}) == "a  probe"


def test_a_long_template_is_shortened_in_messages() -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template("x" * 10_000 + "{i!r}")
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("r{n.__class__}", "unknown field {n.__class__} in the name template"),
        ("r{n:>99999999}", "width 99999999 is larger than 64"),
        ("r{n!s}", "conversions (!r, !s) are not allowed"),
    ],
)
def test_sweep_names_use_the_same_formatter(tmp_path: Path, template: str, message: str) -> None:
    path = sweep_file(tmp_path, f'name: "{template}"\ngrid:\n  params.n: [1]\n')
    with pytest.raises(SpecError) as caught:
        load_sweep(path)
    assert str(caught.value).startswith(f"{path}:4:1: {message}"), str(caught.value)


def test_sweep_names_can_pad(tmp_path: Path) -> None:
    path = sweep_file(tmp_path, 'name: "r{n:03}"\ngrid:\n  params.n: [1]\n')
    sweep = load_sweep(path)
    assert sweep.variants[0].template.render(sweep.variants[0].fields) == "r001"
    assert [v.index for v in sweep.candidates("r001")] == [1]
