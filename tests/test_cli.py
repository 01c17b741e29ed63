"""The command line, end to end, as a user runs it."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from resgen.api import checked_network
from resgen.check import ensure_instantiable
from resgen.errors import SpecError
from tests.conftest import SPECS


def resgen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resgen", *args], capture_output=True, text=True, cwd=cwd
    )


def test_build_check_writes_one_file(tmp_path: Path) -> None:
    result = resgen("build", str(SPECS / "resnet18.yaml"), "-o", str(tmp_path), "--check")
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and "11,689,512 parameters" in result.stdout
    assert "check ok: output 1000, 11,689,512 parameters" in result.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["resnet18.py"]


def test_build_defaults_to_build_folder(tmp_path: Path) -> None:
    result = resgen("build", str(SPECS / "cifar10" / "resnet20_a.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "build" / "cifar_resnet20_a.py").is_file()


def test_validate_many(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\ninput: [3, 32, 32]\nstages:\n  - {blocks: 2, width: 16, block: basik}\n"
    )
    result = resgen("validate", str(SPECS / "resnet18.yaml"), str(bad), str(SPECS / "plain18.yaml"))
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ok   ") and "11,689,512 parameters" in lines[0]
    assert lines[1] == f"FAIL {bad}"
    assert f"{bad}:4:" in lines[2] and "did you mean 'basic'" in lines[2]
    assert lines[-1].startswith("ok   ")
    assert "1 of 3 specs failed" in result.stderr


def test_summary_formats() -> None:
    spec = str(SPECS / "cifar10" / "resnet20_a.yaml")
    data = json.loads(resgen("summary", spec, "--format", "json").stdout)
    assert data["totals"]["params"] == 269_722
    assert sum(row["params"] for row in data["layers"]) == 269_722
    assert data["layers"][0] == {
        "layer": "conv1", "op": "conv", "output": [16, 32, 32], "params": 432, "macs": 442_368,
    }  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(resgen("summary", spec, "-f", "csv").stdout)))
    assert len(rows) == len(data["layers"])
    assert rows[-1]["layer"] == "fc" and rows[-1]["output"] == "10"
    markdown = resgen("summary", spec, "-f", "md").stdout
    assert "| layer2.0.downsample | zeropad | 32×16×16 | 0 | 0 |" in markdown
    assert "**269,722**" in markdown
    table = resgen("summary", spec).stdout
    assert "layer3.2.conv2" in table and "269,722 parameters" in table


def test_schema_is_json_schema() -> None:
    schema = json.loads(resgen("schema").stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"name", "input", "stages", "stem", "head", "defaults", "blocks"} <= set(
        schema["properties"]
    )
    assert schema["required"] == ["name", "input"]  # a network may have no stages (VGG)
    assert "B" in json.dumps(schema["$defs"]["Defaults"]["properties"]["shortcut"])
    # an optional key is left out, never null (the loader refuses null values)
    assert ": null" not in json.dumps(schema) and '"null"' not in json.dumps(schema)


def test_common_path_never_imports_torch(tmp_path: Path) -> None:
    code = (
        "import sys, runpy\n"
        f"spec, out = {str(SPECS / 'resnet50.yaml')!r}, {str(tmp_path)!r}\n"
        "sys.argv = ['resgen', 'build', spec, '-o', out]\n"
        "try:\n    runpy.run_module('resgen', run_name='__main__')\n"
        "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "for command in ('validate', 'summary'):\n"
        f"    sys.argv = ['resgen', command, {str(SPECS / 'resnet50.yaml')!r}]\n"
        "    try:\n        runpy.run_module('resgen', run_name='__main__')\n"
        "    except SystemExit as exit:\n        assert not exit.code, exit.code\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "print('no torch')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("no torch")


def test_usage_errors_exit_2() -> None:
    result = resgen("build")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


HUGE = """\
name: huge
input: [3, 32, 32]
stem: [{conv: {name: conv1, out: 16}}, bn, relu]
defaults: {block: basic, shortcut: B}
stages:
  - {name: layer1, blocks: 1, width: 16}
  - {name: layer2, blocks: 1, width: 1000000, stride: 2}
head: [avgpool, flatten, {linear: {name: fc, out: 10}}]
"""


def test_check_and_export_refuse_a_network_too_large_to_instantiate(tmp_path: Path) -> None:
    """Counting 9e12 parameters is free; allocating them is refused before torch is asked."""
    spec = tmp_path / "huge.yaml"
    spec.write_text(HUGE)
    out = tmp_path / "out"
    assert resgen("build", str(spec), "-o", str(out)).returncode == 0  # code only: fine
    for command in (["build", "--check", "-o", str(tmp_path / "x")],
                    ["export", "-o", str(tmp_path / "x.onnx")]):  # fmt: skip
        result = resgen(command[0], str(spec), *command[1:])
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"error: {spec}:7:5: stages[1]: instantiating the network")
        assert "9,000,176,005,146 parameters" in result.stderr
        assert "layer2.0.conv2 (9,000,000,000,000 parameters)" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.onnx").exists()


def test_instantiation_budget_counts_weights_and_activations() -> None:
    network = checked_network(SPECS / "cifar10" / "resnet20_a.yaml")
    needed = 4 * (network.params + network.activations)
    ensure_instantiable(network, budget=needed)
    with pytest.raises(SpecError, match="largest layer is layer3"):
        ensure_instantiable(network, budget=needed - 1)
