"""The names the emitted code uses on its own are listed once (`resgen/spec/names.py`),
and a spec's names that would collide with them are refused before any code is written."""

from __future__ import annotations

import ast
import keyword

import pytest
import torch

import resgen
from resgen.errors import SpecError
from resgen.spec.names import (
    BLOCK_INIT_NAMES,
    BLOCK_VARIABLES,
    EMITTED_NAMES,
    MODULE_ATTRIBUTES,
    MODULE_NAMES,
)
from tests.conftest import zoo_specs

# Helpers the zoo does not use: `ceil` in a block expression (math), named
# children inside a block's sequential layer (named_sequential).
EXTRA_SPEC = """\
name: extra
input: [3, 16, 16]
blocks:
  odd:
    class: OddBlock
    params: {ratio: 1.5}
    main:
      - sequential:
          name: body
          layers:
            - conv: {name: wide, out: "ceil(width * ratio)", stride: stride}
            - bn: {name: bn}
      - relu
      - conv: {out: width, kernel: 1}
    out: width
defaults: {block: odd, shortcut: B}
stages:
  - {blocks: 2, width: 8}
  - {blocks: 2, width: 11, stride: 2, args: {ratio: 2.5}}
head: [avgpool, flatten, {linear: {out: 3}}]
"""


def bound_names(tree: ast.AST) -> set[str]:
    """Every name the code binds or reads (not attributes, not call keywords)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


def spec_names(spec: object) -> set[str]:
    """The names a spec contributes: its classes, and its block types' params and lets."""
    graph = resgen.build_graph(spec)  # type: ignore[arg-type]
    network = graph.graph["network"]
    names = {network.class_name}
    for stage in network.stages:
        for block in stage.blocks:
            names |= {block.class_name, *block.definition.params, *block.definition.let}
    return names


@pytest.mark.parametrize(
    "spec", [*zoo_specs(), EXTRA_SPEC], ids=lambda s: getattr(s, "stem", "extra")
)
def test_every_name_the_templates_write_is_listed(spec: object) -> None:
    source = resgen.generate_code(spec)  # type: ignore[arg-type]
    unlisted = bound_names(ast.parse(source)) - EMITTED_NAMES - BLOCK_VARIABLES - spec_names(spec)
    assert not unlisted, f"names the emitted code uses but resgen/spec/names.py lacks: {unlisted}"


def test_the_extra_spec_uses_the_helpers_it_is_for() -> None:
    source = resgen.generate_code(EXTRA_SPEC)
    assert "import math" in source and "math.ceil(width * ratio)" in source
    assert "named_sequential(" in source
    graph = resgen.build_graph(EXTRA_SPEC)
    model = resgen.build_model(EXTRA_SPEC)
    assert sum(p.numel() for p in model.parameters()) == graph.graph["params"]
    assert tuple(model(torch.zeros(1, 3, 16, 16)).shape) == (1, 3)


def test_module_attributes_are_torchs() -> None:
    public = {name for name in dir(torch.nn.Module) if not name.startswith("_")}
    public |= {name for name in vars(torch.nn.Module()) if not name.startswith("_")}
    assert public <= MODULE_ATTRIBUTES, sorted(public - MODULE_ATTRIBUTES)


def block_spec(param: str = "k", class_name: str = "MyBlock") -> str:
    """Two blocks of one class whose channels depend on the parameter `param`."""
    return f"""\
name: tiny
input: [3, 8, 8]
blocks:
  mine:
    class: '{class_name}'
    params: {{'{param}': 1}}
    main: [{{conv: {{out: 'width * {param}', stride: stride}}}}, bn]
    out: 'width * {param}'
defaults: {{block: mine, shortcut: B}}
stages: [{{blocks: 1, width: 4}}, {{blocks: 1, width: 8, stride: 2, args: {{'{param}': 2}}}}]
"""


@pytest.mark.parametrize("name", sorted(EMITTED_NAMES))
def test_an_emitted_name_cannot_name_a_class(name: str) -> None:
    with pytest.raises(SpecError, match=f"'{name}' cannot name a class"):
        resgen.build_graph(block_spec(class_name=name))


@pytest.mark.parametrize("name", sorted(MODULE_NAMES | BLOCK_INIT_NAMES | BLOCK_VARIABLES))
def test_a_name_the_block_class_reads_cannot_name_a_parameter(name: str) -> None:
    with pytest.raises(SpecError, match=f"'{name}' cannot name a block parameter"):
        resgen.build_graph(block_spec(param=name))


@pytest.mark.parametrize("name", ["k", "match", "case", "type", "p", "channels", "x", "out"])
def test_other_names_are_fine_as_parameters(name: str) -> None:
    text = block_spec(param=name)
    source = resgen.generate_code(text)
    assert "class MyBlock" in source and f"{name}: int" in source, source
    model = resgen.build_model(text)
    assert sum(p.numel() for p in model.parameters()) == resgen.build_graph(text).graph["params"]
    assert tuple(model(torch.zeros(1, 3, 8, 8)).shape) == (1, 16, 4, 4)


@pytest.mark.parametrize("word", keyword.kwlist)
def test_keywords_name_nothing(word: str) -> None:
    for text in (block_spec(param=word), block_spec(class_name=word)):
        with pytest.raises(SpecError, match="not a valid name"):
            resgen.build_graph(text)
    stage = f"stages: [{{blocks: 1, width: 4, block_names: '{word}'}}]"
    spec = block_spec().split("stages:")[0] + stage
    with pytest.raises(SpecError, match="block_names"):
        resgen.build_graph(spec)
