"""The performance benchmarks run (once, tiny, without torchvision); they measure nothing here."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def run(script: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


def test_bench_models_smoke() -> None:
    out = run("bench_models.py")
    for phase in ("eval", "train"):
        for variant in ("eager", "channels_last", "bf16 autocast", "compile(eager)"):
            assert f"cifar resnet20 b2 {phase} {variant} " in out, out
    assert "cifar resnet20 b2 eval fused-bn" in out and "ratios within 0.98-1.02" in out
    assert "cifar resnet20 b2 eval A/A control" in out
    # the generated module dispatches exactly the hand-written reference's ATen calls
    for phase in ("eval", "train"):
        for variant in ("eager", "channels_last"):
            label = f"cifar resnet20 b2 {phase} {variant}"
            assert f"{label:40s} ATen calls vs reference: identical" in out, out


def test_bench_build_vs_torchvision_smoke() -> None:
    out = run("bench_build_vs_torchvision.py")
    assert "resgen.build_model, first call" in out
    assert "resgen build resnet20_a.yaml" in out or "in process, resnet20_a" in out


def test_bench_train_smoke() -> None:
    out = run("bench_train.py")
    assert "train step: resgen / bare loop" in out and "ratio" in out
    assert "fastest epoch per step: resgen" in out
