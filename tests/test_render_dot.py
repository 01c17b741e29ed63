"""Structural tests of the DOT text: what is drawn, how, and that it never changes."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

import resgen
from resgen.graph.model import Network
from resgen.render import to_dot
from resgen.render.dot import HEADER, TAP
from resgen.render.style import SHORTCUTS
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
SHAPE = re.compile(r"^(?:[A-D]: )?\d+(?:×\d+)*$")

# Every shortcut kind and join in one small network: A, D, C, identity, concat, gate.
MIXED = """
resgen: 1
name: mixed
input: [3, 32, 32]
stem:
  - conv: {name: conv1, out: 16, kernel: 3}
  - relu
blocks:
  catblock:
    main:
      - conv: {name: conv1, out: width, kernel: 3, stride: stride}
      - relu
    shortcut: identity
    join: concat
    out: in_channels + width
  gateblock:
    main:
      - conv: {name: conv1, out: width, kernel: 3}
    shortcut: identity
    join: gate
    gate:
      - conv: {name: gate_conv, out: width, kernel: 1, bias: true}
      - sigmoid
stages:
  - {name: layer1, blocks: 2, width: 16, block: basic, shortcut: A}
  - {name: layer2, blocks: 1, width: 32, stride: 2, block: basic, shortcut: A}
  - {name: layer3, blocks: 1, width: 64, stride: 2, block: bottleneck, shortcut: D}
  - {name: layer4, blocks: 1, width: 64, block: basic, shortcut: C}
  - {name: layer5, blocks: 1, width: 16, block: catblock}
  - {name: layer6, blocks: 2, width: 80, block: gateblock}
