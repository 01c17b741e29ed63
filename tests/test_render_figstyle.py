"""Figures a paper can print (issue 14, points 3-5): direction, themes, a colour-blind-safe
palette, shortcut kinds told apart in greyscale, and labels and legends that say only
what is there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import resgen
from resgen.graph.model import Network
from resgen.render import to_dot
from resgen.render.html import payload, to_html
from resgen.render.style import OKABE_ITO, SHORTCUTS, THEMES, op_color
from tests.conftest import need

SPECS = Path(__file__).resolve().parents[1] / "specs"
_KEEP: list[Any] = []  # the networkx graphs, kept alive while their networks are used


def network(spec: str) -> Network:
    graph = resgen.build_graph(SPECS / spec)
    _KEEP.append(graph)
    return graph.graph["network"]


def parse(dot: str) -> Any:
    return need("pygraphviz").AGraph(string=dot)


def legend(agraph: Any) -> str:
    return agraph.get_node("legend").attr["label"]


# ------------------------------------------------------------------ point 3


def test_direction_and_theme_reach_the_graph() -> None:
    net = network("cifar10/resnet56_a.yaml")
    agraph = parse(to_dot(net, "block", direction="LR", theme_name="dark"))
    assert agraph.graph_attr["rankdir"] == "LR"
    assert agraph.graph_attr["bgcolor"] == THEMES["dark"].background
    assert agraph.edge_attr["color"] == THEMES["dark"].edge
    light = parse(to_dot(net, "block"))
    assert light.graph_attr["rankdir"] == "TB"
    assert light.graph_attr["bgcolor"] == THEMES["light"].background
    with pytest.raises(ValueError, match="theme"):
        to_dot(net, "block", theme_name="pink")
    with pytest.raises(ValueError, match="direction"):
        to_dot(net, "block", direction="BT")


def test_output_is_deterministic_per_option() -> None:
    net = network("resnet50.yaml")
    for direction in ("TB", "LR"):
        for name in THEMES:
            first = to_dot(net, "layer", direction=direction, theme_name=name)
            assert first == to_dot(net, "layer", direction=direction, theme_name=name)
    assert to_html(net, "stage") == to_html(net, "stage")


def test_the_common_ops_use_okabe_ito_tints() -> None:
    """Fills are light tints of distinct Okabe-Ito hues: conv, norm, activation, linear."""
    colours = {op: op_color(op) for op in ("conv", "bn", "relu", "linear", "dropout")}
    assert len(set(colours.values())) == len(colours)
    for colour in colours.values():  # light enough for dark text in both themes
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert 0.299 * r + 0.587 * g + 0.114 * b > 150, colour
    hues = {c.upper() for c in OKABE_ITO.values()}
    lines = {s.color.upper() for k, s in SHORTCUTS.items() if k not in {"identity", "none"}}
    assert lines <= hues


def test_the_html_view_follows_the_system_and_has_a_toggle() -> None:
    page = to_html(network("cifar10/resnet56_a.yaml"), "stage")
    assert "prefers-color-scheme: dark" in page
    assert 'id="btn-theme"' in page
    data = payload(network("cifar10/resnet56_a.yaml"), "stage", False)
    assert data["themes"]["dark"]["background"] == THEMES["dark"].background


# ------------------------------------------------------------------ point 4


def test_every_shortcut_kind_has_its_own_greyscale_line() -> None:
    drawn = [(s.dot_style, s.width) for k, s in SHORTCUTS.items() if k != "none"]
    assert len(drawn) == len(set(drawn))
    dashes = [(s.dash, s.width) for k, s in SHORTCUTS.items() if k != "none"]
    assert len(dashes) == len(set(dashes))
    assert {"identity", "zeropad", "projection", "conv", "avgdown", "none"} <= set(SHORTCUTS)


def test_the_html_payload_carries_the_same_table() -> None:
    data = payload(network("resnet50.yaml"), "layer", False)
    for kind, line in SHORTCUTS.items():
        assert data["shortcuts"][kind] == {
            "color": line.color,
            "dash": line.dash,
            "width": line.width,
            "label": line.label,
        }


def test_preact_projection_is_drawn_and_legended_as_a_projection() -> None:
    net = network("cifar10/preact_resnet164.yaml")
    agraph = parse(to_dot(net, "layer"))
    conv = SHORTCUTS["conv"]
    into = agraph.get_edge("layer1.0.relu", "layer1.0.downsample")
    out = agraph.get_edge("layer1.0.downsample", "layer1.0.add")
    for edge in (into, out):
        assert edge.attr["color"] == conv.color
        assert edge.attr["style"] == conv.dot_style
        assert float(edge.attr["penwidth"]) == conv.width
    assert out.attr["label"].startswith("B")
    assert "projection shortcut (B: 1×1 conv, no norm)" in legend(agraph)


def test_no_shortcut_gets_a_legend_entry_where_it_occurs() -> None:
    plain = network("plain34.yaml")
    for level in ("layer", "block"):
        assert "no shortcut" in legend(parse(to_dot(plain, level)))
    assert "no shortcut" not in legend(parse(to_dot(network("resnet50.yaml"), "block")))


# ------------------------------------------------------------------ point 5


def test_shape_labels_only_where_the_shape_changes() -> None:
    agraph = parse(to_dot(network("resnet50.yaml"), "layer"))
    assert agraph.get_edge("bn1", "relu").attr["label"] in (None, "")
    assert agraph.get_edge("conv1", "bn1").attr["label"] == "64×112×112"
    # a fork that keeps the shape says nothing; the add's output forks to the next block
    post = next(b for a, b in agraph.out_edges("layer1.2.add"))
    labels = [e.attr["label"] for e in agraph.out_edges(post)]
    assert len(labels) == 2 and not any(labels)
    # the projection changes it: the letter and the shape, on the shortcut edge only
    assert agraph.get_edge("layer2.0.downsample.0", "layer2.0.downsample.1").attr["label"]
    out = [e.attr["label"] for e in agraph.out_edges("maxpool")]
    assert out.count("64×56×56") == 1


def test_stage_legend_lists_what_is_drawn() -> None:
    text = legend(parse(to_dot(network("resnet50.yaml"), "stage")))
    assert "input" in text and "stem, stage, head, folded" in text


def test_block_legend_has_no_red_border_unless_drawn() -> None:
    text = legend(parse(to_dot(network("resnet50.yaml"), "block")))
    assert "double border" in text
    assert 'BORDER="2" STYLE="rounded"' not in text  # the layer-level red cluster border
    layer = legend(parse(to_dot(network("resnet50.yaml"), "layer")))
    assert 'BORDER="2" STYLE="rounded"' in layer


def test_densenet_marks_only_a_new_height_and_width() -> None:
    net = network("densenet121.yaml")
    agraph = parse(to_dot(net, "block"))
    marked = [n for n in agraph.nodes() if str(n).startswith("block:") and "◆" in n.attr["label"]]
    blocks = [n for n in agraph.nodes() if str(n).startswith("block:")]
    assert len(marked) < len(blocks) // 4


def test_join_nodes_carry_the_option_letter_in_the_html_view() -> None:
    data = payload(network("resnet50.yaml"), "layer", False)
    letters = {n["id"]: n["jl"] for n in data["nodes"] if n["j"]}
    assert letters["layer2.0.add"] == "B" and letters["layer2.1.add"] == ""


def test_tooltips_cannot_overflow() -> None:
    page = to_html(network("resnet50.yaml"), "stage")
    rule = re.search(r"#tip \{[^}]*\}", page)
    assert rule and "overflow-wrap: anywhere" in rule.group() and "100vw" in rule.group()


def test_input_has_no_activation_count_and_names_do_not_repeat() -> None:
    agraph = parse(to_dot(network("resnet50.yaml"), "layer"))
    assert "activations" not in agraph.get_node("input").attr["tooltip"]
    assert agraph.get_node("layer1.0.bn1").attr["label"] == "bn1"
    assert agraph.get_node("layer1.0.relu#2").attr["label"] == "relu#2"
    assert agraph.get_node("layer1.0.conv1").attr["label"].startswith("conv1\\n")


def test_the_html_view_skips_the_inputs_counts() -> None:
    page = to_html(network("resnet50.yaml"), "stage")
    assert 'if (n.op !== "input")' in page
