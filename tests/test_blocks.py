"""The block library: counts of the family's zoo, and the behaviour of each knob."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import resgen
from resgen.analysis.counts import weighted_depth
from tests.conftest import SPECS

FAMILY = {
    # spec (relative to specs/): published parameter count
    "resnext50_32x4d": 25_028_904,
    "resnext101_32x8d": 88_791_336,
    "resnext101_64x4d": 83_455_272,
    "wide_resnet50_2": 68_883_240,
    "wide_resnet101_2": 126_886_696,
    "densenet121": 7_978_856,
    "densenet169": 14_149_480,
    "resnet50d": 25_576_264,
    "seresnet50": 28_088_024,
    "ecaresnet50d": 25_576_350,
    "skresnet18": 11_958_056,
    "cifar10/preact_resnet110": 1_730_522,
    "cifar10/preact_resnet164": 1_703_258,
    "cifar10/wrn_28_10": 36_479_194,
    "cifar10/wrn_16_8": 10_961_370,
    "cifar10/wrn_40_4": 8_949_210,
}


def small(body: str) -> str:
    """A tiny CIFAR-sized spec with the given stages and extras."""
    return "name: tiny\ninput: [3, 16, 16]\nstem: [{conv: {out: 8}}, bn, relu]\n" + body


@pytest.mark.parametrize("name", FAMILY)
def test_family_parameter_counts(name: str, references: dict) -> None:
    graph = resgen.build_graph(SPECS / f"{name}.yaml")
    assert graph.graph["params"] == FAMILY[name]
    if name in references:
        assert graph.graph["macs"] == references[name]["macs"]


@pytest.mark.parametrize(
    ("spec", "depth"),
    [
        ("cifar10/preact_resnet110.yaml", 110),
        ("cifar10/preact_resnet164.yaml", 164),
        ("cifar10/preact_resnet1001.yaml", 1001),
        ("cifar10/highway20.yaml", 20),
    ],
)
def test_depth_counts_weighted_layers(spec: str, depth: int) -> None:
    assert weighted_depth(resgen.checked_network(SPECS / spec)) == depth


def test_preactivation_projection_reads_the_preactivated_input() -> None:
    graph = resgen.build_graph(SPECS / "cifar10/preact_resnet110.yaml")
    assert list(graph.predecessors("layer2.0.downsample")) == ["layer2.0.relu"]
    # an identity shortcut takes the block input itself: the previous block's add
    assert set(graph.predecessors("layer2.1.add")) == {"layer2.1.conv2", "layer2.0.add"}
    assert "bn1" not in graph  # no BN after the stem conv
    assert graph.nodes["bn"]["stage"] == "head"  # the final BN-ReLU before pooling


def test_stochastic_depth_rates_are_linear_and_drop_path_is_identity_in_eval() -> None:
    graph = resgen.build_graph(SPECS / "cifar10/resnet110_stochastic_depth.yaml")
    rates = [d["args"]["p"] for n, d in graph.nodes(data=True) if d["op"] == "drop_path"]
    assert len(rates) == 54
    assert rates[-1] == 0.5
    assert rates == pytest.approx([0.5 * (i + 1) / 54 for i in range(54)], abs=1e-6)

    model = resgen.build_model(SPECS / "cifar10/resnet110_stochastic_depth.yaml")
    drop = model.layer3[-1].drop_path
    x = torch.randn(64, 4, 2, 2) + 3
    drop.eval()
    assert torch.equal(drop(x), x)
    drop.train()
    torch.manual_seed(0)
    y = drop(x)
    kept = (y != 0).flatten(1).all(1)
    dropped = (y == 0).flatten(1).all(1)
    assert bool((kept | dropped).all())  # whole samples are dropped, not single values
    assert 0 < int(dropped.sum()) < 64
    torch.testing.assert_close(y[kept], x[kept] / (1 - 0.5))


def test_zero_init_makes_residual_blocks_start_as_identity() -> None:
    spec = small(
        "defaults: {block: basic, shortcut: B, zero_init: true}\n"
        "stages: [{blocks: 2, width: 8}, {blocks: 2, width: 16, stride: 2}]\n"
        "head: [avgpool, flatten, {linear: {out: 10}}]\n"
    )
    model = resgen.build_model(spec).eval()
    block = model.layer1[1]
    assert torch.count_nonzero(block.bn2.weight) == 0
    assert torch.count_nonzero(block.bn1.weight) == 8
    x = torch.relu(torch.randn(2, 8, 16, 16))
    torch.testing.assert_close(block(x), x)
    assert "nn.init.zeros_(module.bn2.weight)" in resgen.generate_code(spec)


@pytest.mark.parametrize("block", ["basic", "bottleneck"])
def test_dilation_replaces_stride_output_stride_8(block: str) -> None:
    spec = resgen.load_spec(SPECS / ("resnet18.yaml" if block == "basic" else "resnet50.yaml"))
    stages = [s.model_copy(update={"dilate": i >= 2}) for i, s in enumerate(spec.stages)]
    dilated = spec.model_copy(update={"stages": stages})
    graph = resgen.build_graph(dilated)
    assert graph.nodes["layer4.0.add"]["shape"][1:] == (28, 28)  # 224 / 8
    plain = resgen.build_graph(spec)
    assert graph.graph["params"] == plain.graph["params"]
    conv = "conv2" if block == "bottleneck" else "conv1"
    assert graph.nodes[f"layer3.0.{conv}"]["args"]["dilation"] == 1  # the previous dilation
    assert graph.nodes[f"layer3.1.{conv}"]["args"]["dilation"] == 2
    assert graph.nodes[f"layer4.1.{conv}"]["args"]["dilation"] == 4
    model = resgen.build_model(dilated).eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 224, 224)).shape == (1, 1000)


def test_highway_gate_formula_and_negative_bias() -> None:
    model = resgen.build_model(SPECS / "cifar10/highway20.yaml").eval()
    block = model.layer1[1]
    assert torch.all(block.transform.bias == -1.0)
    x = torch.relu(torch.randn(2, 16, 8, 8))
    with torch.no_grad():
        branch = block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x)))))
        gate = torch.sigmoid(block.transform(x))
        expected = torch.relu(gate * branch + (1 - gate) * x)
        torch.testing.assert_close(block(x), expected)


def test_concat_join_channel_arithmetic() -> None:
    graph = resgen.build_graph(SPECS / "densenet121.yaml")
    for stage, (channels_in, layers) in {
        "denseblock1": (64, 6), "denseblock2": (128, 12),
        "denseblock3": (256, 24), "denseblock4": (512, 16),
    }.items():  # fmt: skip
        last = f"features.{stage}.denselayer{layers}.concat"
        assert graph.nodes[last]["shape"][0] == channels_in + 32 * layers
    assert graph.nodes["features.transition1.conv"]["shape"][0] == 128  # compression 0.5


def test_user_defined_block_with_base_and_own_layers() -> None:
    spec = small(
        "blocks:\n"
        "  fat_basic:\n"
        "    class: FatBlock\n"
        "    params: {kernel: 5}\n"
        "    main:\n"
        "      - conv: {out: width, kernel: kernel, stride: stride}\n"
        "      - norm\n"
        "      - act\n"
        "      - conv: {out: out_channels, kernel: kernel}\n"
        "      - norm\n"
        "    post: [act]\n"
        "  narrow_bottleneck: {base: bottleneck, params: {expansion: 2}}\n"
        "stages:\n"
        "  - {blocks: 2, width: 8, block: fat_basic, args: {kernel: 3}}\n"
        "  - {blocks: 1, width: 8, block: narrow_bottleneck, stride: 2}\n"
        "head: [avgpool, flatten, {linear: {out: 10}}]\n"
    )
    graph = resgen.build_graph(spec)
    assert graph.nodes["layer1.0.conv1"]["args"]["kernel"] == 3
    assert graph.nodes["layer2.0.conv3"]["shape"] == (16, 8, 8)
    source = resgen.generate_code(spec)
    assert "class FatBlock(nn.Module):" in source and "class Bottleneck(nn.Module):" in source
    model = resgen.build_model(spec)
    assert sum(p.numel() for p in model.parameters()) == graph.graph["params"]
    assert model(torch.zeros(2, 3, 16, 16)).shape == (2, 10)


@pytest.mark.parametrize(("norm", "activation"), [("group", "silu"), ("none", "gelu")])
def test_norm_and_activation_choice(norm: str, activation: str) -> None:
    spec = small(
        f"defaults: {{block: basic, shortcut: B, norm: {norm}, norm_groups: 4, "
        f"activation: {activation}}}\n"
        "stages: [{blocks: 1, width: 8}, {blocks: 1, width: 16, stride: 2}]\n"
    )
    model = resgen.build_model(spec)
    kinds = {type(m) for m in model.layer1.modules()}
    assert {nn.SiLU: "silu", nn.GELU: "gelu"}.keys() & kinds
    if norm == "group":
        assert nn.GroupNorm in kinds and nn.BatchNorm2d not in kinds
        assert model.layer1[0].bn1.num_groups == 4
    else:
        assert not kinds & {nn.GroupNorm, nn.BatchNorm2d}
    assert model(torch.zeros(1, 3, 16, 16)).shape == (1, 16, 8, 8)


def test_squeeze_excite_rescales_channels() -> None:
    model = resgen.build_model(SPECS / "seresnet50.yaml")
    se = model.layer1[0].se
    assert (se.fc1.in_channels, se.fc1.out_channels) == (256, 16)
    assert model.layer4[0].se.fc1.out_channels == 128
    x = torch.randn(2, 256, 4, 4)
    with torch.no_grad():
        scale = torch.sigmoid(se.fc2(torch.relu(se.fc1(x.mean((2, 3), keepdim=True)))))
        torch.testing.assert_close(se(x), x * scale)


def test_library_validates_each_type_when_first_asked_for() -> None:
    from resgen.blocks import BuiltinBlocks

    library = BuiltinBlocks()
    assert "grouped" in library and len(library) == len(list(library)) >= 10
    assert not library._resolved  # reading the file validated nothing
    grouped = library["grouped"]  # `base: bottleneck`: the base is resolved with it
    assert set(library._resolved) == {"grouped", "bottleneck"}
    assert grouped.base is None and grouped.main == library["bottleneck"].main
    for name in library:  # and every type of the library is valid
        assert library[name].main, name
    with pytest.raises(KeyError):
        library["no_such_block"]


def test_library_sections_read_as_the_whole_file() -> None:
    """Each type is parsed from its own section of library.yaml: together the sections
    hold exactly what the whole file does."""
    import yaml

    from resgen.blocks import LIBRARY_FILE, BuiltinBlocks, library_sections

    whole = yaml.safe_load(LIBRARY_FILE.read_text(encoding="utf-8"))
    sections = library_sections(LIBRARY_FILE.read_text(encoding="utf-8"))
    assert list(sections) == list(whole)
    library = BuiltinBlocks()
    assert {name: library.raw(name) for name in library} == whole
