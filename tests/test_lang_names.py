"""Names as torchvision and timm write them (docs/spec.md): a trunk, a stage's block
container, block names that are not identifiers, the shortcut's names and place, SE
with its squeeze width given, a convolutional classifier."""

from __future__ import annotations

import torch

import resgen
from tests.conftest import SPECS


def keys(spec: str) -> list[str]:
    return list(resgen.build_model(SPECS / spec).state_dict())


def test_regnet_names_are_torchvision_s() -> None:
    names = keys("regnet_y_400mf.yaml")
    block = [k for k in names if k.startswith("trunk_output.block1.block1-0.")]
    assert block[:2] == [
        "trunk_output.block1.block1-0.proj.0.weight",  # the shortcut first
        "trunk_output.block1.block1-0.proj.1.weight",
    ]
    for key in ("f.a.0.weight", "f.b.1.running_var", "f.se.fc1.weight", "f.se.fc2.bias"):
        assert f"trunk_output.block1.block1-0.{key}" in names
    assert names[:2] == ["stem.0.weight", "stem.1.weight"] and names[-2:] == [
        "fc.weight",
        "fc.bias",
    ]


def test_string_keys_are_written_as_an_ordered_dict() -> None:
    source = resgen.generate_code(SPECS / "regnet_x_400mf.yaml")
    assert "from collections import OrderedDict" in source
    assert '"block4-11": ResBottleneckBlock(400, 400),' in source
    assert "self.proj = downsample" in source


def test_resnetv2_names_are_timm_s() -> None:
    model = resgen.build_model(SPECS / "resnetv2_50.yaml")
    state = model.state_dict()
    names = list(state)
    assert names[0] == "stem.conv.weight"
    assert names[1] == "stages.0.blocks.0.downsample.conv.weight"
    assert names[2] == "stages.0.blocks.0.norm1.weight"
    assert "stages.3.blocks.2.conv3.weight" in names
    assert state["head.fc.weight"].shape == (1000, 2048, 1, 1)
    norm = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    assert names[-7:-2] == [f"norm.{k}" for k in norm]
    with torch.no_grad():
        assert model.eval()(torch.zeros(1, 3, 64, 64)).shape == (1, 1000)


def test_squeeze_width_follows_the_block_input() -> None:
    net = resgen.checked_network(SPECS / "regnet_y_400mf.yaml")
    se = {n.id: n.args["squeeze"] for n in net.nodes.values() if n.op == "se"}
    assert se["trunk_output.block2.block2-0.f.se"] == 12  # round(48 / 4)
    assert se["trunk_output.block2.block2-1.f.se"] == 26  # round(104 / 4)


SMALL = """
resgen: 1
name: small
input: [3, 32, 32]
stem: [{conv: {out: 16}}, bn, relu]
trunk: body
defaults: {block: basic, shortcut: B}
stages:
  - {blocks: 2, width: 16, block_names: "b{s}-{i}"}
  - {blocks: 2, width: 32, stride: 2, blocks_in: blocks, block_names: "x{i}",
     after: [{bn: {name: norm}}]}
head: [avgpool, flatten, {linear: {out: 10}}]
"""


def test_numbered_trunk_holds_named_stage_modules() -> None:
    names = list(resgen.build_model(SMALL).state_dict())
    assert "body.0.b1-0.conv1.weight" in names
    assert "body.1.blocks.x0.downsample.0.weight" in names
    assert "body.1.norm.weight" in names
    graph = resgen.build_graph(SMALL)
    assert graph.graph["params"] == sum(p.numel() for p in resgen.build_model(SMALL).parameters())
