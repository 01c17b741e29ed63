"""Training that takes minutes: Ray Tune, DDP under torchrun, and the paper's degradation
result on digits (plain-56 trains worse than plain-20; ResNet-56 does not)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SPECS, need
from tests.test_train_sweep import results as sweep_results
from tests.test_train_sweep import write_sweep

pytestmark = pytest.mark.slow
RESNET = str(SPECS / "cifar10" / "resnet20_a.yaml")


def resgen(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resgen", *args], capture_output=True, text=True, env=env
    )


def results(folder: Path) -> dict[str, dict[str, str]]:
    return {row["variant"]: row for row in sweep_results(folder)}


def tiny_sweep(folder: Path) -> Path:
    return write_sweep(folder, "{data: synthetic, epochs: 2}")


def test_ray_runner_trains_every_variant_and_resumes(tmp_path: Path) -> None:
    need("ray")
    sweep, out = tiny_sweep(tmp_path), tmp_path / "out"
    result = resgen("sweep", str(sweep), "--train", "--runner", "ray", "-o", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = results(out)
    assert set(rows) == {"plain8", "resnet8"}
    assert all(row["status"] == "done" and row["epochs"] == "2" for row in rows.values())
    assert (out / "ray" / "tune").is_dir()  # Tune's own records and checkpoints
    assert (out / "curves.png").is_file()
    resumed = resgen("sweep", str(sweep), "--train", "--runner", "ray", "--resume", "-o", str(out))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert results(out) == rows  # finished trials are not run again


def test_ray_asha_scheduler_runs(tmp_path: Path) -> None:
    need("ray")
    sweep, out = tiny_sweep(tmp_path), tmp_path / "out"
    args = ("--runner", "ray", "--scheduler", "asha", "--epochs", "3", "-o", str(out))
    result = resgen("sweep", str(sweep), "--train", *args)
    assert result.returncode == 0, result.stderr[-3000:]
    statuses = {row["status"] for row in results(out).values()}
    assert statuses <= {"done", "stopped"} and "done" in statuses


def test_train_under_torchrun_with_two_processes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "resgen", "train", RESNET, "--set", "params.n=1", "--data", "synthetic",
        "--epochs", "2", "--threads", "1", "-o", str(out),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    config = json.loads((out / "config.json").read_text())
    assert config["processes"] == 2
    with open(out / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["epoch"] for row in rows] == ["1", "2"]  # rank 0 alone writes
    assert float(rows[-1]["train_err"]) < 0.5  # the ranks learned together


def test_the_degradation_study_shows_the_paper_effect(tmp_path: Path) -> None:
    """specs/sweeps/degradation.yaml at one seed: 4 runs of 30 epochs on digits."""
    out = tmp_path / "out"
    sweep = str(SPECS / "sweeps" / "degradation.yaml")
    result = resgen("sweep", sweep, "--train", "--seeds", "0", "-j", "2", "-o", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    final = {name: float(row["final_train_err"]) for name, row in results(out).items()}
    assert final["plain56"] > final["plain20"] + 0.05, final  # deeper plain: trains worse
    assert final["resnet56"] <= final["resnet20"] + 0.01, final  # deeper residual: does not
    assert (out / "curves.png").stat().st_size > 10_000
