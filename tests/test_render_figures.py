"""Figures a paper can print: a quiet stderr, no absolute paths, --dpi, size limits,
side by side networks and the notebook object (issue 14)."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from resgen.render.paths import shown_file
from resgen.render.quiet import filtered, noise
from tests.conftest import SPECS, need

ROOT = Path(__file__).resolve().parents[1]


def resgen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resgen", *args], capture_output=True, text=True, cwd=cwd
    )


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


# ---------------------------------------------------------------------- B: noise, paths


def test_fontconfig_noise_is_recognised_and_nothing_else() -> None:
    line = (
        'Fontconfig warning: "/usr/share/fontconfig/conf.avail/05-reset-dirs-sample.conf", '
        'line 6: unknown element "reset-dirs"\n'
    )
    assert noise(line)
    assert not noise("Fontconfig error: cannot load default config file\n")
    assert not noise("Warning: node a, port b unrecognized\n")
    assert filtered(line + "Error: syntax error in line 1\n") == "Error: syntax error in line 1\n"


def test_render_writes_nothing_on_stderr(tmp_path: Path) -> None:
    need("pygraphviz")
    for fmt in ("svg", "png", "pdf"):
        out = tmp_path / f"r18.{fmt}"
        result = resgen("render", str(SPECS / "resnet18.yaml"), "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert "Fontconfig" not in result.stderr
        assert result.stderr == ""
        assert out.stat().st_size > 1000


def test_graphviz_errors_still_reach_stderr() -> None:
    need("pygraphviz")
    code = (
        "from resgen.render.engine import Embedded, RenderError\n"
        "try:\n"
        "    Embedded().render('digraph { a -> }', 'svg')\n"
        "except RenderError as e:\n"
        "    print('raised')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "raised" in result.stdout
    assert "Fontconfig warning" not in result.stderr
    assert "syntax error" in result.stderr


def test_svg_names_the_font_graphviz_measures(tmp_path: Path) -> None:
    need("pygraphviz")
    out = tmp_path / "r18.svg"
    assert resgen("render", str(SPECS / "resnet18.yaml"), "-o", str(out)).returncode == 0
    text = out.read_text()
    assert "Helvetica" not in text
    assert 'font-family="DejaVu Sans,sans-serif"' in text


def test_shown_file_is_relative_to_the_working_folder(tmp_path: Path) -> None:
    here = Path.cwd()
    assert shown_file("specs/a.yaml") == "specs/a.yaml"
    assert shown_file(str(here / "specs" / "a.yaml")) == "specs/a.yaml"
    outside = "/nowhere/near/a.yaml"
    assert shown_file(outside) == outside  # as given: nothing better to show


@pytest.mark.parametrize("fmt", ["svg", "html", "dot"])
def test_no_absolute_spec_path_in_diagrams(tmp_path: Path, fmt: str) -> None:
    if fmt == "svg":
        need("pygraphviz")
    out = tmp_path / f"r18.{fmt}"
    spec = ROOT / "specs" / "resnet18.yaml"  # absolute, under the working folder
    result = resgen("render", str(spec), "-f", fmt, "-o", str(out), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert str(ROOT) not in text
    assert "specs/resnet18.yaml:" in text
