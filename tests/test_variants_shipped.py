"""The shipped sweeps reproduce the paper's studies (numbers from REFERENCE.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from resgen.pipeline import BuildOptions
from resgen.variants.run import run_sweep
from resgen.variants.sweep import load_sweep
from tests.conftest import SPECS
from tests.test_zoo_counts import CIFAR, IMAGENET  # REFERENCE.md: depth -> (n, A, B)

SWEEPS = SPECS / "sweeps"

RESNET34_B = IMAGENET["resnet34"][0]  # REFERENCE.md, torchvision's resnet34 (option B)


@pytest.fixture(scope="module")
def cifar_depth(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """The shipped CIFAR sweep, run as a user runs it."""
    out = tmp_path_factory.mktemp("cifar_depth")
    sweep = str(SWEEPS / "cifar_depth.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "resgen", "sweep", sweep, "-o", str(out), "-f", "json", "--plot"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), out


def test_cifar_depth_parameters_equal_the_reference(cifar_depth: tuple[dict, Path]) -> None:
    table, _ = cifar_depth
    got = {row["name"]: row for row in table["variants"]}
    expected = {}
    for depth, (n, option_a, option_b) in CIFAR.items():
        expected[f"resnet{depth}_a"] = (depth, n, option_a)
        expected[f"resnet{depth}_b"] = (depth, n, option_b)
        if depth != 1202:  # the paper has no 1202-layer plain net; the sweep excludes it
            expected[f"plain{depth}"] = (depth, n, option_a)
    assert sorted(got) == sorted(expected)
    for name, (depth, n, params) in expected.items():
        row = got[name]
        assert (row["depth"], row["values"]["n"], row["params"]) == (depth, n, params), name
        assert row["ok"]


def test_cifar_depth_files(cifar_depth: tuple[dict, Path]) -> None:
    table, out = cifar_depth
    assert (out / "compare.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((out / "index.json").read_text())["variants"][0]["files"] == {
        "spec": "plain20.yaml",
        "code": "plain20.py",
    }
    assert len(list(out.glob("*.py"))) == len(table["variants"]) == 17
    # the resolved spec of a variant equals the zoo's spec up to its name
    resolved = (out / "resnet110_b.yaml").read_text()
    assert "params: {n: 18}" in resolved and "defaults: {block: basic, shortcut: B}" in resolved


def test_shortcut_options() -> None:
    results = run_sweep(load_sweep(SWEEPS / "shortcut_options.yaml"), BuildOptions(), jobs=1)
    by_option = {r.values["shortcut"]: r for r in results}
    assert [r.name for r in results] == ["resnet34_A", "resnet34_B", "resnet34_C"]
    assert all(r.ok and r.depth == 34 for r in results)
    assert by_option["B"].params == RESNET34_B
    assert round(by_option["B"].macs / 1e9, 3) == 3.664

    # Projection shortcuts (1x1 conv + BN) counted by hand from ResNet-34's stages.
    def projection(c_in: int, c_out: int) -> int:
        return c_in * c_out + 2 * c_out

    stages = [(64, 64, 3), (64, 128, 4), (128, 256, 6), (256, 512, 3)]  # in, out, blocks
    changing = sum(projection(c_in, c_out) for c_in, c_out, _ in stages if c_in != c_out)
    everywhere = sum(
        projection(c_in, c_out) + (blocks - 1) * projection(c_out, c_out)
        for c_in, c_out, blocks in stages
    )
    assert by_option["A"].params == RESNET34_B - changing  # A: parameter-free
    assert by_option["C"].params == RESNET34_B - changing + everywhere


# WRN paper, table 4 (CIFAR-10), parameters in millions as published.
WRN = {"wrn_16_4": 2.7, "wrn_16_8": 11.0, "wrn_22_8": 17.2, "wrn_28_10": 36.5, "wrn_40_1": 0.6,
       "wrn_40_2": 2.2, "wrn_40_4": 8.9, "wrn_40_8": 35.7}  # fmt: skip


def test_width_depth() -> None:
    from resgen.api import build_graph

    results = {
        r.name: r for r in run_sweep(load_sweep(SWEEPS / "width_depth.yaml"), BuildOptions())
    }
    assert len(results) == 20 and all(r.ok for r in results.values())
    for name, millions in WRN.items():
        assert round(results[name].params / 1e6, 1) == millions, name
    for name in ("wrn_16_8", "wrn_28_10", "wrn_40_4"):  # the zoo's WRNs are grid points
        zoo = build_graph(SPECS / "cifar10" / f"{name}.yaml").graph
        assert (results[name].params, results[name].macs) == (zoo["params"], zoo["macs"])
    assert {r.depth - 6 * r.values["n"] for r in results.values()} == {2}
