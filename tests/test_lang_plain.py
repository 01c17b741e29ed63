"""Language reach: networks without stages, adaptive pooling, nested containers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from torch import nn

import resgen
from resgen.errors import SpecError

NESTED = """
name: nested
input: [3, 32, 32]
stem:
  - sequential: {name: conv1, layers: [{sequential: {layers: [{conv: {out: 16}}, bn]}}, relu]}
blocks:
  inv:
    out: width
    main:
      - sequential:
          name: conv
          layers:
            - sequential: {layers: [{conv: {out: width, kernel: 1}}, bn, relu]}
            - conv: {out: width, stride: stride}
            - bn
defaults: {block: inv}
stages:
  - {blocks: 2, width: 16}
  - {blocks: 2, width: 32, stride: 2}
head: [avgpool, flatten, {linear: {out: 10}}]
"""

PLAIN = """
name: tiny_plain
input: [3, 32, 32]
stem:
  - sequential:
      name: features
      layers: [{conv: {out: 8, bias: true}}, relu, {maxpool: {kernel: 2}}]
head:
  - avgpool: {output: [3, 2]}
  - flatten
  - sequential:
      name: classifier
      layers: [{linear: {out: 12}}, relu, dropout, {linear: {out: 10}}]
"""


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_nested_containers_build_and_are_named_like_torchvision(tmp_path: Path) -> None:
    spec = write(tmp_path, NESTED)
    model = resgen.build_model(spec)
    names = list(model.state_dict())
    assert "conv1.0.0.weight" in names and "conv1.0.1.running_var" in names
    assert "layer1.0.conv.0.0.weight" in names
    assert "layer1.0.conv.0.1.weight" in names
    assert "layer2.0.conv.1.weight" in names and "layer2.0.conv.2.bias" in names
    net = resgen.checked_network(spec)
    assert sum(p.numel() for p in model.parameters()) == net.params
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_an_unnamed_sequential_outside_a_container_is_located(tmp_path: Path) -> None:
    spec = write(tmp_path, NESTED.replace("          name: conv\n", ""))
    with pytest.raises(
        SpecError, match=r"spec.yaml:\d+:\d+: .*main\[0\].sequential: .*needs a name"
    ):
        resgen.checked_network(spec)


def test_a_network_without_stages(tmp_path: Path) -> None:
    spec = write(tmp_path, PLAIN)
    code = resgen.generate_code(spec)
    assert "self.avgpool = nn.AdaptiveAvgPool2d((3, 2))" in code
    assert "nn.Linear(12, num_classes)" in code
    assert "x = torch.flatten(x, 1)" in code
    model = resgen.build_model(spec)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    net = resgen.checked_network(spec)
    assert net.params == sum(p.numel() for p in model.parameters())
    assert [n.shape for n in net.nodes.values() if n.op == "avgpool"] == [(8, 3, 2)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("output: [3, 2]", "output: [3, 2, 1]"),
        ("output: [3, 2]", "output: 0"),
        ("output: [3, 2]", "output: 3, kernel: 2"),
    ],
)
def test_adaptive_pool_mistakes_are_located(tmp_path: Path, change: str, message: str) -> None:
    spec = write(tmp_path, PLAIN.replace(change, message))
    with pytest.raises(SpecError, match=r"spec.yaml:\d+:\d+: head\[0\]\.avgpool"):
        resgen.checked_network(spec)


def test_defaults_a_network_without_stages_does_not_read(tmp_path: Path) -> None:
    spec = write(tmp_path, PLAIN + "defaults: {block: basic}\n")
    with pytest.raises(SpecError, match=r"defaults.block: the network has no stages"):
        resgen.checked_network(spec)
    ok = write(tmp_path, PLAIN + "defaults: {activation: silu}\n", "ok.yaml")
    resgen.checked_network(ok)


def test_vgg19_is_torchvision_s_layout() -> None:
    spec = Path(__file__).parents[1] / "specs" / "vgg19.yaml"
    net = resgen.checked_network(spec)
    assert net.params == 143_667_240
    code = resgen.generate_code(spec)
    for line in (
        "self.features = nn.Sequential(",
        "self.avgpool = nn.AdaptiveAvgPool2d((7, 7))",
        "self.classifier = nn.Sequential(",
        "nn.Linear(25088, 4096),",
        "x = torch.flatten(x, 1)",
    ):
        assert line in code


@pytest.mark.parametrize(("op", "module"), [("relu6", nn.ReLU6), ("hardsigmoid", nn.Hardsigmoid)])
def test_new_activations(tmp_path: Path, op: str, module: type) -> None:
    spec = write(tmp_path, PLAIN + f"defaults: {{activation: {op}}}\n")
    spec.write_text(spec.read_text().replace("bias: true}}, relu,", "bias: true}}, act,"))
    model = resgen.build_model(spec)
    assert any(type(m) is module for m in model.modules())
    x = torch.randn(2, 3, 32, 32) * 10
    assert model(x).shape == (2, 10)


MOBILENET = Path(__file__).parents[1] / "specs" / "mobilenet_v2.yaml"


def test_mobilenet_v2_blocks_sit_in_features() -> None:
    net = resgen.checked_network(MOBILENET)
    assert net.params == 3_504_872
    model = resgen.build_model(MOBILENET)
    names = list(model.state_dict())
    assert names[:2] == ["features.0.0.weight", "features.0.1.weight"]
    assert "features.1.conv.0.0.weight" in names and "features.1.conv.1.weight" in names
    assert "features.2.conv.1.0.weight" in names and "features.2.conv.3.bias" in names
    assert "features.17.conv.3.running_var" in names and "features.18.0.weight" in names
    assert names[-2:] == ["classifier.1.weight", "classifier.1.bias"]
    blocks = list(net.blocks())
    assert [b.path for b in blocks] == [f"features.{i}" for i in range(1, 18)]
    residual = [b.path for b in blocks if b.join == "add"]
    assert residual == [f"features.{i}" for i in (3, 5, 6, 8, 9, 10, 12, 13, 15, 16)]


@pytest.mark.parametrize(
    ("edit", "where", "message"),
    [
        (("features: features\n", ""), "stages[0].inline", "the network has none"),
        (
            ("shortcut: none, inline: true}", "shortcut: none, inline: true, block_names: 'b{n}'}"),
            "stages[0].block_names",
            "take no names",
        ),
        (
            (
                "  - sequential: {layers: [{conv: {out: 32",
                "  - sequential: {name: s, layers: [{conv: {out: 32",
            ),
            "stem[0].sequential.name",
            "take no names",
        ),
    ],
)
def test_inline_mistakes_are_located(
    tmp_path: Path, edit: tuple[str, str], where: str, message: str
) -> None:
    text = MOBILENET.read_text()
    assert edit[0] in text
    spec = write(tmp_path, text.replace(edit[0], edit[1], 1))
    with pytest.raises(SpecError, match=rf"spec.yaml:\d+:\d+: {re.escape(where)}: .*{message}"):
        resgen.checked_network(spec)


class _AkamasterBlock(nn.Module):
    """pytorch_resnet_cifar10's BasicBlock with option A (its LambdaLayer has no weights)."""

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pad = stride != 1 or in_planes != planes
        self.planes = planes

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        if not self.pad:
            return x
        q = self.planes // 4
        return nn.functional.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, q, q), "constant", 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class _AkamasterResNet(nn.Module):
    def __init__(self, n: int = 3, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        planes, layers = 16, []
        for width, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = []
            for s in [stride] + [1] * (n - 1):
                blocks.append(_AkamasterBlock(planes, width, s))
                planes = width
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.linear = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = nn.functional.avg_pool2d(out, out.size()[3])
        return self.linear(out.view(out.size(0), -1))


def test_zero_pad_split_loads_pytorch_resnet_cifar10_weights() -> None:
    from tests.reference_outputs import fill

    spec = Path(__file__).parents[1] / "specs" / "cifar10" / "resnet20_a_split.yaml"
    assert "ZeroPadShortcut(stride=2, extra_channels=16, before=8)" in resgen.generate_code(spec)
    reference = fill(_AkamasterResNet()).eval()
    model = resgen.build_model(spec).eval()
    state = reference.state_dict()
    assert [(k, v.shape) for k, v in model.state_dict().items()] == [
        (k, v.shape) for k, v in state.items()
    ]
    model.load_state_dict(state, strict=True)
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x), rtol=1e-5, atol=1e-5)
        end = resgen.build_model(Path(__file__).parents[1] / "specs/cifar10/resnet20_a.yaml")
        state = {k.replace("linear.", "fc."): v for k, v in state.items()}
        end.load_state_dict(state)
        assert not torch.allclose(end.eval()(x), reference(x), atol=1e-3)  # the placement matters