head: [avgpool, flatten, {dropout: {p: 0.2}}, {linear: {name: fc, out: 10}}]
"""


def graph_of(spec: str) -> nx.DiGraph:
    """The networkx view, for the assertions; `net(graph)` is what the renderer draws."""
    return resgen.build_graph(MIXED if spec == "mixed" else SPECS / spec)


def net(graph: nx.DiGraph) -> Network:
    return graph.graph["network"]


def parse(dot: str) -> Any:
    """The DOT as Graphviz itself reads it (the embedded parser of pygraphviz)."""
    return need("pygraphviz").AGraph(string=dot)


def drawn(agraph: Any) -> tuple[set[str], list[tuple[str, str]]]:
    """Nodes and edges of the diagram, the legend and the invisible helpers left out: a
    header's space, and a tap (the point inside a block a shortcut from outside enters
    by), whose two halves are one edge and whose tie to its rank is none."""
    nodes = {str(n) for n in agraph.nodes() if not str(n).startswith(("legend", HEADER, TAP))}
    edges = []
    for a, b in agraph.edges():
        if str(a).startswith(HEADER) or str(b).startswith(TAP):
            continue
        edges.append((tap_source(agraph, str(a)), str(b)))
    return nodes, edges


def tap_source(agraph: Any, node: str) -> str:
    """Where the shortcut through tap `node` comes from (`node` itself if no tap): its
    one headless in-edge; the other in-edge, invisible, only ties it to its rank."""
    if not node.startswith(TAP):
        return node
    ins = [a for a, _ in agraph.in_edges(node) if agraph.get_edge(a, node).attr["arrowhead"]]
    (source,) = ins
    assert agraph.get_edge(source, node).attr["arrowhead"] == "none"
    return str(source)


def edge(agraph: Any, a: str, b: str) -> Any:
    """The drawn edge `a -> b`: through a tap, its second half (the head, the label)."""
    if agraph.has_edge(a, b):
        return agraph.get_edge(a, b)
    (found,) = [
        agraph.get_edge(t, b) for t, _ in agraph.in_edges(b) if tap_source(agraph, str(t)) == a
    ]
    return found


@pytest.mark.parametrize(
    "spec", ["resnet50.yaml", "cifar10/resnet56_a.yaml", "plain34.yaml", "mixed"]
)
def test_layer_level_draws_every_layer_once_and_every_edge(spec: str) -> None:
    graph = graph_of(spec)
    dot = to_dot(net(graph), "layer")
    agraph = parse(dot)
    nodes, edges = drawn(agraph)
    assert nodes == set(graph.nodes)
    for node in graph.nodes:  # once: one node statement per layer in the text
        assert len(re.findall(rf'^\s*"{re.escape(node)}" \[', dot, re.M)) == 1, node
    assert sorted(edges) == sorted(graph.edges)
    model = net(graph)
    for a, b in edges:  # a shape label where the shape changes, and only there
        label = edge(agraph, a, b).attr["label"] or ""
        node = model.nodes[a]
        if label and not re.fullmatch("[A-D]", label):
            assert SHAPE.match(label), (a, b)
            assert node.op == "input" or node.in_shape != node.shape, (a, b)
    for a in graph.nodes:  # said once, even where the output forks
        labels = [edge(agraph, a, b).attr["label"] for b in graph.successors(a)]
        assert len([x for x in labels if x and SHAPE.match(x)]) <= 1, a


@pytest.mark.parametrize("spec", ["resnet50.yaml", "cifar10/resnet56_a.yaml", "mixed"])
def test_every_join_gets_all_its_branches(spec: str) -> None:
    graph = graph_of(spec)
    agraph = parse(to_dot(net(graph), "layer"))
    joins = {v for _, v, e in graph.edges(data=True) if "branch" in e}
    assert joins
    for join in joins:
        expected = sorted(graph.predecessors(join))
        assert sorted(tap_source(agraph, str(a)) for a, _ in agraph.in_edges(join)) == expected
        assert len(expected) >= 2, join


def shortcut_edge(agraph: Any, graph: nx.DiGraph, block: str) -> Any:
    (found,) = [
        edge(agraph, u, v)
        for u, v, e in graph.in_edges(f"{block}.{graph_join(graph, block)}", data=True)
        if e.get("branch") == "shortcut"
    ]
    return found


def graph_join(graph: nx.DiGraph, block: str) -> str:
    for node, data in graph.nodes(data=True):
        if data.get("block") == block and any(
            "branch" in e for _, _, e in graph.in_edges(node, data=True)
        ):
            return node.rsplit(".", 1)[1]
    raise AssertionError(f"no join in {block}")


@pytest.mark.parametrize(
    ("block", "kind", "style"),
    [
        ("layer1.0", "identity", "dashed"),
        ("layer2.0", "zeropad", "dotted"),
        ("layer3.0", "avgdown", "dashed"),
        ("layer4.0", "projection", "solid"),
        ("layer5.0", "identity", "dashed"),
    ],
)
def test_shortcut_edges_are_styled_by_kind(block: str, kind: str, style: str) -> None:
    graph = graph_of("mixed")
    agraph = parse(to_dot(net(graph), "layer"))
    edge = shortcut_edge(agraph, graph, block)
    assert edge.attr["style"] == style
    assert edge.attr["color"] == SHORTCUTS[kind].color


def test_the_whole_shortcut_branch_carries_its_style_and_the_letter() -> None:
    graph = graph_of("mixed")
    agraph = parse(to_dot(net(graph), "layer"))
    d_path = ["layer2.0.relu#2", "layer3.0.downsample.0", "layer3.0.downsample.1"]
    for a, b in itertools.pairwise(d_path):
        assert agraph.get_edge(a, b).attr["color"] == SHORTCUTS["avgdown"].color
    assert agraph.get_edge("layer3.0.downsample.2", "layer3.0.add").attr["label"] == "D"
    main = agraph.get_edge("layer3.0.bn3", "layer3.0.add")
    assert main.attr["style"] in (None, "")  # the main branch is a plain line
    assert agraph.get_node("layer2.0.downsample").attr["label"].endswith("zero-pad +16 ch /2")


def test_concat_and_gate_joins_are_recognisable() -> None:
    graph = graph_of("mixed")
    agraph = parse(to_dot(net(graph), "layer"))
    concat, gate = agraph.get_node("layer5.0.concat"), agraph.get_node("layer6.0.gate")
    assert (concat.attr["shape"], concat.attr["label"]) == ("invtrapezium", "‖ concat")
    assert (gate.attr["shape"], gate.attr["label"]) == ("octagon", "σ gate")
    assert edge(agraph, "layer4.0.relu#2", "layer5.0.concat").attr["arrowhead"] == "diamond"
    gate_edge = agraph.get_edge("layer6.0.sigmoid", "layer6.0.gate")
    assert gate_edge.attr["arrowhead"] == "dot"
    assert (
        gate_edge.attr["color"] != agraph.get_edge("layer6.0.conv1", "layer6.0.gate").attr["color"]
    )


def test_clusters_for_stages_and_blocks_and_the_shape_change_is_marked() -> None:
    dot = to_dot(net(graph_of("resnet50.yaml")), "layer")
    agraph = parse(dot)
    names = {sub.name for sub in agraph.subgraphs_iter()}
    assert {"cluster_stem:stem", "cluster_stage:layer1", "cluster_head:head"} <= names
    layer2 = agraph.get_subgraph("cluster_stage:layer2")
    blocks = [s.name for s in layer2.subgraphs()]
    assert blocks == [f"cluster_block:layer2.{i}" for i in range(4)]
    changed = layer2.get_subgraph("cluster_block:layer2.0")
    same = layer2.get_subgraph("cluster_block:layer2.1")
    assert "◆ 256×56×56 → 512×28×28" in changed.graph_attr["label"]
    assert "◆" not in same.graph_attr["label"]
    assert changed.graph_attr["color"] != same.graph_attr["color"]
    assert "layer2.0.conv1" in changed.nodes()


def test_block_level_is_one_node_per_block() -> None:
    graph = graph_of("resnet50.yaml")
    agraph = parse(to_dot(net(graph), "block"))
    nodes, edges = drawn(agraph)
    blocks = {f"block:layer{s}.{i}" for s, n in ((1, 3), (2, 4), (3, 6), (4, 3)) for i in range(n)}
    stem_head = {"conv1", "bn1", "relu", "maxpool", "avgpool", "flatten", "fc"}
    assert nodes == blocks | stem_head | {"input"}
    assert ("block:layer2.3", "block:layer3.0") in edges
    assert len(edges) == len(set(edges)) == len(nodes) - 1  # a chain
    assert agraph.get_edge("block:layer2.3", "block:layer3.0").attr["label"] in (None, "")
    assert agraph.get_edge("block:layer3.0", "block:layer3.1").attr["label"] == "1024×14×14"
    first, other = agraph.get_node("block:layer3.0"), agraph.get_node("block:layer3.1")
    assert first.attr["peripheries"] == "2" and "◆" in first.attr["label"]
    assert other.attr["peripheries"] in (None, "") and "◆" not in other.attr["label"]
    assert "projection" in first.attr["label"] and "identity" in other.attr["label"]


def test_roll_folds_identical_blocks_so_resnet1202_fits() -> None:
    graph = graph_of("cifar10/resnet1202_a.yaml")
    agraph = parse(to_dot(net(graph), "block", roll=True))
    nodes, edges = drawn(agraph)
    runs = sorted(n for n in nodes if n.startswith("run:"))
    assert runs == [
        "run:layer1.0 … layer1.199",
        "run:layer2.1 … layer2.199",
        "run:layer3.1 … layer3.199",
    ]
    assert {"block:layer2.0", "block:layer3.0"} <= nodes
    assert len(nodes) == 3 + 2 + 3 + 3 + 1  # stem, blocks and runs, head, input
    assert "×199" in agraph.get_node("run:layer2.1 … layer2.199").attr["label"]
    assert "×200" in agraph.get_node("run:layer1.0 … layer1.199").attr["label"]
    assert ("run:layer1.0 … layer1.199", "block:layer2.0") in edges


def test_roll_at_layer_level_draws_each_run_once() -> None:
    graph = graph_of("cifar10/resnet56_a.yaml")
    agraph = parse(to_dot(net(graph), "layer", roll=True))
    nodes, edges = drawn(agraph)
    assert "layer1.0.conv1" in nodes and "layer1.5.conv1" not in nodes
    assert {"layer2.0.downsample", "layer2.1.conv1"} <= nodes
    assert "layer2.2.conv1" not in nodes
    assert ("layer2.0.relu#2", "layer2.1.conv1") in edges
    assert ("layer2.1.relu#2", "layer3.0.conv1") in edges  # the run's output goes on
    assert all(a != b for a, b in edges)
    run = agraph.get_subgraph("cluster_stage:layer2").get_subgraph(
        "cluster_run:layer2.1 … layer2.8"
    )
    assert "×8" in run.graph_attr["label"]


def test_stage_level() -> None:
    agraph = parse(to_dot(net(graph_of("resnet50.yaml")), "stage"))
    nodes, edges = drawn(agraph)
    assert nodes == {"input", "stem:stem", "head:head"} | {f"stage:layer{i}" for i in (1, 2, 3, 4)}
    assert edges == [
        ("input", "stem:stem"),
        ("stem:stem", "stage:layer1"),
        ("stage:layer1", "stage:layer2"),
        ("stage:layer2", "stage:layer3"),
        ("stage:layer3", "stage:layer4"),
        ("stage:layer4", "head:head"),
    ]
    assert "6 × bottleneck" in agraph.get_node("stage:layer3").attr["label"]


def test_legend_lists_what_is_drawn() -> None:
    agraph = parse(to_dot(net(graph_of("mixed")), "layer"))
    label = agraph.get_node("legend").attr["label"]
    for text in ("zeropad", "sigmoid", "identity shortcut", "zero-pad shortcut (A)", "(D)"):
        assert text in label
    assert "C: 1×1 conv" in label
    plain = parse(to_dot(net(graph_of("plain34.yaml")), "layer"))  # keep the graph alive
    assert "shortcut" not in plain.get_node("legend").attr["label"].replace("no shortcut", "")


def test_unknown_ops_are_drawn_generically() -> None:
    from resgen.graph.model import Edge, Node

    toy = Network("toy", "Toy", (3, 8, 8), "0")
    toy.nodes["input"] = Node("input", "input", {}, (3, 8, 8), (), (), None, "input")
    warp = Node("warp", "warp", {"k": 3}, (3, 8, 8), (3, 8, 8), (Edge("input"),), None, "stem")
    toy.nodes["warp"] = warp
    agraph = parse(to_dot(toy, "layer"))
    assert agraph.get_node("warp").attr["label"] == "warp k=3"  # not `warp / warp k=3`
    assert agraph.get_node("warp").attr["fillcolor"].startswith("#")


def test_names_are_quoted_safely() -> None:
    from resgen.render.dot_text import html, quote

    assert quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert html('<x & "y">') == "&lt;x &amp; &quot;y&quot;&gt;"


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown level"):
        to_dot(net(graph_of("resnet50.yaml")), "module")


def test_dot_is_byte_identical_across_runs_and_processes() -> None:
    graph = graph_of("cifar10/resnet56_a.yaml")
    first = to_dot(net(graph), "layer")
    assert to_dot(resgen.checked_network(SPECS / "cifar10/resnet56_a.yaml"), "layer") == first
    code = (
        "import sys, resgen; from resgen.render import to_dot; "
        "sys.stdout.write(to_dot(resgen.checked_network(sys.argv[1]), 'layer'))"
    )
    spec = str(SPECS / "cifar10/resnet56_a.yaml")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    other = subprocess.run(
        [sys.executable, "-c", code, spec], capture_output=True, env=env, check=True
    ).stdout.decode()
    assert other == first
