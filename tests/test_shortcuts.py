"""Shortcut options A, B, C, D and none, at module level."""

from __future__ import annotations

import pytest
import torch

import resgen


def spec(shortcut: str, widths: tuple[int, int] = (16, 40), block: str = "basic") -> str:
    return (
        f"name: s\ninput: [3, 15, 15]\nstem: [{{conv: {{out: {widths[0]}}}}}, bn, relu]\n"
        f"defaults: {{block: {block}, shortcut: {shortcut}}}\n"
        f"stages: [{{blocks: 2, width: {widths[0]}}},"
        f" {{blocks: 2, width: {widths[1]}, stride: 2}}]\n"
    )


def test_option_a_pads_any_channel_increase_with_zeros() -> None:
    model = resgen.build_model(spec("A")).eval()  # 16 -> 40 channels: not a doubling
    x = torch.randn(2, 16, 15, 15)  # odd size: subsampling keeps ceil(15 / 2) = 8
    shortcut = model.layer2[0].downsample(x)
    assert shortcut.shape == (2, 40, 8, 8)
    torch.testing.assert_close(shortcut[:, :16], x[:, :, ::2, ::2])
    assert torch.count_nonzero(shortcut[:, 16:]) == 0
    assert sum(p.numel() for p in model.layer2[0].downsample.parameters()) == 0
    assert model.layer2[1].downsample is None  # same shape: identity


def test_option_b_projects_only_where_the_shape_changes() -> None:
    graph = resgen.build_graph(spec("B"))
    projections = sorted(n for n in graph if n.endswith("downsample.0"))
    assert projections == ["layer2.0.downsample.0"]
    args = graph.nodes["layer2.0.downsample.0"]["args"]
    assert (args["in"], args["out"], args["kernel"], args["stride"]) == (16, 40, 1, 2)


def test_option_c_projects_every_block() -> None:
    b, c = resgen.build_graph(spec("B")), resgen.build_graph(spec("C"))
    projections = sorted(n for n in c if n.endswith("downsample.0"))
    assert len(projections) == 4
    # three more 1x1 projections with BN: 16->16 twice, 40->40 once
    extra = (16 * 16 + 2 * 16) * 2 + (40 * 40 + 2 * 40)
    assert c.graph["params"] - b.graph["params"] == extra


def test_option_d_average_pools_before_the_projection() -> None:
    graph = resgen.build_graph(spec("D"))
    assert graph.nodes["layer2.0.downsample.0"]["op"] == "avgpool"
    assert graph.nodes["layer2.0.downsample.1"]["args"]["stride"] == 1
    assert graph.nodes["layer2.0.downsample.2"]["op"] == "bn"
    model = resgen.build_model(spec("D")).eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 15, 15)).shape == (1, 40, 8, 8)


@pytest.mark.parametrize("option", ["A", "B", "C", "D"])
def test_every_option_gives_the_same_shapes(option: str) -> None:
    model = resgen.build_model(spec(option)).eval()
    graph = resgen.build_graph(spec(option))
    with torch.no_grad():
        out = model(torch.randn(2, 3, 15, 15))
    assert tuple(out.shape[1:]) == graph.graph["network"].output == (40, 8, 8)
    assert sum(p.numel() for p in model.parameters()) == graph.graph["params"]


def test_plain_blocks_have_no_join() -> None:
    graph = resgen.build_graph(spec("none"))
    assert not [n for n, d in graph.nodes(data=True) if d["op"] in {"add", "zeropad"}]
    source = resgen.generate_code(spec("none"))
    assert "identity" not in source and "downsample" not in source
