"""Figures a paper can print: a quiet stderr, no absolute paths, --dpi, size limits,
side by side networks and the notebook object (issue 14)."""

from __future__ import annotations

import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from resgen.render.fit import (
    LAYOUT_MAX_NODES,
    PNG_MAX_PX,
    Size,
    TooLarge,
    fitted,
    light_enough,
    node_count,
)
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


# ---------------------------------------------------------------------- A: dpi, size limits


def test_dpi_scales_the_png(tmp_path: Path) -> None:
    need("pygraphviz")
    sizes = {}
    for dpi in ("96", "192"):
        out = tmp_path / f"r18_{dpi}.png"
        result = resgen(
            "render", str(SPECS / "resnet18.yaml"), "--level", "block", "--dpi", dpi, "-o", str(out)
        )
        assert result.returncode == 0, result.stderr
        sizes[dpi] = png_size(out.read_bytes())
    (w1, h1), (w2, h2) = sizes["96"], sizes["192"]
    assert abs(w2 / w1 - 2) < 0.05 and abs(h2 / h1 - 2) < 0.05


def test_dpi_is_for_png_only(tmp_path: Path) -> None:
    result = resgen(
        "render", str(SPECS / "resnet18.yaml"), "--dpi", "300", "-o", str(tmp_path / "a.svg")
    )
    assert result.returncode == 2
    assert "--dpi" in result.stderr and not (tmp_path / "a.svg").exists()


def fake_sizes(heights: dict[tuple[str, bool], float]) -> Callable[[str, bool], Size]:
    return lambda level, roll: Size(400, heights[level, roll])


def test_fitted_rolls_then_coarsens_and_says_so() -> None:
    notes: list[str] = []
    heights = {("block", False): 48000, ("block", True): 1200, ("stage", True): 300}
    got = fitted("pdf", "block", False, 96, fake_sizes(heights), notes.append)
    assert got == ("block", True)
    assert len(notes) == 1 and "48,000 pt" in notes[0] and "rolled" in notes[0]
    heights = {
        ("layer", False): 90000,
        ("layer", True): 50000,
        ("block", True): 40000,
        ("stage", True): 800,
    }
    assert fitted("png", "layer", False, 96, fake_sizes(heights), notes.append) == ("stage", True)
    assert fitted("svg", "layer", False, 96, fake_sizes(heights), notes.append) == ("layer", False)


def test_fitted_refuses_what_never_fits() -> None:
    heights = {("stage", False): 90000, ("stage", True): 90000}
    with pytest.raises(TooLarge, match="-f svg"):
        fitted("pdf", "stage", False, 96, fake_sizes(heights))


def test_too_many_nodes_to_lay_out_rolls_then_coarsens_and_says_so() -> None:
    notes: list[str] = []
    counts = {("layer", False): 4812, ("layer", True): 120, ("block", True): 40, ("stage", True): 6}
    assert light_enough("layer", False, lambda *a: counts[a], notes.append) == ("layer", True)
    assert len(notes) == 1 and "4,812 nodes" in notes[0] and "layer level, rolled" in notes[0]
    assert light_enough("block", True, lambda *a: counts[a], notes.append) == ("block", True)
    counts[("layer", True)] = LAYOUT_MAX_NODES + 1
    assert light_enough("layer", False, lambda *a: counts[a], notes.append) == ("block", True)
    counts = {("stage", False): 9999, ("stage", True): 9999}  # the last try is drawn anyway
    assert light_enough("stage", False, lambda *a: counts[a], notes.append) == ("stage", True)
    assert len(notes) == 3


def test_node_count_counts_node_statements_not_edges() -> None:
    dot = 'digraph "x" {\n  graph [rankdir="TB"];\n  "a" [label="a"];\n  "b \\" c" [x=1];\n'
    dot += '  "a" -> "b \\" c" [label="e"];\n  { rank=same; "a"; "b \\" c"; }\n}\n'
    assert node_count(dot) == 2


def test_resnet1202_svg_rolls_up_with_a_note_and_in_seconds() -> None:
    need("pygraphviz")
    from resgen import checked_network
    from resgen.render import render

    net = checked_network(SPECS / "cifar10" / "resnet1202_a.yaml")
    notes: list[str] = []
    svg = render(net, "svg", level="layer", note=notes.append)
    assert len(notes) == 1 and "drawn at layer level, rolled instead" in notes[0]
    assert b"\xc3\x97199" in svg  # the run of 199 blocks, marked ×199
    assert len(svg) < 1_000_000


