"""`resgen diff`: structural differences and deltas between specs or variants."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from resgen.api import checked_network
from resgen.errors import SpecError
from resgen.variants.diff import diff_rows, diff_text, load_network
from tests.conftest import SPECS

CIFAR = SPECS / "cifar10"
DEPTH_SWEEP = SPECS / "sweeps" / "cifar_depth.yaml"


def rows(a: str, b: str) -> dict[str, list[str]]:
    table = diff_rows(load_network(a), load_network(b))
    return {row[0]: row[1:] for row in table[1:]}


def test_plain_vs_residual_differs_in_blocks_and_shortcuts_only() -> None:
    table = rows(str(CIFAR / "plain20.yaml"), str(CIFAR / "resnet20_a.yaml"))
    assert table["depth"] == ["20", "20", "="]
    assert table["parameters"] == ["269,722", "269,722", "="]  # option A adds no parameters
    assert table["layer1.block"] == ["plain", "basic", ""]
    assert table["layer1.shortcut"] == ["none", "A: identity×3", ""]
    assert table["layer2.shortcut"] == ["none", "A: zeropad, identity×2", ""]
    assert not any(key.endswith((".blocks", ".width", ".output")) for key in table)
    assert "stem" not in table and "head" not in table


def test_option_a_vs_b_deltas_match_reference() -> None:
    table = rows(str(CIFAR / "resnet56_a.yaml"), str(CIFAR / "resnet56_b.yaml"))
    delta = 855_770 - 853_018  # REFERENCE.md, ResNet-56 option B minus option A
    assert table["parameters"] == ["853,018", "855,770", f"+{delta:,} (+0.3%)"]
    assert table["layer3.shortcut"] == ["A: zeropad, identity×8", "B: projection, identity×8", ""]
    assert table["MACs"][2].startswith("+")


def test_depth_block_counts_and_stages() -> None:
    table = rows(str(SPECS / "resnet34.yaml"), str(CIFAR / "resnet20_a.yaml"))
    assert table["depth"] == ["34", "20", "-14 (-41.2%)"]
    assert table["stages"] == ["4", "3", ""]
    assert table["layer2.blocks"] == ["4", "3", ""]
    assert table["layer1.width"] == ["64", "16", ""]
    assert table["layer4.block"] == ["basic", "—", ""]
    assert table["input"] == ["3×224×224", "3×32×32", ""]
    assert table["stem"][0].startswith("conv 7×7 /2, 64")


def test_identical() -> None:
    network = checked_network(CIFAR / "resnet20_a.yaml")
    text = diff_text(network, network)
    assert text.splitlines()[-1].split() == ["structure", "identical", "identical"]
    assert all(not line.endswith(" ") for line in text.splitlines())


def test_a_sweep_variant_by_name() -> None:
    # resnet56_b of the depth sweep is the zoo's ResNet-56 B under another name
    table = rows(f"{DEPTH_SWEEP}:resnet56_b", str(CIFAR / "resnet56_b.yaml"))
    assert table["parameters"] == ["855,770", "855,770", "="]
    assert list(table)[-1] == "structure"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        (f"{DEPTH_SWEEP}:resnet57_b", "has no variant 'resnet57_b' (did you mean 'resnet56_b'?)"),
        (str(DEPTH_SWEEP), "is a sweep: name one of its variants, as"),
        ("nowhere.yaml", "no such spec file: nowhere.yaml"),
    ],
)
def test_bad_references(ref: str, message: str) -> None:
    with pytest.raises(SpecError, match=re.escape(message)):
        load_network(ref)


def test_cli() -> None:
    run = [sys.executable, "-m", "resgen", "diff"]
    ok = subprocess.run(
        [*run, str(CIFAR / "resnet20_a.yaml"), str(CIFAR / "resnet20_b.yaml")],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert "+2,752 (+1.0%)" in ok.stdout  # 272,474 - 269,722
    bad = subprocess.run(
        [*run, "nowhere.yaml", str(CIFAR / "resnet20_b.yaml")], capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr == "error: no such spec file: nowhere.yaml\n"
