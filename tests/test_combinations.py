"""Every block type with every shortcut option and knob builds code that agrees
with the analysis: the emitted module compiles, its parameter count equals the
analytic one, and its output has the inferred shape."""

from __future__ import annotations

import itertools

import pytest
import torch

import resgen
from resgen.errors import SpecError

BLOCKS = ["basic", "bottleneck", "grouped", "preact_basic", "preact_bottleneck", "wide", "highway"]
SHORTCUTS = ["A", "B", "C", "D"]
KNOBS = {
    "plain": "",
    "se": "se: 4",
    "zero_init": "zero_init: true",
    "group_norm": "norm: group, norm_groups: 4",
    "silu": "activation: silu",
    "no_shortcut_norm": "shortcut_norm: false",
    "drop_path": "drop_path: 0.2",
}


def spec(block: str, shortcut: str, knob: str, dilate: bool = False) -> str:
    width = "{blocks: 2, width: 8}"
    second = "{blocks: 2, width: 16, stride: 2%s}" % (", dilate: true" if dilate else "")
    args = ", args: {groups: 2, width_per_group: 16}" if block == "grouped" else ""
    extra = f", {knob}" if knob else ""
    return (
        f"name: combo\ninput: [3, 13, 13]\nstem: [{{conv: {{out: 8}}}}, bn, relu]\n"
        f"defaults: {{block: {block}, shortcut: {shortcut}{args}{extra}}}\n"
        f"stages: [{width}, {second}]\nhead: [avgpool, flatten, {{linear: {{out: 5}}}}]\n"
    )


def check(text: str) -> None:
    graph = resgen.build_graph(text)
    model = resgen.build_model(text)
    assert sum(p.numel() for p in model.parameters()) == graph.graph["params"]
    model.train()
    out = model(torch.randn(2, 3, 13, 13))
    out.sum().backward()
    model.eval()
    with torch.no_grad():
        assert tuple(model(torch.randn(1, 3, 13, 13)).shape[1:]) == graph.graph["network"].output


@pytest.mark.parametrize(("block", "shortcut"), list(itertools.product(BLOCKS, SHORTCUTS)))
def test_block_and_shortcut(block: str, shortcut: str) -> None:
    check(spec(block, shortcut, ""))


@pytest.mark.parametrize(("block", "knob"), list(itertools.product(BLOCKS, KNOBS)))
def test_block_and_knob(block: str, knob: str) -> None:
    check(spec(block, "B", KNOBS[knob]))


@pytest.mark.parametrize("block", ["basic", "bottleneck", "preact_basic", "wide", "highway"])
def test_block_dilated(block: str) -> None:
    text = spec(block, "B", "", dilate=True)
    graph = resgen.build_graph(text)
    assert graph.graph["network"].stages[1].blocks[-1].shape[1:] == (13, 13)
    check(text)


def test_dense_and_plain_blocks() -> None:
    check(spec("plain", "none", "zero_init: true").replace(", shortcut: none", ""))
    dense = (
        spec("dense", "identity", "args: {growth_rate: 4, bn_size: 2}")
        .replace(", width: 8", "")
        .replace(", width: 16", "")
    )
    with pytest.raises(SpecError, match="does not use stride"):
        resgen.build_graph(dense)  # dense layers never stride: transitions do
    with pytest.raises(SpecError, match="does not use width"):
        resgen.build_graph(dense.replace("{blocks: 2}", "{blocks: 2, width: 8}", 1))
    check(dense.replace(", stride: 2", ""))
