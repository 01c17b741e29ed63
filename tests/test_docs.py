"""The documentation's examples build, and it covers every block type and knob."""

from __future__ import annotations

import re

import pytest
import torch

import resgen
from resgen.blocks import builtin_blocks
from resgen.spec.schema import Defaults, Stage, layer_names
from tests.conftest import ROOT

SPEC_DOC = (ROOT / "docs" / "spec.md").read_text()
EXAMPLES = [
    block
    for block in re.findall(r"```yaml\n(.*?)```", SPEC_DOC, re.S)
    if "stages:" in block and "name:" in block
]


def test_the_examples_are_there() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("text", EXAMPLES, ids=lambda t: t.split("name:")[1].split()[0])
def test_spec_doc_examples_build_and_run(text: str) -> None:
    graph = resgen.build_graph(text)
    model = resgen.build_model(text).eval()
    assert sum(p.numel() for p in model.parameters()) == graph.graph["params"]
    network = graph.graph["network"]
    with torch.no_grad():
        assert tuple(model(torch.zeros(1, *network.input)).shape[1:]) == network.output


def test_user_block_examples_are_not_built_in() -> None:
    user_blocks = {name for text in EXAMPLES for name in resgen.load_spec(text).blocks}
    assert len(user_blocks) >= 2
    assert not user_blocks & set(builtin_blocks())


def test_every_block_type_op_and_knob_is_documented() -> None:
    for name in builtin_blocks():
        assert f"| `{name}` |" in SPEC_DOC, name
    for op in layer_names():
        assert f"`{op}`" in SPEC_DOC, op
    for knob in set(Defaults.model_fields) | set(Stage.model_fields):
        assert f"`{knob}`" in SPEC_DOC, knob
