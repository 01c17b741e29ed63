"""The zoo's parameter and MAC counts equal the published figures (REFERENCE.md)."""

from __future__ import annotations

import pytest

import resgen
from tests.conftest import SPECS

IMAGENET = {
    # name: (parameters, GMACs with the stride on the 3x3 "v1.5", GMACs "v1")
    "resnet18": (11_689_512, 1.814, None),
    "resnet34": (21_797_672, 3.664, None),
    "resnet50": (25_557_032, 4.089, 3.858),
    "resnet101": (44_549_160, 7.801, 7.570),
    "resnet152": (60_192_808, 11.514, 11.282),
}

CIFAR = {
    # depth: (n, option A, option B)
    20: (3, 269_722, 272_474),
    32: (5, 464_154, 466_906),
    44: (7, 658_586, 661_338),
    56: (9, 853_018, 855_770),
    110: (18, 1_727_962, 1_730_714),
    1202: (200, 19_421_274, 19_424_026),
}


@pytest.mark.parametrize("name", IMAGENET)
def test_imagenet_params_and_macs(name: str, references: dict) -> None:
    params, gmacs, _ = IMAGENET[name]
    graph = resgen.build_graph(SPECS / f"{name}.yaml")
    assert graph.graph["params"] == params
    assert round(graph.graph["macs"] / 1e9, 3) == gmacs
    # exact, against the MACs measured on torchvision's module with hooks
    assert graph.graph["macs"] == references[name]["macs"]
    assert graph.graph["params"] == references[name]["parameters"]


@pytest.mark.parametrize("name", ["resnet50", "resnet101", "resnet152"])
def test_v1_stride_placement_moves_macs_not_params(name: str) -> None:
    params, _, gmacs_v1 = IMAGENET[name]
    spec = resgen.load_spec(SPECS / f"{name}.yaml")
    v1 = spec.model_copy(update={"defaults": spec.defaults.model_copy(update={"stride_on": "1x1"})})
    graph = resgen.build_graph(v1)
    assert graph.graph["params"] == params
    assert round(graph.graph["macs"] / 1e9, 3) == gmacs_v1
    assert graph.nodes["layer2.0.conv1"]["args"]["stride"] == 2
    assert graph.nodes["layer2.0.conv2"]["args"]["stride"] == 1


@pytest.mark.parametrize("depth", CIFAR)
def test_cifar_resnets(depth: int) -> None:
    n, option_a, option_b = CIFAR[depth]
    a = resgen.build_graph(SPECS / "cifar10" / f"resnet{depth}_a.yaml")
    b = resgen.build_graph(SPECS / "cifar10" / f"resnet{depth}_b.yaml")
    assert a.graph["params"] == option_a == 97_216 * n - 21_926
    assert b.graph["params"] == option_b
    assert a.graph["network"].output == b.graph["network"].output == (10,)


@pytest.mark.parametrize("depth", [20, 32, 44, 56])
def test_plain_nets_have_option_a_parameters(depth: int) -> None:
    plain = resgen.build_graph(SPECS / "cifar10" / f"plain{depth}.yaml")
    assert plain.graph["params"] == CIFAR[depth][1]
    assert not any(d["op"] == "add" for _, d in plain.nodes(data=True))


def test_imagenet_plain_nets_lack_only_the_projections() -> None:
    for depth, projections in ((18, 3), (34, 3)):
        plain = resgen.build_graph(SPECS / f"plain{depth}.yaml").graph["params"]
        residual = resgen.build_graph(SPECS / f"resnet{depth}.yaml")
        extra = sum(d["params"] for n, d in residual.nodes(data=True) if ".downsample." in n)
        assert residual.graph["params"] - plain == extra
        assert sum(1 for n in residual if n.endswith("downsample.0")) == projections
