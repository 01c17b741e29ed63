"""The HTML page without a browser: self-contained, complete, safe, deterministic."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import resgen
from resgen.render import to_dot
from resgen.render.html import embed_json, payload, to_html
from resgen.render.style import SHORTCUTS, no_shortcut_legend
from resgen.render.tree import build_tree

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    return resgen.build_graph(ROOT / "specs/cifar10/resnet56_a.yaml")


def data_of(page: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="resgen-data">(.*?)</script>', page, re.S
    )
    assert match
    return json.loads(match.group(1))


def test_page_is_self_contained(graph: nx.DiGraph) -> None:
    page = to_html(graph.graph["network"])
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(script|img|iframe)[^>]*\bsrc=", page)
    assert not re.search(r"<link[^>]*stylesheet", page)
    assert "@import" not in page and "fetch(" not in page and "XMLHttpRequest" not in page
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls  # the SVG namespace only


def test_page_carries_every_layer_edge_and_block(graph: nx.DiGraph) -> None:
    data = data_of(to_html(graph.graph["network"], level="block"))
    assert [n["id"] for n in data["nodes"]] == list(graph.nodes)
    assert len(data["edges"]) == graph.number_of_edges()
    assert data["level"] == "block"
    assert data["totals"]["params"] == graph.graph["params"]
    conv = next(n for n in data["nodes"] if n["id"] == "layer2.0.conv1")
    assert (conv["s"], conv["p"], conv["args"]["stride"]) == ("32×16×16", 4608, 2)
    stages = [g for g in data["tree"] if isinstance(g, dict) and g["k"] == "stage"]
    assert [s["n"] for s in stages] == ["layer1", "layer2", "layer3"]
    assert [b["n"] for b in stages[1]["items"]] == [f"layer2.{i}" for i in range(9)]
    first = stages[1]["items"][0]
    assert (first["ch"], first["sc"], first["opt"]) == (1, "zeropad", "A")


def test_payload_carries_both_roll_states(graph: nx.DiGraph) -> None:
    """The unrolled tree and the runs to fold, whichever view the page opens with."""
    net = graph.graph["network"]
    rolled, unrolled = payload(net, "block", roll=True), payload(net, "block", roll=False)
    assert (rolled["roll"], unrolled["roll"]) == (True, False)
    assert rolled["tree"] == unrolled["tree"] and rolled["runs"] == unrolled["runs"]
    layer3 = next(g for g in rolled["tree"] if isinstance(g, dict) and g["n"] == "layer3")
    assert [b["key"] for b in layer3["items"]] == [f"block:layer3.{i}" for i in range(9)]
    runs = {run["key"]: run for run in rolled["runs"]}
    assert sorted(runs) == sorted(  # the folds DOT draws with --roll
        g.key for g in build_tree(net, roll=True).groups() if g.kind == "run"
    )
    run = runs["run:layer3.1 … layer3.8"]
    assert (run["k"], run["c"]) == ("run", 8)
    assert run["blocks"] == [f"block:layer3.{i}" for i in range(1, 9)]
    assert "items" not in run  # its blocks are in the tree once, not twice
    assert run["p"] == sum(b["p"] for b in layer3["items"][1:])


def test_legend_entry_for_blocks_without_a_shortcut_matches_dot() -> None:
    plain = resgen.build_graph(ROOT / "specs/cifar10/plain20.yaml")
    data = payload(plain.graph["network"], "block", roll=False)
    mark, text = no_shortcut_legend()
    assert data["no_shortcut"] == {"mark": mark, "label": text}
    assert text == f"block with {SHORTCUTS['none'].label}"
    stages = [g for g in data["tree"] if isinstance(g, dict) and g["k"] == "stage"]
    blocks = [b for stage in stages for b in stage["items"] if isinstance(b, dict)]
    assert blocks and all(b["sc"] == "" for b in blocks)  # what the page's legend looks for
    assert text in to_dot(plain.graph["network"], "block")


def test_embedded_json_cannot_close_the_script() -> None:
    text = embed_json({"name": "</script><script>alert(1)</script><!--", "x": "a&b"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["name"].startswith("</script>")


def test_page_is_deterministic(graph: nx.DiGraph) -> None:
    assert to_html(graph.graph["network"]) == to_html(
        resgen.checked_network(ROOT / "specs/cifar10/resnet56_a.yaml")
    )


def test_unknown_level_is_refused(graph: nx.DiGraph) -> None:
    with pytest.raises(ValueError, match="unknown level"):
        to_html(graph.graph["network"], level="everything")


def test_rendering_never_imports_torch() -> None:
    code = (
        "import sys, resgen; from resgen.render import render; "
        "g = resgen.checked_network(sys.argv[1]); render(g, 'dot'); render(g, 'html'); "
        "sys.exit('torch' in sys.modules)"
    )
    spec = str(ROOT / "specs/resnet18.yaml")
    assert subprocess.run([sys.executable, "-c", code, spec], check=False).returncode == 0
