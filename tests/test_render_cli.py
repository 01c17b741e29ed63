"""`resgen render` and `resgen build --diagram`, as a user runs them."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from resgen.cli import app
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
runner = CliRunner()


def no_graphviz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setitem(sys.modules, "pygraphviz", None)


def test_render_svg(tmp_path: Path) -> None:
    need("pygraphviz")
    target = tmp_path / "r18.svg"
    result = runner.invoke(app, ["render", str(SPECS / "resnet18.yaml"), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.output
    root = ET.fromstring(target.read_bytes())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_render_format_follows_the_file_name(tmp_path: Path) -> None:
    need("pygraphviz")
    target = tmp_path / "r18.pdf"
    result = runner.invoke(app, ["render", str(SPECS / "resnet18.yaml"), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF-")


def test_render_dot_to_stdout_with_level_and_roll() -> None:
    spec = str(SPECS / "cifar10/resnet1202_a.yaml")
    args = ["render", spec, "-f", "dot", "--level", "block", "--roll", "-o", "-"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith('digraph "cifar_resnet1202_a" {')
    assert "×199" in result.stdout and '"block:layer2.0"' in result.stdout


def test_render_defaults_to_the_network_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["render", str(SPECS / "resnet18.yaml"), "-f", "html"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "resnet18.html").read_text().startswith("<!DOCTYPE html>")


def test_render_spec_error_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("resgen: 1\nname: bad\ninput: [3, 32, 32]\nstages:\n  - {blocks: 2, width: 0}\n")
    result = runner.invoke(app, ["render", str(bad), "-f", "dot", "-o", str(tmp_path / "x.dot")])
    assert result.exit_code == 2
    assert "error: " in result.output and "bad.yaml:5" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.dot").exists()


def test_render_without_graphviz_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_graphviz(tmp_path, monkeypatch)
    spec = str(SPECS / "resnet18.yaml")
    result = runner.invoke(app, ["render", spec, "-o", str(tmp_path / "x.svg")])
    assert result.exit_code == 1
    assert "pip install pygraphviz" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.svg").exists()
    for fmt in ("dot", "html"):  # these need no Graphviz
        target = tmp_path / f"x.{fmt}"
        assert runner.invoke(app, ["render", spec, "-o", str(target)]).exit_code == 0
        assert target.stat().st_size > 1000


def test_build_writes_the_diagrams_with_the_code(tmp_path: Path) -> None:
    need("pygraphviz")
    spec = str(SPECS / "cifar10/resnet20_a.yaml")
    result = runner.invoke(app, ["build", spec, "-o", str(tmp_path), "--diagram", "svg,html,dot"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"cifar_resnet20_a.{ext}" for ext in ("dot", "html", "py", "svg")]
    assert "wrote " + str(tmp_path / "cifar_resnet20_a.html") in result.output


def test_build_with_a_failing_diagram_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    spec = str(SPECS / "resnet18.yaml")
    bad = runner.invoke(app, ["build", spec, "-o", str(out), "--diagram", "svg,jpg"])
    assert bad.exit_code == 2 and "'jpg'" in bad.output
    no_graphviz(tmp_path, monkeypatch)
    failed = runner.invoke(app, ["build", spec, "-o", str(out), "--diagram", "html,svg"])
    assert failed.exit_code == 1 and "needs Graphviz" in failed.output
    assert not out.exists()