def test_zero_pad_where_no_shortcut_a_is_located(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "specs/cifar10/resnet20_a_split.yaml").read_text()
    spec = write(tmp_path, text.replace("shortcut: A,", "shortcut: B,"))
    with pytest.raises(SpecError, match=r"spec.yaml:\d+:\d+: defaults.zero_pad: .*no stage uses"):
        resgen.checked_network(spec)


def test_drop_path_rule_timm(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "specs/cifar10/resnet110_stochastic_depth.yaml").read_text()
    spec = write(tmp_path, text.replace("drop_path: 0.5", "drop_path: 0.5, drop_path_rule: timm"))
    rates = [b.env["drop_path"] for b in resgen.checked_network(spec).blocks()]
    assert rates[0] == 0 and rates[-1] == 0.5 and rates[1] == round(0.5 / 53, 6)
    code = resgen.generate_code(spec)
    assert "return round(0.5 * (depth - 1) / 53, 6)" in code
    namespace: dict = {}
    exec(compile(code, "emitted", "exec"), namespace)
    assert [namespace["drop_path_rate"](n) for n in range(1, 55)] == rates
    bad = write(tmp_path, text.replace("drop_path: 0.5", "drop_path_rule: timm"), "bad.yaml")
    with pytest.raises(SpecError, match=r"defaults.drop_path_rule: .*drop_path is not set"):
        resgen.checked_network(bad)
