"""The emitted module: standalone, readable, deterministic, lint-clean."""

from __future__ import annotations

import ast
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import resgen
from tests.conftest import SPECS, zoo_specs


@pytest.fixture(scope="module")
def emitted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("emitted")
    files = {}
    for spec in zoo_specs():
        path = folder / f"{spec.stem}.py"
        path.write_text(resgen.generate_code(spec))
        files[spec.stem] = path
    return files


def test_generation_is_deterministic() -> None:
    spec = SPECS / "resnet50.yaml"
    assert resgen.generate_code(spec) == resgen.generate_code(spec)


def test_cli_builds_are_byte_identical(tmp_path: Path) -> None:
    spec = SPECS / "cifar10" / "resnet20_a.yaml"
    for out in ("one", "two"):
        subprocess.run(
            [sys.executable, "-m", "resgen", "build", str(spec), "-o", str(tmp_path / out)],
            check=True,
            capture_output=True,
        )
    first = (tmp_path / "one" / "cifar_resnet20_a.py").read_bytes()
    assert first == (tmp_path / "two" / "cifar_resnet20_a.py").read_bytes()
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["cifar_resnet20_a.py"]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is a test dependency")
def test_emitted_code_passes_ruff(emitted: dict[str, Path]) -> None:
    folder = next(iter(emitted.values())).parent
    result = subprocess.run(
        ["ruff", "check", "--isolated", "--select", "E,F,W,B,UP", str(folder)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_emitted_code_imports_only_torch(emitted: dict[str, Path]) -> None:
    for path in emitted.values():
        tree = ast.parse(path.read_text())
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                modules.add((node.module or "").split(".")[0])
        # torch, and from the standard library only what names need (string keys)
        assert "torch" in modules and modules <= {"torch", "collections", "math"}, path.name
        assert not any(isinstance(n, ast.Lambda) for n in ast.walk(tree)), path.name


def test_header_names_spec_hash_and_parameters() -> None:
    spec = resgen.load_spec(SPECS / "resnet18.yaml")
    source = resgen.generate_code(spec)
    docstring = ast.get_docstring(ast.parse(source)) or ""
    assert "'resnet18'" in docstring
    assert "11,689,512" in docstring
    from resgen.spec.load import spec_hash

    assert spec_hash(spec) in docstring


def test_one_class_per_block_type_and_a_build_function(emitted: dict[str, Path]) -> None:
    tree = ast.parse(emitted["resnet50"].read_text())
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert classes == ["Bottleneck", "ResNet50"]
    assert functions == ["projection", "build"]
    cifar = ast.parse(emitted["resnet56_a"].read_text())
    assert [n.name for n in cifar.body if isinstance(n, ast.ClassDef)] == [
        "ZeroPadShortcut",
        "BasicBlock",
        "CifarResNet56A",
    ]
    plain = emitted["plain34"].read_text()
    assert "downsample" not in plain and "identity" not in plain


def test_helpers_only_when_used(emitted: dict[str, Path]) -> None:
    assert "ZeroPadShortcut" not in emitted["resnet20_b"].read_text()
    assert "def projection" not in emitted["resnet20_a"].read_text()
    assert "def projection" not in emitted["plain20"].read_text()


def test_build_model_runs_the_emitted_source() -> None:
    spec = SPECS / "cifar10" / "resnet20_a.yaml"
    model = resgen.build_model(spec)
    module_source = inspect.getsource(sys.modules[type(model).__module__])
    assert module_source == resgen.generate_code(spec)
    assert type(model).__name__ == "CifarResNet20A"


def test_stride_on_one_by_one_is_folded_into_literals() -> None:
    spec = resgen.load_spec(SPECS / "resnet50.yaml")
    v1 = spec.model_copy(update={"defaults": spec.defaults.model_copy(update={"stride_on": "1x1"})})
    source = resgen.generate_code(v1)
    assert "in_channels, width, kernel_size=1, stride=stride, bias=False" in source
    assert "stride_on" not in source
