"""The emitted code reads like the reference implementations (issue 12, point 5)."""

from __future__ import annotations

import ast
import json
import re
import tokenize
from io import StringIO
from itertools import pairwise

import pytest
import torch

import resgen
from tests.conftest import SPECS

SMALL = """\
resgen: 1
name: small
input: [3, 32, 32]
{extra}
stem: [conv: {{out: 16}}, bn, act]
defaults: {{block: basic{defaults}}}
stages:
  - {{blocks: 2, width: 16}}
  - {{blocks: 2, width: 32, stride: 2}}
head: [avgpool, flatten, {{linear: {{name: fc, out: 10}}}}]
"""


def small(extra: str = "", defaults: str = "") -> str:
    return SMALL.format(extra=extra, defaults=defaults)


def network_class(source: str) -> ast.ClassDef:
    classes = [n for n in ast.parse(source).body if isinstance(n, ast.ClassDef)]
    return classes[-1]


def test_the_description_opens_the_class_docstring() -> None:
    source = resgen.generate_code(SPECS / "resnet50.yaml")
    doc = ast.get_docstring(network_class(source)) or ""
    first, rest = doc.split("\n\n")
    assert first == ("ResNet-50 for ImageNet, state-dict-identical to torchvision.models.resnet50.")
    assert rest == "The 'resnet50' network (25,557,032 parameters, input 3×224×224)."


def test_without_a_description_the_class_docstring_is_the_numbers() -> None:
    doc = ast.get_docstring(network_class(resgen.generate_code(small())))
    assert doc is not None and doc.startswith("The 'small' network (") and "\n" not in doc


def test_a_hostile_description_stays_text() -> None:
    payload = 'x"""\\n__import__("os").system("pwned")  # \\\\ \' """ ' + " ".join(["word"] * 40)
    source = resgen.generate_code(small(f"description: {json.dumps(payload)}"))
    for token in tokenize.generate_tokens(StringIO(source).readline):
        if token.type != tokenize.STRING:
            assert "pwned" not in token.string, token
    doc = ast.get_docstring(network_class(source), clean=False) or ""
    description, summary = doc.split("\n\n")
    assert "pwned" in description and description.endswith("word")
    assert summary.startswith("The 'small' network (")


def init_loop(source: str) -> str:
    start = source.index("        for module in self.modules():")
    return source[start : source.index("\n\n", start)]


@pytest.mark.parametrize(
    ("activation", "expected"),
    [
        ("relu", 'mode="fan_out", nonlinearity="relu"'),
        ("leaky_relu", 'a=0.01, mode="fan_out", nonlinearity="leaky_relu"'),
        ("tanh", 'mode="fan_out", nonlinearity="tanh"'),
        ("silu", 'mode="fan_out", nonlinearity="relu"'),
    ],
)
def test_nonlinearity_follows_the_activation(activation: str, expected: str) -> None:
    loop = init_loop(resgen.generate_code(small(defaults=f", activation: {activation}")))
    assert " ".join(loop.split()).count(expected) == 1, loop
    assert ("# calculate_gain has none for silu: ReLU's" in loop) == (activation == "silu")


def test_densenet_initialises_as_torchvision() -> None:
    loop = init_loop(resgen.generate_code(SPECS / "densenet121.yaml"))
    assert loop.split("\n")[1:] == [
        "            if isinstance(module, nn.Conv2d):",
        '                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")',
        "            elif isinstance(module, nn.Linear):",
        "                nn.init.zeros_(module.bias)",
    ]


@pytest.mark.parametrize(
    ("init", "call"),
    [
        (
            "{conv: xavier_uniform}",
            'nn.init.xavier_uniform_(module.weight, gain=nn.init.calculate_gain("relu"))',
        ),
        (
            "{conv: kaiming_normal_fan_in}",
            'nn.init.kaiming_normal_(module.weight, nonlinearity="relu")',
        ),
    ],
)
def test_the_spec_chooses_the_init(init: str, call: str) -> None:
    loop = init_loop(resgen.generate_code(small(f"init: {init}")))
    assert call in " ".join(loop.split()).replace("( ", "(").replace(" )", ")")


def test_init_default_leaves_pytorch_s_own() -> None:
    source = resgen.generate_code(small("init: {conv: default}"))
    assert "self.modules()" not in source and "nn.init" not in source


def test_init_runs_as_written() -> None:
    torch.manual_seed(0)
    model = resgen.build_model(small("init: {conv: kaiming_normal_fan_in, linear_bias: zeros}"))
    fan_in = 16 * 3 * 3
    conv = model.layer1[0].conv1.weight
    assert abs(conv.std().item() - (2 / fan_in) ** 0.5) < 0.1 * (2 / fan_in) ** 0.5
    assert torch.count_nonzero(model.fc.bias) == 0


def test_a_spec_without_init_hashes_as_before() -> None:
    from resgen.spec.load import spec_hash

    assert spec_hash(resgen.load_spec(SPECS / "resnet50.yaml")) == "205919f81705"


