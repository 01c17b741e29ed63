"""The op registry and the IR: one definition per op, and every consumer reads it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import resgen
from resgen import ops
from resgen.graph.shortcuts import BUILDERS
from resgen.spec.schema import ShortcutKind, json_schema, layer_names

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"


def test_every_op_module_is_registered_and_every_name_is_its_own() -> None:
    modules = {path.stem for path in (ROOT / "resgen/ops").glob("*.py")} - {"__init__", "base"}
    assert modules == set(ops.BUILTIN)
    for name, definition in ops.known().items():
        assert definition.name == name


def test_every_op_a_spec_may_write_is_in_the_schema() -> None:
    choices = {entry["$ref"] for entry in json_schema()["$defs"]["Layer"]["oneOf"]}
    for name in layer_names():
        assert f"#/$defs/{name.capitalize()}Layer" in choices, name


def test_an_op_resgen_makes_cannot_be_written() -> None:
    for name in ("add", "concat", "gate", "zeropad", "input"):
        assert ops.get(name) is not None and ops.get(name).args is None
        assert name not in layer_names()


def test_every_shortcut_option_has_a_builder() -> None:
    from typing import get_args

    assert set(BUILDERS) | {"none"} == set(get_args(ShortcutKind))


def test_the_ir_has_every_node_with_its_counts_and_explicit_joins() -> None:
    net = resgen.checked_network(SPECS / "cifar10/resnet20_a.yaml")
    assert sum(node.params for node in net.nodes.values()) == net.params == 269_722
    block = net.stages[1].blocks[0]
    assert (block.join, block.shortcut.kind, block.shortcut.option) == ("add", "zeropad", "A")
    assert block.shortcut.nodes == ("layer2.0.downsample",)
    join = net.nodes["layer2.0.add"]
    assert [(e.source, e.branch, e.kind) for e in join.inputs] == [
        ("layer2.0.bn2", "main", ""),
        ("layer2.0.downsample", "shortcut", "zeropad"),
    ]
    assert net.stages[1].blocks[1].shortcut.kind == "identity"
    conv = net.nodes["layer2.0.conv1"]  # a built-in block's layer: the stage using it
    assert conv.key == "stages[1]" and "resnet20_a.yaml:" in str(conv.location)


def test_to_networkx_is_the_same_data_flow() -> None:
    net = resgen.checked_network(SPECS / "resnet50.yaml")
    graph = net.to_networkx()
    assert list(graph.nodes) == list(net.nodes)
    assert [(u, v) for u, v, _ in net.edges()] == list(graph.edges)
    assert graph.graph["params"] == net.params and graph.graph["network"] is net
    assert graph.edges["layer1.0.downsample.1", "layer1.0.add"]["kind"] == "projection"


def test_drawing_imports_neither_torch_nor_networkx(tmp_path: Path) -> None:
    """The renderers read the IR (a plain build: tests/test_lean_build.py)."""
    command = ["build", "--diagram", "svg,html"]
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['resgen', *{command!r}, {str(SPECS / 'resnet152.yaml')!r},"
        f" '-o', {str(tmp_path)!r}]\n"
        "try:\n    runpy.run_module('resgen', run_name='__main__')\n"
        "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print(sorted({'torch', 'networkx'} & {m.split('.')[0] for m in sys.modules}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("[]")
