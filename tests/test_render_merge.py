"""`--merge`: conv-norm-act runs drawn as one node, the ⊕ joins on a straight main lane,
and the drawing options (`--theme`, `--direction`, `--merge`) reaching `--side-by-side`
and `build --diagram`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import resgen
from resgen.cli import app
from resgen.graph.model import Network
from resgen.render import render, to_dot
from resgen.render.dot import MAIN_WEIGHT
from resgen.render.html import merged_payload, payload
from resgen.render.side import side_by_side
from resgen.render.style import THEMES
from resgen.render.tree import merged_chains
from tests.conftest import need

SPECS = Path(__file__).resolve().parents[1] / "specs"
runner = CliRunner()
_NETS: dict[str, Network] = {}


def network(spec: str) -> Network:
    if spec not in _NETS:
        _NETS[spec] = resgen.checked_network(SPECS / spec)
    return _NETS[spec]


def parse(dot: str) -> Any:
    return need("pygraphviz").AGraph(string=dot)


def layer_nodes(agraph: Any) -> list[Any]:
    """The drawn layers: not the legend, nor the invisible spaces kept for headers, nor
    the invisible taps shortcuts enter their blocks by."""
    helpers = ("header:", "tap:")
    return [node for node in agraph.nodes() if node != "legend" and not node.startswith(helpers)]


def tooltip_sum(agraph: Any, key: str) -> int:
    """The sum of `key: N` over the tooltips of every drawn layer."""
    total = 0
    for node in layer_nodes(agraph):
        lines = node.attr["tooltip"].split("\\n")  # DOT's `\n`, as written
        found = [line for line in lines if line.startswith(f"{key}: ")]
        total += int(found[0].split(": ")[1]) if found else 0
    return total


# ------------------------------------------------------------------ the merged runs


def test_a_bottleneck_is_three_merged_convs_a_merged_projection_and_its_join() -> None:
    agraph = parse(to_dot(network("resnet50.yaml"), "layer", merge=True))
    block = agraph.get_subgraph("cluster_stage:layer1").get_subgraph("cluster_block:layer1.0")
    names = [str(node) for node in layer_nodes(block)]
    expected = ["conv1", "conv2", "conv3", "downsample.0", "add", "relu#3"]
    assert names == [f"layer1.0.{name}" for name in expected]
    labels = [agraph.get_node(name).attr["label"] for name in names]
    assert labels[:4] == [
        "conv1\\nconv 1×1, 64 · bn · relu",
        "conv2\\nconv 3×3, 64 · bn · relu",
        "conv3\\nconv 1×1, 256 · bn",
        "downsample.0\\nconv 1×1, 256 · bn",
    ]
    tooltip = agraph.get_node("layer1.0.conv2").attr["tooltip"]
    assert "layers: layer1.0.conv2 · layer1.0.bn2 · layer1.0.relu#2" in tooltip
    assert "params: 36992" in tooltip  # 64·64·9 conv weights + 2·64 bn
    assert "macs: 115605504" in tooltip
    stem = agraph.get_node("conv1").attr["label"]
    assert stem == "conv1\\nconv 7×7 /2, 64 · bn · relu"


def test_merging_keeps_every_parameter_and_mac() -> None:
    net = network("resnet50.yaml")
    plain, merged = parse(to_dot(net, "layer")), parse(to_dot(net, "layer", merge=True))
    assert len(layer_nodes(plain)) == len(net.nodes) == 176
    # per bottleneck: conv-bn-relu ×2, conv-bn, downsample conv-bn; the stem's conv-bn-relu
    assert len(layer_nodes(merged)) == 90
    for key, total in (("params", net.params), ("macs", net.macs)):
        assert tooltip_sum(plain, key) == total
        assert tooltip_sum(merged, key) == total


def test_only_straight_chains_in_one_block_and_branch_merge() -> None:
    net = network("resnetv2_50.yaml")
    chains = merged_chains(net)
    first = "stages.0.blocks.0"
    # pre-activation: bn · relu is one node; the relu also feeds the shortcut's conv, so
    # the main conv after it starts a run of its own
    assert chains[f"{first}.norm1"] == (f"{first}.norm1", f"{first}.relu")
    assert chains[f"{first}.conv1"] == (f"{first}.conv1", f"{first}.norm2", f"{first}.relu#2")
    assert f"{first}.downsample.conv" not in chains  # a conv with nothing after it
    assert f"{first}.add" not in chains  # joins are never merged
    for chain in set(chains.values()):
        nodes = [net.nodes[name] for name in chain]
        assert len({(n.stage, n.block, n.branch) for n in nodes}) == 1, chain
    agraph = parse(to_dot(net, "layer", merge=True))  # kept: its nodes live in it
    assert agraph.get_node(f"{first}.norm1").attr["label"] == "norm1\\nbn · relu"


def test_merge_with_roll_and_folded_levels_draws_only_declared_nodes() -> None:
    for spec in ("cifar10/resnet56_a.yaml", "resnetv2_50.yaml", "densenet121.yaml"):
        for level in ("layer", "block", "stage"):
            agraph = parse(to_dot(network(spec), level, roll=True, merge=True))
            declared = {str(node) for node in agraph.nodes()}
            for a, b in agraph.edges():
                assert a in declared and b in declared, (spec, level, a, b)
    # at block level the stem's layers, drawn one by one, merge too
    net = network("resnet50.yaml")
    assert "conv 7×7 /2, 64 · bn · relu" in to_dot(net, "block", merge=True)
    assert " · bn" not in to_dot(net, "stage", merge=True)


def test_the_joins_sit_on_a_grouped_main_lane() -> None:
    agraph = parse(to_dot(network("resnet50.yaml"), "layer", merge=True))
    main = agraph.get_edge("layer1.0.conv3", "layer1.0.add")
    shortcut = agraph.get_edge("layer1.0.downsample.0", "layer1.0.add")
    assert main.attr["weight"] == str(MAIN_WEIGHT)
    assert shortcut.attr["weight"] == "1"
    for name in ("layer1.0.conv1", "layer1.0.conv3", "layer1.0.add", "layer1.0.relu#3"):
        assert agraph.get_node(name).attr["group"] == "main", name
    assert agraph.get_node("layer1.0.downsample.0").attr["group"] in ("", None)


def test_merge_is_off_by_default() -> None:
    net = network("resnet50.yaml")
    dot = to_dot(net, "layer")
    assert dot == to_dot(net, "layer", merge=False)
    assert " · bn" not in dot
    assert render(net, "dot") == dot.encode()
    assert b" \xc2\xb7 bn" in render(net, "dot", merge=True)  # ` · bn`


def test_the_html_view_merges_too() -> None:
    net = network("resnet50.yaml")
    data = payload(net, "layer", False)
    merged = merged_payload(net, data)
    assert len(data["nodes"]) == 176 and len(merged["nodes"]) == 90
    assert merged["layers"] == 175  # the summary counts every layer still
    assert sum(n["p"] for n in merged["nodes"]) == net.params
    conv2 = next(n for n in merged["nodes"] if n["id"] == "layer1.0.conv2")
    assert conv2["d"] == "conv 3×3, 64 · bn · relu"
    assert conv2["mg"] == ["layer1.0.conv2", "layer1.0.bn2", "layer1.0.relu#2"]
    count = len(merged["nodes"])
    assert all(0 <= a < count and 0 <= b < count and a != b for a, b, *_ in merged["edges"])

    def indices(items: list[Any]) -> list[int]:
        found: list[int] = []
        for item in items:
            found += indices(item["items"]) if isinstance(item, dict) else [item]
        return found

    assert sorted(indices(merged["tree"])) == list(range(count))
    page = render(net, "html", "layer", merge=True).decode()
    assert "conv 3×3, 64 · bn · relu" in page
    assert "conv 3×3, 64 · bn · relu" not in render(net, "html", "layer").decode()


def test_the_python_diagram_takes_merge() -> None:
    merged = resgen.diagram(SPECS / "resnet18.yaml", merge=True).dot
    assert "conv 3×3, 64 · bn · relu" in merged
    assert " · bn" not in resgen.diagram(SPECS / "resnet18.yaml").dot


# ------------------------------------------------------------------ side by side, CLI


def test_side_by_side_honours_theme_direction_and_merge() -> None:
    nets = [network("resnet18.yaml"), network("resnet34.yaml")]
    plain = side_by_side(nets, level="layer")
    dark = side_by_side(nets, level="layer", direction="LR", theme_name="dark", merge=True)
    graph = dark.splitlines()[1]
    assert 'rankdir="LR"' in graph and f'bgcolor="{THEMES["dark"].background}"' in graph
    assert 'rankdir="TB"' in plain.splitlines()[1]
    assert THEMES["dark"].background not in plain
    assert "conv 3×3, 64 · bn · relu" in dark and " · bn" not in plain
    # the resolution anchors find the merged nodes: as many aligned ranks as before
    def anchors(dot: str) -> list[str]:
        helpers = ("header:", "tap:")
        lines = [line for line in dot.splitlines() if "rank=same" in line]
        return [line for line in lines if not any(helper in line for helper in helpers)]

    assert len(anchors(dark)) == len(anchors(plain)) > 3
    with pytest.raises(ValueError, match="theme"):
        side_by_side(nets, theme_name="pink")


def test_render_cli_side_by_side_passes_theme_direction_and_merge() -> None:
    specs = [str(SPECS / "resnet18.yaml"), str(SPECS / "resnet34.yaml")]
    args = ["render", *specs, "--side-by-side", "-f", "dot", "-o", "-"]
    result = runner.invoke(app, [*args, "--theme", "dark", "--direction", "lr", "--merge"])
    assert result.exit_code == 0, result.output
    assert 'rankdir="LR"' in result.stdout
    assert THEMES["dark"].background in result.stdout
    assert "conv 3×3, 64 · bn · relu" in result.stdout
    bad = runner.invoke(app, [*args, "--theme", "pink"])
    assert bad.exit_code == 1 and "theme" in bad.output


def test_render_cli_merge() -> None:
    spec = str(SPECS / "resnet18.yaml")
    result = runner.invoke(app, ["render", spec, "-f", "dot", "-o", "-", "--merge"])
    assert result.exit_code == 0, result.output
    assert "conv 3×3, 64 · bn · relu" in result.stdout and 'group="main"' in result.stdout
    plain = runner.invoke(app, ["render", spec, "-f", "dot", "-o", "-"])
    assert " · bn" not in plain.stdout


def test_build_diagram_passes_theme_direction_and_merge(tmp_path: Path) -> None:
    spec = str(SPECS / "resnet18.yaml")
    drawing = ["--theme", "dark", "--direction", "LR", "--merge"]
    result = runner.invoke(app, ["build", spec, "-o", str(tmp_path), "--diagram", "dot", *drawing])
    assert result.exit_code == 0, result.output
    dot = (tmp_path / "resnet18.dot").read_text(encoding="utf-8")
    assert 'rankdir="LR"' in dot and THEMES["dark"].background in dot
    assert "conv 3×3, 64 · bn · relu" in dot
    plain = tmp_path / "plain"
    result = runner.invoke(app, ["build", spec, "-o", str(plain), "--diagram", "dot"])
    assert result.exit_code == 0, result.output
    text = (plain / "resnet18.dot").read_text(encoding="utf-8")
    assert 'rankdir="TB"' in text and THEMES["dark"].background not in text
    assert " · bn" not in text
    for bad in (["--theme", "pink"], ["--direction", "BT"]):
        out = tmp_path / "bad"
        failed = runner.invoke(app, ["build", spec, "-o", str(out), "--diagram", "dot", *bad])
        assert failed.exit_code == 2, failed.output
        assert not out.exists()


def test_build_options_reach_the_diagrams() -> None:
    options = resgen.BuildOptions(diagrams=("dot",), direction="LR", theme="dark", merge=True)
    built = resgen.build(SPECS / "resnet18.yaml", options)
    dot = built.diagrams["resnet18.dot"].decode()
    assert 'rankdir="LR"' in dot and THEMES["dark"].background in dot and " · bn" in dot