def test_resnet1202_png_rolls_up_with_a_note(tmp_path: Path) -> None:
    need("pygraphviz")
    out = tmp_path / "r1202.png"
    spec = SPECS / "cifar10" / "resnet1202_a.yaml"
    result = resgen("render", str(spec), "--level", "block", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "note: at block level the png would be" in result.stderr
    assert "rolled" in result.stderr and "too large for cairo" not in result.stderr
    width, height = png_size(out.read_bytes())
    assert height < PNG_MAX_PX and width < PNG_MAX_PX


# ---------------------------------------------------------------------- D: resgen.diagram


def test_diagram_is_lazy_and_torch_free() -> None:
    code = (
        "import sys, resgen\n"
        "assert 'resgen.render' not in sys.modules\n"
        "d = resgen.diagram('specs/resnet18.yaml', level='block')\n"
        "assert 'torch' not in sys.modules\n"
        "print(type(d).__name__, d.level)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Diagram block"


def test_diagram_reprs_and_save(tmp_path: Path) -> None:
    need("pygraphviz")
    import resgen

    d = resgen.diagram(SPECS / "resnet18.yaml", level="stage")
    svg = d._repr_svg_()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg[:500]
    assert "layer1" in svg
    html = d._repr_html_()
    assert html.count("<svg") == 1 and "<?xml" not in html and "<!DOCTYPE" not in html
    assert d.dot.startswith('digraph "resnet18"')
    for name in ("f.svg", "f.png", "f.pdf", "f.dot", "f.html"):
        path = d.save(tmp_path / name)
        assert path.stat().st_size > 100
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"
    with pytest.raises(ValueError, match=r"\.svg"):
        d.save(tmp_path / "f.jpeg")


def test_diagram_takes_direction_and_theme_and_refuses_others() -> None:
    import resgen

    lr = resgen.diagram(SPECS / "resnet18.yaml", direction="LR", theme="dark")
    assert 'rankdir="LR"' in lr.dot and 'bgcolor="#1e1e1e"' in lr.dot
    assert lr.dot != resgen.diagram(SPECS / "resnet18.yaml").dot
    with pytest.raises(ValueError, match="TB or LR"):
        resgen.diagram(SPECS / "resnet18.yaml", direction="up")
    with pytest.raises(ValueError, match="level"):
        resgen.diagram(SPECS / "resnet18.yaml", level="huge")


# ---------------------------------------------------------------------- C: side by side

FIG3 = [SPECS / "vgg19.yaml", SPECS / "plain34.yaml", SPECS / "resnet34.yaml"]


def test_side_by_side_dot_aligns_resolutions() -> None:
    import resgen
    from resgen.render.side import side_by_side

    nets = [resgen.checked_network(spec) for spec in FIG3]
    dot = side_by_side(nets, level="block")
    for index, name in enumerate(("vgg19", "plain34", "resnet34")):
        assert f'subgraph "cluster_n{index}/"' in dot
        assert f'label="{name}\\n' in dot
    ranks = [line for line in dot.splitlines() if "rank=same" in line]
    # 28×28 starts at VGG's pool, at layer2.0 in both ResNet-34s
    assert any('"n1/block:layer2.0"' in r and '"n2/block:layer2.0"' in r for r in ranks), ranks
    assert any('"n0/' in r and '"n2/block:layer4.0"' in r for r in ranks), ranks


def test_side_by_side_svg_holds_the_three_networks(tmp_path: Path) -> None:
    need("pygraphviz")
    out = tmp_path / "fig3.svg"
    result = resgen("render", *map(str, FIG3), "--side-by-side", "--level", "block", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    text = out.read_text()
    for title in ("vgg19", "plain34", "resnet34"):
        assert f">{title}</text>" in text
    for stage in ("layer1", "layer2", "layer3", "layer4"):
        assert text.count(f"{stage} · ") >= 2  # plain34's and resnet34's stage clusters
    assert "features.36" in text  # VGG-19's last conv


def test_several_specs_need_side_by_side(tmp_path: Path) -> None:
    result = resgen("render", *map(str, FIG3[:2]), "-o", str(tmp_path / "x.svg"))
    assert result.returncode == 2 and "--side-by-side" in result.stderr
    result = resgen("render", *map(str, FIG3[:2]), "--side-by-side", "-o", str(tmp_path / "x.html"))
    assert result.returncode == 2 and not (tmp_path / "x.html").exists()
