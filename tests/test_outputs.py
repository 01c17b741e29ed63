"""Output paths: a target that cannot be written is one message, exit 2, nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from resgen.cli import app
from resgen.outputs import OutputError, check_targets, write_all
from tests.conftest import SPECS

SPEC = str(SPECS / "cifar10" / "resnet20_a.yaml")
SWEEP = str(SPECS / "sweeps" / "shortcut_options.yaml")
runner = CliRunner()


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("mine\n")
    return path


def everything_under(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


def test_a_folder_under_a_file_is_refused(a_file: Path) -> None:
    with pytest.raises(OutputError) as caught:
        check_targets([a_file / "deeper" / "x.py"])
    assert str(caught.value) == (
        f"cannot write to {a_file / 'deeper'}: {a_file} is a file, not a folder"
    )


def test_a_target_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=f"cannot write {tmp_path}: it is a folder"):
        check_targets([tmp_path])


def test_a_broken_link_on_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputError, match="gone is a broken link, not a folder"):
        check_targets([tmp_path / "gone" / "x.py"])


def test_an_unwritable_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path)
    with pytest.raises(OutputError, match=f"{tmp_path} is not writable"):
        check_targets([tmp_path / "new" / "x.py"])


def test_nothing_is_written_when_any_target_is_bad(tmp_path: Path, a_file: Path) -> None:
    before = everything_under(tmp_path)
    good = tmp_path / "out" / "good.py"
    with pytest.raises(OutputError):
        write_all({good: "x = 1\n", a_file / "bad.py": "y = 2\n"})
    assert everything_under(tmp_path) == before
    write_all({good: "x = 1\n"})
    assert good.read_text() == "x = 1\n"


@pytest.mark.parametrize(
    ("args", "target"),
    [
        (["build", SPEC, "-o"], "{file}"),
        (["build", SPEC, "--diagram", "dot", "-o"], "{file}/sub"),
        (["render", SPEC, "-f", "dot", "-o"], "{file}/x.dot"),
        (["render", SPEC, "-f", "dot", "-o"], "{folder}"),
        (["sweep", SWEEP, "-f", "csv", "-o"], "{file}"),
        (["sweep", SWEEP, "-f", "csv", "-o"], "{file}/sub"),
    ],
)
def test_the_command_line_refuses_a_bad_output_path(
    tmp_path: Path, a_file: Path, args: list[str], target: str
) -> None:
    before = everything_under(tmp_path)
    out = target.format(file=a_file, folder=tmp_path)
    result = runner.invoke(app, [*args, out])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot write"), result.stderr
    assert everything_under(tmp_path) == before
    assert a_file.read_text() == "mine\n"


def test_export_refuses_a_bad_output_path(tmp_path: Path, a_file: Path) -> None:
    before = everything_under(tmp_path)
    args = ["export", SPEC, "-f", "torchscript", "-o", str(a_file / "m.pt")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: cannot write to {a_file}: {a_file} is a file, not a folder\n"
    assert everything_under(tmp_path) == before
