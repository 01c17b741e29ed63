"""`--set PATH=VALUE`: overrides applied to the YAML before validation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from resgen.errors import SpecError
from resgen.pipeline import checked_network, load
from resgen.variants.overrides import parse_path, parse_set
from tests.conftest import SPECS

RESNET20 = SPECS / "cifar10" / "resnet20_a.yaml"


def resgen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "resgen", *args], capture_output=True, text=True)


def params(*sets: str, spec: Path = RESNET20) -> int:
    return checked_network(spec, sets).params


def error(*sets: str, spec: Path = RESNET20) -> str:
    with pytest.raises(SpecError) as caught:
        checked_network(spec, sets)
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("params.n", ("params", "n")),
        ("stages[1].blocks", ("stages", 1, "blocks")),
        ("head[2].linear.out", ("head", 2, "linear", "out")),
        ("name", ("name",)),
    ],
)
def test_parse_path(text: str, path: tuple) -> None:
    assert parse_path(text) == path


@pytest.mark.parametrize("text", ["", "stages[x]", "stages.[1]", "a..b", "stages[-1]", "a b"])
def test_parse_path_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="is not a spec path"):
        parse_path(text)


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("params.n=9", 9),
        ("stages[1].blocks=n*2", "n*2"),
        ("defaults.shortcut=A", "A"),
        ("input=[3, 64, 64]", [3, 64, 64]),
        ("stages[0]={blocks: 2, width: 8}", {"blocks": 2, "width": 8}),
        ("params.p=0.5", 0.5),
        ("head[2].linear.bias=false", False),
        ("params.s=a=b", "a=b"),
    ],
)
def test_values_are_yaml(argument: str, value: object) -> None:
    assert parse_set(argument).value == value


def test_overrides_change_the_network() -> None:
    # ResNet-56 and ResNet-20 option B (REFERENCE.md) from the ResNet-20 option A spec.
    assert params("params.n=9") == 853_018
    assert params("defaults.shortcut=B") == 272_474
    # expressions stay expressions until expansion, so a later params.n still counts:
    # one more basic block of width 32 = two 3x3 convs 32->32 and two BNs
    one_block = 2 * (32 * 32 * 9 + 2 * 32)
    assert params("stages[1].blocks=n*2", "params.n=1") == params("params.n=1") + one_block


def test_override_can_add_keys_and_sections() -> None:
    sets = ["params.k=10", "head[2].linear.out=k"]
    network = checked_network(SPECS / "resnet18.yaml", sets)
    assert network.output == (10,)
    assert network.params == 11_689_512 - 990 * 512 - 990


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        (
            ["defaults.shortcut=Q"],
            "--set defaults.shortcut=Q: expected 'identity', 'A', 'B', 'C', 'D' or 'none', got 'Q'",
        ),
        (
            ["defaults.shortcutt=A"],
            "--set defaults.shortcutt=A: unknown key 'shortcutt' (did you mean 'shortcut'?)",
        ),
        (["stages[1].blocks=n*q"], "--set stages[1].blocks=n*q: cannot evaluate 'n*q'"),
        (["stages[5].blocks=2"], "--set stages[5].blocks=2: stages[5]: stages has 3 entries"),
        (["name.x=1"], "--set name.x=1: name is a str ('cifar_resnet20_a'), not a mapping"),
        (
            ["stages[1]={blocks: 2, widht: 8}"],
            "--set stages[1]={blocks: 2, widht: 8}: stages[1].widht: unknown key 'widht' "
            "(did you mean 'width'?)",
        ),
        (["params.n"], "--set params.n: expected PATH=VALUE"),
        (["params.n=[1"], "--set params.n=[1: invalid YAML"),
        (["stages[x]=3"], "--set stages[x]=3: 'stages[x]' is not a spec path"),
        (["params.n=3", "input=[3, 32]"], "--set input=[3, 32]: "),
    ],
)
def test_override_errors_name_the_argument(sets: list[str], expected: str) -> None:
    message = error(*sets)
    assert message.startswith(expected), message
    assert "Traceback" not in message


def test_errors_outside_overrides_keep_the_spec_position() -> None:
    # n=0 is fine as a value; the expression that uses it is where the problem shows
    message = error("params.n=0")
    assert message.startswith(f"{RESNET20}:14:20: stages[0].blocks: must be at least 1")


def test_no_overrides_is_plain_loading() -> None:
    from resgen.spec.load import load_spec, spec_hash

    assert spec_hash(load(RESNET20, [])) == spec_hash(load_spec(RESNET20))


def test_cli_build_set(tmp_path: Path) -> None:
    ok = resgen("build", str(RESNET20), "-o", str(tmp_path), "--set", "params.n=9")
    assert ok.returncode == 0, ok.stderr
    assert "853,018 parameters" in ok.stdout
    bad = resgen("build", str(RESNET20), "-o", str(tmp_path / "bad"), "--set", "input=[3, 32]")
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: --set input=[3, 32]: "), bad.stderr
    assert "Traceback" not in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_cli_summary_and_validate_set() -> None:
    summary = resgen("summary", str(RESNET20), "-f", "csv", "--set", "params.n=5")
    assert summary.returncode == 0
    assert "\nlayer3.4.conv2," in summary.stdout and "layer3.5." not in summary.stdout
    bad = resgen("validate", str(RESNET20), "--set", "defaults.shortcut=Q")
    assert bad.returncode == 2
    assert "--set defaults.shortcut=Q: expected 'identity'" in bad.stdout