def test_zero_biases_skip_linears_without_one() -> None:
    spec = small("init: {linear_bias: zeros}").replace(
        "{linear: {name: fc, out: 10}}",
        "{linear: {out: 8, bias: false}}, {linear: {name: fc, out: 10}}",
    )
    assert "elif isinstance(module, nn.Linear) and module.bias is not None:" in (
        resgen.generate_code(spec)
    )
    assert torch.count_nonzero(resgen.build_model(spec).fc.bias) == 0


def _stage_items(source: str) -> dict[str, list[str]]:
    """Each `self.layerN = nn.Sequential(...)` stage's items, as source."""
    stages = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            target, call = ast.unparse(node.targets[0]), node.value
            if target.startswith("self.layer") and ast.unparse(call.func) == "nn.Sequential":
                stages[target] = [ast.unparse(arg) for arg in call.args]
    return stages


def test_every_stage_is_written_the_same_way() -> None:
    stages = _stage_items(resgen.generate_code(SPECS / "resnet50.yaml"))
    assert stages["self.layer1"] == [
        "Bottleneck(64, 64, downsample=projection(64, 256))",
        "*[Bottleneck(256, 64) for _ in range(2)]",
    ]
    assert stages["self.layer2"][1] == "*[Bottleneck(512, 128) for _ in range(3)]"
    assert len({len(items) for items in stages.values()}) == 1  # first block, then the rest


def test_no_stage_lists_the_same_block_twice_in_a_row() -> None:
    for name in ("resnet18", "resnet50", "cifar10/resnet56_a", "cifar10/wrn_28_10"):
        for stage, items in _stage_items(resgen.generate_code(SPECS / f"{name}.yaml")).items():
            assert all(a != b for a, b in pairwise(items)), (name, stage)


def _class(source: str, name: str) -> ast.ClassDef:
    return next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == name)


def test_the_bottleneck_names_its_expansion() -> None:
    source = resgen.generate_code(SPECS / "resnet50.yaml")
    bottleneck = _class(source, "Bottleneck")
    assert ast.unparse(bottleneck.body[1]) == "expansion = 4"
    calls = {
        ast.unparse(node.targets[0]): ast.unparse(node.value)
        for node in ast.walk(bottleneck)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
    }
    assert (
        calls["self.conv3"] == "nn.Conv2d(width, width * self.expansion, kernel_size=1, bias=False)"
    )
    assert calls["self.bn3"] == "nn.BatchNorm2d(width * self.expansion)"
    assert "4" not in calls["self.conv3"] + calls["self.bn3"]
    model = resgen.build_model(SPECS / "resnet50.yaml")
    assert type(model.layer1[0]).expansion == 4


def test_an_unused_expansion_is_not_written() -> None:
    source = resgen.generate_code(SPECS / "resnet18.yaml")
    assert "expansion" not in source


EXPANDED = """\
name: tiny
input: [3, 8, 8]
blocks:
  mine:
    class: MyBlock
    params: {{expansion: 2}}
    main: [{{conv: {{out: 'width * expansion', stride: stride}}}}, {{bn: {{name: {bn}}}}}]
    out: 'width * expansion'
defaults: {{block: mine, shortcut: B}}
stages: [{{blocks: 1, width: 4}}, {{blocks: 1, width: 8, stride: 2}}]
"""


@pytest.mark.parametrize("bn", ["bn", "expansion"])
def test_a_layer_named_expansion_keeps_the_name(bn: str) -> None:
    spec = EXPANDED.format(bn=bn)
    source = resgen.generate_code(spec)
    assert ("expansion = 2" in source) == (bn == "bn")
    assert ("width * self.expansion" in source) == (bn == "bn")
    model = resgen.build_model(spec)
    assert sum(p.numel() for p in model.parameters()) == resgen.build_graph(spec).graph["params"]


def test_drop_path_rates_come_from_a_named_rule() -> None:
    spec = SPECS / "cifar10" / "resnet110_stochastic_depth.yaml"
    source = resgen.generate_code(spec)
    rule = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef))
    assert rule.name == "drop_path_rate"
    assert ast.unparse(rule.body[-1]) == "return round(0.5 * depth / 54, 6)"
    stages = _stage_items(source)
    assert stages["self.layer1"] == [
        "*[BasicBlock(16, 16, drop_path_rate(n)) for n in range(1, 19)]"
    ]
    assert (
        stages["self.layer3"][1]
        == "*[BasicBlock(64, 64, drop_path_rate(n)) for n in range(38, 55)]"
    )
    model = resgen.build_model(spec)
    network = resgen.build_graph(spec).graph["network"]
    rates = [block.env["drop_path"] for stage in network.stages for block in stage.blocks]
    emitted = [
        block.drop_path.p
        for name in ("layer1", "layer2", "layer3")
        for block in getattr(model, name)
    ]
    assert emitted == rates and len(set(rates)) == 54


def _calls_of(tree: ast.AST, name: str) -> list[str]:
    return [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == name
    ]


def _loops(tree: ast.AST) -> list[tuple[str, str]]:
    """Each comprehension's key (`f'...'`, or '' for a list) and its `range(...)`."""
    return [
        (
            ast.unparse(node.key) if isinstance(node, ast.DictComp) else "",
            ast.unparse(node.generators[0].iter),
        )
        for node in ast.walk(tree)
        if isinstance(node, ast.DictComp | ast.ListComp)
    ]


