"""Sweep files: grid and zip expansion, naming, excludes, errors, partial failure."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from resgen.api import build_graph
from resgen.errors import SpecError
from resgen.pipeline import BuildOptions
from resgen.spec.yaml_source import format_path
from resgen.variants import run
from resgen.variants.build import build_variant
from resgen.variants.command import sweep_command
from resgen.variants.run import run_sweep
from resgen.variants.sweep import Sweep, load_sweep
from tests.conftest import SPECS

RESNET20 = SPECS / "cifar10" / "resnet20_a.yaml"
N_AXIS = format_path(("grid", "params.n"))  # the key path of a grid axis in messages


def sweep_file(tmp_path: Path, body: str, name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    header = f"resgen: 1\nsweep: test\nbase: {RESNET20}\n"
    path.write_text(header + textwrap.dedent(body))
    return path


def load(tmp_path: Path, body: str) -> Sweep:
    return load_sweep(sweep_file(tmp_path, body))


def sweep_error(tmp_path: Path, body: str) -> str:
    with pytest.raises(SpecError) as caught:
        load(tmp_path, body)
    return str(caught.value)


def values(sweep: Sweep) -> list[dict]:
    return [variant.values for variant in sweep.variants]


def test_grid_is_a_product_first_axis_slowest(tmp_path: Path) -> None:
    sweep = load(tmp_path, "grid:\n  defaults.shortcut: [A, B]\n  params.n: [1, 2, 3]\n")
    assert [axis.label for axis in sweep.axes] == ["shortcut", "n"]
    assert values(sweep) == [{"shortcut": s, "n": n} for s in ("A", "B") for n in (1, 2, 3)]
    assert [variant.index for variant in sweep.variants] == [1, 2, 3, 4, 5, 6]


def test_zip_moves_in_lockstep_and_sections_keep_file_order(tmp_path: Path) -> None:
    body = """\
        zip:
          defaults.block: [plain, basic]
          defaults.shortcut: [none, B]
        grid:
          params.n: [1, 2]
        """
    assert values(load(tmp_path, body)) == [
        {"block": "plain", "shortcut": "none", "n": 1},
        {"block": "plain", "shortcut": "none", "n": 2},
        {"block": "basic", "shortcut": "B", "n": 1},
        {"block": "basic", "shortcut": "B", "n": 2},
    ]
    grid_first = "grid:\n  params.n: [1, 2]\nzip:\n  defaults.shortcut: [A, B]\n"
    assert [v["n"] for v in values(load(tmp_path, grid_first))] == [1, 1, 2, 2]


def test_zip_lists_must_have_one_length(tmp_path: Path) -> None:
    message = sweep_error(tmp_path, "zip:\n  params.n: [1, 2, 3]\n  defaults.shortcut: [A, B]\n")
    assert message.startswith(f"{tmp_path / 'sweep.yaml'}:4:1: zip: zip lists must have")
    assert "params.n has 3, defaults.shortcut has 2" in message


def test_any_spec_path_can_be_an_axis(tmp_path: Path) -> None:
    sweep = load(tmp_path, "grid:\n  stages[1].blocks: [1, n * 2]\n")
    assert [axis.label for axis in sweep.axes] == ["blocks"]
    results = run_sweep(sweep, BuildOptions(), jobs=1)
    assert [r.name for r in results] == ["cifar_resnet20_a_1", "cifar_resnet20_a_n_2"]
    base = build_graph(RESNET20).graph["params"]
    one_block = 2 * (32 * 32 * 9 + 2 * 32)  # a basic block of width 32
    assert [r.params for r in results] == [base - 2 * one_block, base + 3 * one_block]


def test_ambiguous_labels_fall_back_to_the_full_key(tmp_path: Path) -> None:
    sweep = load(tmp_path, "grid:\n  stages[0].width: [8, 16]\n  stages[1].width: [32]\n")
    assert [axis.label for axis in sweep.axes] == ["stages[0].width", "stages[1].width"]
    # a label that would hide a built-in field keeps its full key too
    sweep = load(tmp_path, "grid:\n  params.depth: [1]\n  params.n: [1]\n")
    assert [axis.label for axis in sweep.axes] == ["params.depth", "n"]


def test_names_from_templates(tmp_path: Path) -> None:
    body = """\
        name: "r{depth}_{shortcut}_{params.n}_{index}_{base}"
        grid:
          defaults.shortcut: [A, B]
          params.n: [3, 5]
        """
    results = run_sweep(load(tmp_path, body), BuildOptions(), jobs=1)
    assert [r.name for r in results] == [
        "r20_A_3_1_cifar_resnet20_a",
        "r32_A_5_2_cifar_resnet20_a",
        "r20_B_3_3_cifar_resnet20_a",
        "r32_B_5_4_cifar_resnet20_a",
    ]
    assert all(r.ok for r in results)


def test_default_name_and_class(tmp_path: Path) -> None:
    result = run_sweep(load(tmp_path, "grid:\n  params.n: [5]\n"), BuildOptions(), jobs=1)[0]
    assert result.name == "cifar_resnet20_a_5"
    # the base's class_name (CifarResNet20A) would mislabel the variant: it is dropped
    assert "class CifarResnet20A5(nn.Module):" in result.code
    assert "class_name" not in result.spec


def test_a_name_axis_gives_each_value_its_template(tmp_path: Path) -> None:
    body = """\
        zip:
          name: ["plain{depth}", "resnet{depth}_{shortcut}"]
          defaults.block: [plain, basic]
          defaults.shortcut: [none, b]
        grid:
          params.n: [3]
        """
    sweep = load(tmp_path, body)
    assert sweep.labels == ["block", "shortcut", "n"]
    results = run_sweep(sweep, BuildOptions(), jobs=1)
    assert results[0].name == "plain20"
    # b is not an option; a variant that fails before its depth is known shows `?`
    assert results[1].name == "resnet?_b"
    assert "shortcut: expected 'identity', 'A'" in results[1].error


def test_unknown_template_field(tmp_path: Path) -> None:
    message = sweep_error(tmp_path, 'name: "r{shortcutt}"\ngrid:\n  defaults.shortcut: [A]\n')
    assert message.startswith(f"{tmp_path / 'sweep.yaml'}:4:1: unknown field {{shortcutt}}")
    assert "(did you mean 'shortcut'?)" in message


def test_excludes(tmp_path: Path) -> None:
    body = """\
        grid:
          defaults.shortcut: [A, B, C]
          params.n: [1, 2, 3]
        exclude:
          - {shortcut: C, n: [2, 3]}
          - {params.n: 1, defaults.shortcut: B}
        """
    assert values(load(tmp_path, body)) == [
        {"shortcut": "A", "n": 1},
        {"shortcut": "A", "n": 2},
        {"shortcut": "A", "n": 3},
        {"shortcut": "B", "n": 2},
        {"shortcut": "B", "n": 3},
        {"shortcut": "C", "n": 1},
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "grid:\n  params.n: [1]\nexclude:\n  - {nn: 1}\n",
            ":7:6: exclude[0].nn: 'nn' is not an axis (did you mean 'n'?)",
        ),
        (
            "grid:\n  params.n: [1, 2]\nexclude:\n  - {n: 7}\n",
            ":7:6: exclude[0].n: n never takes the value 7, so this rule never matches",
        ),
        ("grid:\n  params.n: [1]\nexclude:\n  - {}\n", ":7:5: exclude[0]: an exclude rule needs"),
        ("grid:\n  params.n: [1]\nexclude:\n  - {n: 1}\n", ":6:1: exclude: every variant is"),
        ("grid:\n  params.n: []\n", f":5:3: {N_AXIS}: an axis needs at least one value"),
        (
            "grid:\n  params..n: [1]\n",
            f":5:3: {format_path(('grid', 'params..n'))}: 'params..n' is not a spec path",
        ),
        (
            "set:\n  params.n: 1\ngrid:\n  params.n: [1]\n",
            f":7:3: {N_AXIS}: params.n is already set by set: params.n",
        ),
        ("grid: {}\n", ":1:1: a sweep needs axes"),
        ("grid:\n  params.n: 3\n", f":5:3: {N_AXIS}: expected a list, got int 3"),
        ("gird:\n  params.n: [3]\n", ":4:1: gird: unknown key 'gird' (did you mean 'grid'?)"),
    ],
)
def test_sweep_file_errors_have_positions(tmp_path: Path, body: str, expected: str) -> None:
    message = sweep_error(tmp_path, body)
    assert message.startswith(str(tmp_path / "sweep.yaml") + expected), message


def test_missing_base(tmp_path: Path) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_text("resgen: 1\nsweep: s\nbase: nowhere.yaml\ngrid:\n  params.n: [1]\n")
    with pytest.raises(SpecError, match=r"sweep.yaml:3:1: base: no such spec file: .*nowhere"):
        load_sweep(path)


def test_inline_base_errors_point_into_the_sweep_file(tmp_path: Path) -> None:
    spec = RESNET20.read_text().replace("\n", "\n  ")
    path = tmp_path / "inline.yaml"
    path.write_text(f"resgen: 1\nsweep: s\ngrid:\n  params.n: [1, 2]\nbase:\n  {spec}\n")
    sweep = load_sweep(path)
    assert [r.params for r in run_sweep(sweep, BuildOptions(), jobs=1)] == [75_290, 172_506]
    broken = path.read_text().replace("kernel: 3}", "kernel: 3, strid: 2}", 1)
    path.write_text(broken)
    with pytest.raises(SpecError) as caught:  # the base's mistake, not each variant's
        load_sweep(path)
    line = broken.splitlines().index(next(x for x in broken.splitlines() if "strid" in x)) + 1
    assert str(caught.value).startswith(f"{path}:{line}:"), str(caught.value)
    assert "unknown key 'strid' (did you mean 'stride'?)" in str(caught.value)


def test_variant_errors_point_at_the_sweep_value(tmp_path: Path) -> None:
    body = "grid:\n  defaults.shortcut: [A, Q]\n"
    results = run_sweep(load(tmp_path, body), BuildOptions(), jobs=1)
    assert results[0].ok
    assert results[1].name == "cifar_resnet20_a_Q"
    assert results[1].error.startswith(
        f"{tmp_path / 'sweep.yaml'}:5:26: defaults.shortcut: expected 'identity', 'A'"
    )


def test_partial_failure_writes_the_others_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # option A cannot reduce channels: a width that shrinks fails its shape check
    body = """\
        name: "w{width}"
        grid:
          stages[2].width: [64, 8]
        """
    out = tmp_path / "out"
    code = sweep_command(sweep_file(tmp_path, body), out, "csv", options=BuildOptions(), jobs=1)
    captured = capsys.readouterr()
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == [
        "index.json", "table.csv", "table.md", "w64.py", "w64.yaml",
    ]  # fmt: skip
    assert "FAIL w8\n    " in captured.err and "shortcut A can only add channels" in captured.err
    assert captured.err.rstrip().endswith(f"2 variants: 1 ok, 1 failed; wrote {out}/")
    rows = captured.out.splitlines()
    assert rows[1].startswith("w64,64,20,") and rows[2].startswith("w8,8,,,,,False,")


def test_duplicate_names_are_a_mistake_of_the_template(tmp_path: Path) -> None:
    body = 'name: "same_{n}"\ngrid:\n  defaults.shortcut: [A, B]\n  params.n: [1]\n'
    message = sweep_error(tmp_path, body)  # tests/test_variants_sweep_errors.py has more
    assert message.startswith(f"{tmp_path / 'sweep.yaml'}:4:1: variants 1 and 2 are both named")


def test_resolved_spec_rebuilds_the_same_module(tmp_path: Path) -> None:
    from resgen.api import generate_code

    body = 'name: "r{depth}_{shortcut}"\ngrid:\n  defaults.shortcut: [B]\n  params.n: [5]\n'
    sweep = load(tmp_path, body)
    result = build_variant(sweep.base, sweep.variants[0], BuildOptions(), "a test")
    assert result.name == "r32_B" and result.params == 466_906  # REFERENCE.md, ResNet-32 B
    resolved = tmp_path / "r32_B.yaml"
    resolved.write_text(result.spec)
    assert generate_code(resolved) == result.code
    assert result.spec.startswith("# r32_B: variant 1 of a test\n# shortcut=B, n=5\n")
    again = build_variant(load(tmp_path, body).base, sweep.variants[0], BuildOptions(), "a test")
    assert (again.spec, again.code) == (result.spec, result.code)


def test_processes_give_the_same_results_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "PARALLEL_FROM", 2)
    body = (
        'name: "r{depth}_{shortcut}"\ngrid:\n  defaults.shortcut: [A, B, Q]\n  params.n: [1, 2]\n'
    )
    sweep = load(tmp_path, body)
    parallel = run_sweep(sweep, BuildOptions(), jobs=2)
    serial = run_sweep(sweep, BuildOptions(), jobs=1)
    assert parallel == serial
    assert [r.name for r in parallel][:4] == ["r8_A", "r14_A", "r8_B", "r14_B"]
    assert [r.ok for r in parallel] == [True] * 4 + [False] * 2


def test_check_runs_each_module(tmp_path: Path) -> None:
    results = run_sweep(
        load(tmp_path, "grid:\n  params.n: [1]\n"), BuildOptions(check=True), jobs=1
    )
    assert results[0].ok, results[0].error


def test_diagrams_are_written_with_the_variant(tmp_path: Path) -> None:
    from resgen.variants.command import diagram_formats, sweep_files
    from resgen.variants.compare import Comparison

    sweep = load(tmp_path, 'name: "r{n}"\ngrid:\n  params.n: [1]\n')
    results = run_sweep(sweep, BuildOptions(diagrams=diagram_formats("dot,html")), jobs=1)
    assert list(results[0].diagrams) == ["r1.dot", "r1.html"]
    assert results[0].diagrams["r1.dot"].startswith(b"digraph")
    files = sweep_files(sweep, Comparison(sweep.name, sweep.labels, results), tmp_path / "out")
    assert {tmp_path / "out" / name for name in ("r1.dot", "r1.html", "r1.py")} <= set(files)
    with pytest.raises(SpecError, match="--diagram gif: unknown diagram format 'gif'"):
        diagram_formats("gif")


def test_command_line_sets_apply_to_every_variant(tmp_path: Path) -> None:
    body = 'name: "r{depth}_{shortcut}"\ngrid:\n  defaults.shortcut: [A, B]\n  params.n: [5]\n'
    plain = run_sweep(load(tmp_path, body), BuildOptions(), jobs=1)
    edited = run_sweep(
        load_sweep(sweep_file(tmp_path, body), ["head[2].linear.out=100"]), BuildOptions(), jobs=1
    )
    assert [r.name for r in edited] == ["r32_A", "r32_B"]
    for before, after in zip(plain, edited, strict=True):
        assert after.params - before.params == 64 * 90 + 90  # fc: 10 -> 100 classes
        assert "out: 100}" in after.spec and "def build(num_classes: int = 100)" in after.code


def test_command_line_set_of_a_path_the_sweep_writes_is_refused(tmp_path: Path) -> None:
    body = "grid:\n  defaults.shortcut: [A, B]\n"
    with pytest.raises(SpecError) as caught:
        load_sweep(sweep_file(tmp_path, body), ["defaults.shortcut=C"])
    assert str(caught.value) == (
        "--set defaults.shortcut=C: defaults.shortcut is already set by grid: defaults.shortcut"
    )


def test_a_bad_command_line_value_fails_each_variant_at_the_argument(tmp_path: Path) -> None:
    sweep = load_sweep(sweep_file(tmp_path, "grid:\n  params.n: [1, 2]\n"), ["stages[0].width=abc"])
    results = run_sweep(sweep, BuildOptions(), jobs=1)
    assert not any(r.ok for r in results)
    expected = "--set stages[0].width=abc: cannot evaluate 'abc'"
    assert all(r.error.startswith(expected) for r in results)
