"""Graphviz engines: `dot` on PATH, else the embedded one, else a clear error; valid SVG."""

from __future__ import annotations

import shutil
import stat
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import resgen
from resgen.render import render, to_dot
from resgen.render.engine import DotProgram, Embedded, RenderError, find_engine, run_graphviz
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
FAKE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><!-- fake --></svg>'


@pytest.fixture(scope="module")
def resnet18_dot() -> str:
    return to_dot(resgen.checked_network(ROOT / "specs/resnet18.yaml"), "layer")


def fake_dot(folder: Path, body: str) -> Path:
    """A `dot` program that records its arguments and input, then runs `body`."""
    script = folder / "dot"
    cat = shutil.which("cat")  # PATH may be this folder alone
    script.write_text(f'#!/bin/sh\necho "$@" > "{folder}/args"\n{cat} > "{folder}/stdin"\n{body}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def hide_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # import now raises ImportError


def test_dot_on_path_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dot(tmp_path, f"printf '{FAKE_SVG.decode()}'")
    monkeypatch.setenv("PATH", str(tmp_path))
    engine = find_engine()
    assert engine == DotProgram(str(tmp_path / "dot"))
    assert run_graphviz("digraph { a -> b }", "svg") == FAKE_SVG
    assert (tmp_path / "args").read_text().split() == ["-Kdot", "-Tsvg"]
    assert (tmp_path / "stdin").read_text() == "digraph { a -> b }"


def test_without_dot_the_embedded_graphviz_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resnet18_dot: str
) -> None:
    need("pygraphviz")
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no `dot`
    engine = find_engine()
    assert isinstance(engine, Embedded)
    check_svg(run_graphviz(resnet18_dot, "svg"), resnet18_dot)


def test_without_any_graphviz_the_error_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    hide_embedded(monkeypatch)
    with pytest.raises(RenderError) as info:
        find_engine("png")
    message = str(info.value)
    assert "rendering png needs Graphviz" in message
    assert "pip install pygraphviz" in message and "apt-get install graphviz" in message
    graph = resgen.checked_network(ROOT / "specs/resnet18.yaml")
    assert render(graph, "dot").startswith(b"digraph")  # these need no Graphviz
    assert render(graph, "html").startswith(b"<!DOCTYPE html>")


def test_a_failing_dot_program_is_reported(tmp_path: Path) -> None:
    program = fake_dot(tmp_path, "echo 'Error: syntax error in line 1' >&2; exit 1")
    with pytest.raises(RenderError, match="syntax error in line 1"):
        DotProgram(str(program)).render("digraph {", "svg")


def test_formats_are_checked() -> None:
    with pytest.raises(ValueError, match="Graphviz output format"):
        run_graphviz("digraph {}", "jpg", Embedded())


def check_svg(data: bytes, dot: str) -> None:
    """Well-formed SVG with one `<g class="node">` per drawn node, titled by its id
    (invisible nodes and edges, which keep a cluster's label clear, are not drawn)."""
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    titles = {g.findtext(f"{SVG}title") for g in root.iter(f"{SVG}g") if g.get("class") == "node"}
    for line in dot.splitlines():
        stripped = line.strip()
        if "invis" in stripped:
            continue
        if stripped.startswith('"') and " -> " not in stripped and "[" in stripped:
            node = stripped[1 : stripped.index('" [')]
            assert node in titles, node
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    drawn = [line for line in dot.splitlines() if " -> " in line and "invis" not in line]
    assert len(edges) == len(drawn)


def test_embedded_svg_png_and_pdf(resnet18_dot: str) -> None:
    need("pygraphviz")
    engine = Embedded()
    check_svg(engine.render(resnet18_dot, "svg"), resnet18_dot)
    assert engine.render(resnet18_dot, "png").startswith(b"\x89PNG\r\n\x1a\n")
    assert engine.render(resnet18_dot, "pdf").startswith(b"%PDF-")


def test_the_dot_program_renders_valid_svg(tmp_path: Path, resnet18_dot: str) -> None:
    """DotProgram runs the program it is given, end to end, with a real Graphviz behind it.

    No system `dot` is needed (CI has none, like a fresh machine): the program is a
    stand-in that renders with the embedded Graphviz and is not on PATH.
    """
    need("pygraphviz")
    shim = tmp_path / "bin" / "my-dot"
    shim.parent.mkdir()
    shim.write_text(
        f"#!{sys.executable}\n"
        "import sys, pygraphviz\n"
        "fmt = next(a[2:] for a in sys.argv if a.startswith('-T'))\n"
        "graph = pygraphviz.AGraph(string=sys.stdin.read())\n"
        "sys.stdout.buffer.write(graph.draw(format=fmt, prog='dot'))\n"
    )
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    assert shutil.which("my-dot") is None
    check_svg(DotProgram(str(shim)).render(resnet18_dot, "svg"), resnet18_dot)