def test_dense_blocks_are_loops_over_the_growth_rate() -> None:
    source = resgen.generate_code(SPECS / "densenet121.yaml")
    tree = ast.parse(source)
    init = next(n for n in network_class(source).body if isinstance(n, ast.FunctionDef))
    assert [ast.unparse(s) for s in init.body[1:3]] == ["growth_rate = 32", "bn_size = 4"]
    assert _calls_of(tree, "DenseLayer") == [
        f"DenseLayer({channels} + i * growth_rate, growth_rate, bn_size)"
        for channels in (64, 128, 256, 512)
    ]
    assert _loops(tree) == [
        ("f'denselayer{i + 1}'", f"range({count})") for count in (6, 12, 24, 16)
    ]
    layer = _class(source, "DenseLayer")
    signature = next(n for n in layer.body if isinstance(n, ast.FunctionDef)).args
    assert [a.arg for a in signature.args] == ["self", "in_channels", "growth_rate", "bn_size"]
    assert "nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3" in " ".join(
        ast.unparse(layer).split()
    )
    assert re.search(r"DenseLayer\(\d", source) is None  # no precomputed channels


@pytest.mark.parametrize("name", ["densenet121", "densenet169"])
def test_the_dense_loops_build_the_reference_layout(name: str, references: dict) -> None:
    source = resgen.generate_code(SPECS / f"{name}.yaml")
    model = resgen.build_model(SPECS / f"{name}.yaml")
    layout = [[key, list(value.shape)] for key, value in model.state_dict().items()]
    assert layout == references[name]["state_dict"]
    assert sum(p.numel() for p in model.parameters()) == references[name]["parameters"]
    # the layer's docstring names its parameters, which the file has
    doc = ast.get_docstring(_class(source, "DenseLayer")) or ""
    assert {"growth_rate", "bn_size"} <= set(re.findall(r"\b[a-z]+_[a-z_]+\b", doc))


DENSE = """\
resgen: 1
name: small_dense
input: [3, 16, 16]
features: features
stem: [conv: {{name: conv0, out: 10}}]
blocks:
  twice:
    class: TwiceLayer
    params: {{k: 3}}
    main: [bn, act, conv: {{out: 2 * k, kernel: 3}}]
    out: 2 * k + in_channels
    shortcut: identity
    join: concat
defaults: {{block: {block}, args: {args}}}
stages:
  - {{name: block1, blocks: 3, block_names: 'unit{{i}}', after: [conv: {{name: squeeze, out: 8}}]}}
  - {{name: block2, blocks: 4}}
head: [avgpool, flatten, {{linear: {{out: 5}}}}]
"""


@pytest.mark.parametrize(
    ("block", "args", "names", "step"),
    [
        (
            "dense",
            "{growth_rate: 12, bn_size: 2}",
            ["growth_rate = 12", "bn_size = 2"],
            "growth_rate",
        ),
        ("twice", "{k: 5}", ["k = 5"], "(2 * k)"),
    ],
)
def test_any_growing_block_is_a_loop(block: str, args: str, names: list[str], step: str) -> None:
    spec = DENSE.format(block=block, args=args)
    source = resgen.generate_code(spec)
    tree = ast.parse(source)
    init = next(n for n in network_class(source).body if isinstance(n, ast.FunctionDef))
    assert [ast.unparse(s) for s in init.body[1 : 1 + len(names)]] == names
    assert _loops(tree) == [("f'unit{i}'", "range(3)"), ("", "range(4)")]
    cls = "DenseLayer" if block == "dense" else "TwiceLayer"
    assert [c.split(",")[0] for c in _calls_of(tree, cls)] == [
        f"{cls}(10 + i * {step}",
        f"{cls}(8 + i * {step}",
    ]
    graph = resgen.build_graph(spec).graph
    model = resgen.build_model(spec)
    assert sum(p.numel() for p in model.parameters()) == graph["params"]
    paths = {b.path for stage in graph["network"].stages for b in stage.blocks}
    assert {n for n, m in model.named_modules() if type(m).__name__ == cls} == paths
    assert "features.block1.unit2" in paths and "features.block2.3" in paths
    assert model(torch.randn(2, 3, 16, 16)).shape == (2, 5)


WIDER = """\
blocks:
  wider: {base: dense, class: WiderLayer, params: {growth_rate: 6}}
"""


def test_growth_rates_that_differ_stay_literals() -> None:
    """Two classes cannot both name their different growth rates `growth_rate`: the
    network folds them, as before."""
    spec = (
        DENSE.format(block="dense", args="{}")
        .replace("blocks:\n", WIDER)
        .replace("{name: block2, blocks: 4}", "{name: block2, blocks: 4, block: wider}")
    )
    source = resgen.generate_code(spec)
    assert "growth_rate =" not in source and " for i in " not in source
    assert "DenseLayer(10)" in source and "WiderLayer(8)" in source
    model = resgen.build_model(spec)
    assert sum(p.numel() for p in model.parameters()) == resgen.build_graph(spec).graph["params"]
