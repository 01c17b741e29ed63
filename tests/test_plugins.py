"""User ops from a Python file (`--plugin`, $RESGEN_PLUGINS) or an installed package's
entry point: one class is everything resgen needs to check, count, emit and draw them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "examples/plugins/blurpool.py"
SPEC = ROOT / "examples/plugins/resnet20_blurpool.yaml"


def resgen(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "RESGEN_PLUGINS"}
    return subprocess.run(
        [sys.executable, "-m", "resgen", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**environment, **(env or {})},
    )


def test_the_worked_example_builds_checks_and_draws(tmp_path: Path) -> None:
    result = resgen(
        "--plugin", str(PLUGIN), "build", str(SPEC), "-o", str(tmp_path), "--check",
        "--diagram", "dot,html",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "parameters in the module = analytic count" in result.stdout
    code = (tmp_path / "cifar_resnet20_blurpool.py").read_text()
    assert code.count("class BlurPool2d(nn.Module):") == 1  # the plugin's helper, once
    assert "self.blur = BlurPool2d(width, stride=stride)" in code
    dot = (tmp_path / "cifar_resnet20_blurpool.dot").read_text()
    assert '"layer2.0.blur"' in dot and "blurpool /2" in dot and "#c6dbef" in dot
    assert '"op":"blurpool"' in (tmp_path / "cifar_resnet20_blurpool.html").read_text()


def test_its_counts_and_shapes_come_from_the_op() -> None:
    result = resgen("--plugin", str(PLUGIN), "summary", str(SPEC), "-f", "json")
    assert result.returncode == 0, result.stderr
    rows = {row["layer"]: row for row in json.loads(result.stdout)["layers"]}
    blur = rows["layer2.0.blur"]
    assert blur["output"] == [32, 16, 16] and blur["params"] == 0
    assert blur["macs"] == 32 * 16 * 16 * 9
    assert rows["layer1.0.blur"]["output"] == [16, 32, 32]  # stride 1: a blur only


def test_the_emitted_module_matches_the_count(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from resgen import ops
    from resgen.codegen.execute import module_from_source
    from resgen.pipeline import build

    ops.load_plugin(PLUGIN)
    built = build(SPEC)
    model = module_from_source(built.code, built.network.name).build().eval()
    assert sum(p.numel() for p in model.parameters()) == built.params
    assert not any("kernel" in key for key in model.state_dict())  # a non-persistent buffer
    with torch.no_grad():
        assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_without_the_plugin_the_op_is_unknown() -> None:
    result = resgen("validate", str(SPEC))
    assert result.returncode == 2
    assert "unknown layer op 'blurpool'" in result.stdout and "Traceback" not in result.stdout


def test_a_shape_the_op_refuses_is_located(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(
        "name: tiny\ninput: [3, 1, 1]\nstem:\n  - blurpool: {stride: 2}\n"
        "stages: [{blocks: 1, width: 4, block: basic}]\n"
    )
    result = resgen("--plugin", str(PLUGIN), "validate", str(spec))
    assert result.returncode == 2
    assert "tiny.yaml:4:" in result.stdout and "needs 2×2 or more, not 1×1" in result.stdout


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("raise RuntimeError('boom')", "failed: RuntimeError: boom"),
        ("X = 1", "defines no op"),
        (
            "from resgen.ops.base import OpDef\nclass Conv(OpDef):\n    name = 'conv'\n"
            "OPS = [Conv()]",
            "an op named 'conv' already exists",
        ),
        (
            "from resgen.ops.base import OpDef\nclass Bad(OpDef):\n    name = 'Bad Name'\n"
            "OPS = [Bad()]",
            "op name 'Bad Name' is not valid",
        ),
    ],
)
def test_a_bad_plugin_is_one_message_and_exit_2(tmp_path: Path, source: str, message: str) -> None:
    plugin = tmp_path / "mine.py"
    plugin.write_text(source)
    result = resgen("--plugin", str(plugin), "validate", str(SPEC))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    missing = resgen("--plugin", str(tmp_path / "absent.py"), "validate", str(SPEC))
    assert missing.returncode == 2 and "is not a file" in missing.stderr


def test_sweep_workers_load_the_same_plugin(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep.yaml"  # 32 variants: built by worker processes
    sweep.write_text(
        f"sweep: blur\nbase: {SPEC}\nname: 'blur{{n}}_{{shortcut}}'\n"
        "grid:\n  params.n: [1, 2, 3, 4, 5, 6, 7, 8]\n  defaults.shortcut: [A, B, C, D]\n"
    )
    out = tmp_path / "out"
    result = resgen("--plugin", str(PLUGIN), "sweep", str(sweep), "-o", str(out), "-j", "2")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "BlurPool2d" in (out / "blur8_D.py").read_text()


def test_the_environment_variable_and_the_schema(tmp_path: Path) -> None:
    result = resgen("schema", env={"RESGEN_PLUGINS": str(PLUGIN)})
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert "BlurpoolLayer" in schema["$defs"]
    assert {"$ref": "#/$defs/BlurpoolLayer"} in schema["$defs"]["Layer"]["oneOf"]
    assert "BlurpoolLayer" not in resgen("schema").stdout


def test_an_installed_package_adds_ops_through_its_entry_point(tmp_path: Path) -> None:
    package = tmp_path / "site"
    (package / "blur_ops").mkdir(parents=True)
    (package / "blur_ops" / "__init__.py").write_text(PLUGIN.read_text())
    info = package / "blur_ops-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: blur-ops\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[resgen.ops]\nblurpool = blur_ops:OPS\n")
    env = {"PYTHONPATH": os.pathsep.join([str(package), str(ROOT)])}
    result = resgen("validate", str(SPEC), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "272,474 parameters" in result.stdout
