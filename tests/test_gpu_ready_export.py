"""Batch norm folding and `resgen export` (ONNX, TorchScript) end to end."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import resgen
from resgen.export import conv_bn_pairs, fuse_bn
from tests.gpu_ready_helpers import (
    REPRESENTATIVE,
    assert_matches_pytorch,
    calibrated,
    example_input,
    spec_path,
)

HAS_ORT = all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))
# batch norms that stay: those that read something other than a conv's sole output
UNFOLDABLE = {
    "densenet121": 62,  # norm1 of 58 dense layers (reads the concatenation), 3 transitions, norm5
    "cifar10/preact_resnet110": 55,  # bn1 of 54 pre-activation blocks (reads the sum), final bn
}


def batch_norms(model: nn.Module) -> int:
    return sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def resgen_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resgen", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_fused_module_equals_unfused(name: str) -> None:
    spec = spec_path(name)
    model = calibrated(spec)
    before = batch_norms(model)
    fused = fuse_bn(model)
    assert batch_norms(model) == before, "the original module is left as it was"
    assert batch_norms(fused) == UNFOLDABLE.get(name, 0)
    assert len(conv_bn_pairs(model)) == before - UNFOLDABLE.get(name, 0)
    x = example_input(spec, seed=5)
    with torch.no_grad():
        assert_matches_pytorch(fused(x), model, x)


def test_conv_feeding_a_shortcut_too_is_not_folded() -> None:
    """Pairs come from the data flow: a conv output read twice keeps its batch norm."""

    class Tapped(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 3, 3, padding=1, bias=False)
            self.bn = nn.BatchNorm2d(3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = self.conv(x)
            return self.bn(out) + out

    model = Tapped().eval()
    assert conv_bn_pairs(model) == []
    assert batch_norms(fuse_bn(model)) == 1


def test_fused_state_dict_keeps_the_layout() -> None:
    """Folding drops each folded batch norm's entries and gives its conv a bias; no more."""
    model = resgen.build_model(spec_path("resnet50"))
    pairs = conv_bn_pairs(model)
    assert ("conv1", "bn1") in pairs and ("layer1.0.downsample.0", "layer1.0.downsample.1") in pairs
    folded = {bn for _, bn in pairs}
    expected = {k for k in model.state_dict() if k.rpartition(".")[0] not in folded}
    expected |= {f"{conv}.bias" for conv, _ in pairs}
    assert set(fuse_bn(model).state_dict()) == expected


def test_fused_module_scripts_and_exports() -> None:
    spec = spec_path("cifar10/resnet56_a")
    fused = fuse_bn(calibrated(spec))
    x = example_input(spec, seed=5)
    with torch.no_grad():
        expected = fused(x)
        torch.testing.assert_close(torch.jit.script(fused)(x), expected)
        torch.testing.assert_close(torch.export.export(fused, (x,)).module()(x), expected)


def test_cli_exports_torchscript(tmp_path: Path) -> None:
    spec = spec_path("cifar10/resnet20_a")
    model = resgen.build_model(spec).eval()
    weights = tmp_path / "weights.pth"
    torch.save(model.state_dict(), weights)
    target = tmp_path / "r20.pt"
    result = resgen_cli("export", str(spec), "-f", "torchscript", "-o", str(target),
                        "--weights", str(weights))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"wrote {target}" in result.stdout
    loaded = torch.jit.load(str(target))
    assert not loaded.training
    x = example_input(spec)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))


@pytest.mark.skipif(not HAS_ORT, reason="onnx and onnxruntime are a test extra")
def test_cli_exports_fused_onnx_by_default_into_build(tmp_path: Path) -> None:
    import onnx

    result = resgen_cli("export", str(spec_path("cifar10/highway20")), "--fuse-bn", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    target = tmp_path / "build" / "cifar_highway20.onnx"
    assert "batch norm folded" in result.stdout and target.is_file()
    proto = onnx.load(str(target))
    onnx.checker.check_model(proto)
    assert "BatchNormalization" not in {node.op_type for node in proto.graph.node}


def test_cli_spec_error_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ninput: [3, 32, 32]\nstages:\n  - {blocks: 2, width: 16, block: x}\n")
    result = resgen_cli("export", str(bad), "-o", str(tmp_path / "bad.onnx"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_cli_wrong_weights_exit_2_and_write_nothing(tmp_path: Path) -> None:
    weights = tmp_path / "other.pth"
    torch.save(resgen.build_model(spec_path("cifar10/resnet20_b")).state_dict(), weights)
    target = tmp_path / "r20.onnx"
    result = resgen_cli("export", str(spec_path("cifar10/resnet20_a")), "-o", str(target),
                        "--weights", str(weights))  # fmt: skip
    assert result.returncode == 2
    assert "cannot load weights" in result.stderr and "Unexpected key" in result.stderr
    assert "Traceback" not in result.stderr and not target.exists()
