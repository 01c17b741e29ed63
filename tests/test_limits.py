"""Sizes are counted before the work they imply (docs/spec.md, "Limits and errors").

A spec, a sweep or an override that asks for too much is refused from its
counts; these tests measure the work done before the refusal, not the time.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from resgen.api import build_graph
from resgen.errors import SpecError
from resgen.graph import expand
from resgen.pipeline import load
from resgen.spec.load import load_spec
from resgen.variants.sweep import MAX_VARIANTS, load_sweep
from tests.conftest import SPECS
from tests.test_variants_sweep import sweep_file

BAD = Path(__file__).parent / "bad_specs"

# Specs that cover every kind of layer count: SE, drop-path, gate and concat
# joins, `after:` transitions, sequential stems, projection and zero-pad shortcuts.
COUNTED = [
    "resnet18.yaml",
    "resnet50d.yaml",
    "seresnet50.yaml",
    "ecaresnet50d.yaml",
    "skresnet18.yaml",
    "densenet121.yaml",
    "resnext50_32x4d.yaml",
    "cifar10/highway20.yaml",
    "cifar10/preact_resnet164.yaml",
    "cifar10/resnet110_stochastic_depth.yaml",
    "cifar10/resnet20_a.yaml",
    "cifar10/plain20.yaml",
]


def _counting_add_node(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every node the expander adds."""
    added: list[str] = []
    original = expand.Expander.add_node

    def add_node(self: expand.Expander, node: str, *args: Any, **kwargs: Any) -> Any:
        added.append(node)
        return original(self, node, *args, **kwargs)

    monkeypatch.setattr(expand.Expander, "add_node", add_node)
    return added


def test_too_many_layers_are_refused_before_any_block_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    added = _counting_add_node(monkeypatch)
    with pytest.raises(SpecError, match="would have more than 250,000 layers"):
        build_graph(BAD / "layers_over_limit.yaml")
    assert added == []  # not even the stem: the count comes first


@pytest.mark.parametrize("name", COUNTED)
def test_the_layer_count_is_exact_but_for_shortcuts(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count before expanding is every node but the shortcut and drop-path ones,
    so it refuses a spec one layer over the limit and never one that would build."""
    spec = load_spec(SPECS / name)
    graph = build_graph(spec)
    unknown = sum(
        1
        for _, node in graph.nodes(data=True)
        if node.get("branch") == "shortcut" or node["op"] == "drop_path"
    )
    counted = graph.number_of_nodes() - unknown
    monkeypatch.setattr(expand, "MAX_NODES", counted - 1)
    with pytest.raises(SpecError, match=f"at least {counted:,} with these"):
        expand.expand(spec)
    monkeypatch.setattr(expand, "MAX_NODES", counted)
    if unknown:  # what the count cannot know is caught as the nodes are added
        with pytest.raises(SpecError, match="the network has more than"):
            expand.expand(spec)
    else:
        assert len(expand.expand(spec).nodes) == counted


def test_a_huge_sweep_is_refused_from_its_axis_lengths(tmp_path: Path) -> None:
    hundred = list(range(1, 101))
    axes = ["params.n", *(f"stages[{i}].width" for i in range(3)), "head[2].linear.out"]
    path = sweep_file(tmp_path, "grid:\n" + "".join(f"  {a}: {hundred}\n" for a in axes))
    start = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        load_sweep(path)
    assert time.perf_counter() - start < 5  # 100⁵ variants would take minutes to list
    message = str(caught.value)
    assert message.startswith(f"{path}:7:3: ")  # the axis that crosses the limit
    assert f"more than {MAX_VARIANTS:,} variants (100 × 100 × 100 = 1,000,000" in message


def test_a_sweep_at_the_limit_is_listed(tmp_path: Path) -> None:
    values = list(range(1, 101))
    path = sweep_file(tmp_path, f"grid:\n  params.n: {values}\n  head[2].linear.out: {values}\n")
    assert len(load_sweep(path).variants) == MAX_VARIANTS


def test_an_override_path_deeper_than_a_spec_may_nest_is_refused() -> None:
    deep = "defaults.args." + "a." * 20_000 + "b=1"  # built, it would overflow the stack
    with pytest.raises(SpecError) as caught:
        load(SPECS / "cifar10" / "resnet20_a.yaml", [deep])
    message = str(caught.value)
    assert message.startswith("--set defaults.args.a.a.")
    assert "is deeper than a spec may nest (48 levels)" in message
    assert len(message) < 300  # the argument is shortened
    load(SPECS / "cifar10" / "resnet20_a.yaml", ["defaults.zero_init=true"])
