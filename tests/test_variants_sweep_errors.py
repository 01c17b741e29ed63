"""A sweep file's mistakes are the sweep file's: exit 2, one message at its line, nothing
built or written; exit 1 stays for variants that fail on their own merits."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from resgen.cli import app
from tests.test_variants_sweep import RESNET20, sweep_file

runner = CliRunner()


def run_sweep_command(tmp_path: Path, sweep: Path, *options: str) -> tuple[int, str, str]:
    """`resgen sweep` into tmp_path/out: (exit code, stdout, stderr); the folder must
    hold nothing unless the sweep ran."""
    result = runner.invoke(app, ["sweep", str(sweep), "-o", str(tmp_path / "out"), *options])
    return result.exit_code, result.stdout, result.stderr


def refused(tmp_path: Path, sweep: Path, *options: str) -> str:
    """The one message of a refused sweep; asserts exit 2 and that nothing was written."""
    code, stdout, stderr = run_sweep_command(tmp_path, sweep, *options)
    assert code == 2, stdout + stderr
    assert stdout == ""
    assert not (tmp_path / "out").exists()
    lines = stderr.splitlines()
    assert lines[0].startswith("error: ") and len(lines) <= 2, stderr
    assert len(lines) == 1 or lines[1].startswith("  hint: "), stderr
    assert all(len(line) <= 500 for line in lines), stderr  # a long value is shortened
    return stderr.removeprefix("error: ")


@pytest.mark.parametrize(
    ("body", "at", "expected"),
    [
        (  # a misspelt key: refused like in a spec, at the axis
            "grid:\n  defaults.shortcutt: [A, B]\n",
            ":5:24: defaults.shortcutt: ",
            "unknown key 'shortcutt' (did you mean 'shortcut'?)",
        ),
        (  # a misspelt key on the way
            "grid:\n  defaultz.shortcut: [A, B]\n",
            ":5:23: defaultz: ",
            "unknown key 'defaultz' (did you mean 'defaults'?)",
        ),
        (  # in `set:`
            "set:\n  defaults.shortcutt: A\ngrid:\n  params.n: [1]\n",
            ":5:3: defaults.shortcutt: ",
            "unknown key 'shortcutt'",
        ),
        (  # a list entry the base does not have
            "grid:\n  stages[7].blocks: [1, 2]\n",
            ":5:22: stages[7]: ",
            "stages has 3 entries, so there is no stages[7]",
        ),
        (  # a misspelt op lands beside the real one
            "grid:\n  head[2].linearr.out: [10]\n",
            ":5:25: head[2]: ",
            "a layer is a mapping with exactly one key, the op",
        ),
        # names: valid and distinct
        (
            'name: "r{n}"\ngrid:\n  defaults.shortcut: [A, B]\n  params.n: [1]\n',
            ":4:1: ",
            "variants 1 and 2 are both named 'r1'",
        ),
        (  # from two templates of a `name` axis: at the later one
            'zip:\n  name: ["a{n}", "a{n}"]\n  defaults.shortcut: [A, B]\ngrid:\n  params.n: [1]\n',
            ":5:18: ",
            "variants 1 and 2 are both named 'a1'",
        ),
        (  # known only once built: still before anything is written
            'name: "r{depth}"\ngrid:\n  defaults.shortcut: [A, B]\n  params.n: [1]\n',
            ":4:1: ",
            "variants 1 and 2 are both named 'r8'",
        ),
        (
            'name: "../../x{n}"\ngrid:\n  params.n: [1]\n',
            ":4:1: ",
            "variant 1: '../../x1' is not a valid name",
        ),
        (
            'name: "{depth}_net"\ngrid:\n  params.n: [1]\n',
            ":4:1: ",
            "variant 1 (with {depth} as 1): '1_net' is not a valid name",
        ),
        (
            'name: "' + "b" * 600 + '{n}"\ngrid:\n  params.n: [1]\n',
            ":4:1: ",
            "variant 1: 'bbbbbbbb",
        ),
    ],
)
def test_a_mistake_of_the_sweep_file_is_refused_at_its_line(
    tmp_path: Path, body: str, at: str, expected: str
) -> None:
    sweep = sweep_file(tmp_path, body)
    message = refused(tmp_path, sweep)
    assert message.startswith(f"{sweep}{at}"), message
    assert expected in message


def test_a_command_line_path_that_names_no_key_is_refused(tmp_path: Path) -> None:
    sweep = sweep_file(tmp_path, "grid:\n  params.n: [1, 2]\n")
    message = refused(tmp_path, sweep, "--set", "defaults.shortcutt=A")
    assert message.startswith("--set defaults.shortcutt=A: unknown key 'shortcutt'"), message


def test_a_key_the_base_gets_wrong_is_refused_in_the_base(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(RESNET20.read_text().replace("input:", "inputt:", 1))
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("resgen: 1\nsweep: s\nbase: base.yaml\ngrid:\n  params.n: [1]\n")
    message = refused(tmp_path, sweep)
    line = base.read_text().splitlines().index("inputt: [3, 32, 32]") + 1
    assert message.startswith(f"{base}:{line}:1: inputt: unknown key 'inputt'"), message


def test_a_value_that_does_not_fit_is_still_that_variants_failure(tmp_path: Path) -> None:
    body = "grid:\n  stages[0]: [{blocks: 1, width: 16}, {blocks: 1, widht: 16}]\n"
    code, _, stderr = run_sweep_command(tmp_path, sweep_file(tmp_path, body), "-f", "csv")
    assert code == 1, stderr
    assert "unknown key 'widht' (did you mean 'width'?)" in stderr
    assert (tmp_path / "out" / "index.json").exists()


@pytest.mark.parametrize("base", ["sweep.yaml", "./sweep.yaml", "other.yaml"])
def test_a_sweep_file_is_no_base(tmp_path: Path, base: str) -> None:
    (tmp_path / "other.yaml").write_text(f"resgen: 1\nsweep: o\nbase: {RESNET20}\ngrid: {{}}\n")
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"resgen: 1\nsweep: s\nbase: {base}\ngrid:\n  params.n: [1]\n")
    kind = "a sweep file" if base == "other.yaml" else "this very sweep file"
    message = refused(tmp_path, sweep)
    assert message.startswith(f"{sweep}:3:1: base: "), message
    assert f"is {kind}, not a spec" in message


def test_a_huge_sweep_is_refused_by_the_command(tmp_path: Path) -> None:
    body = "grid:\n" + "".join(f"  stages[{i}].width: {list(range(1, 101))}\n" for i in range(3))
    message = refused(tmp_path, sweep_file(tmp_path, body))
    assert "the sweep would have more than 10,000 variants" in message
