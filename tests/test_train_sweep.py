"""`resgen sweep --train`: every variant at every seed, results, curves, resume, failures."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SPECS

BASE = SPECS / "cifar10" / "resnet20_a.yaml"
PNG = b"\x89PNG\r\n\x1a\n"


def resgen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "resgen", *args], capture_output=True, text=True)


def write_sweep(folder: Path, train: str = "{data: synthetic, epochs: 1}", extra: str = "") -> Path:
    path = folder / "study.yaml"
    path.write_text(
        "resgen: 1\n"
        "sweep: tiny_study\n"
        f"base: {BASE}\n"
        "set: {params.n: 1}\n"
        "zip:\n"
        '  name: ["plain{depth}", "resnet{depth}"]\n'
        "  defaults.block: [plain, basic]\n"
        "  defaults.shortcut: [none, A]\n"
        f"train: {train}\n{extra}"
    )
    return path


def results(folder: Path) -> list[dict[str, str]]:
    with open(folder / "results.csv", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    folder = tmp_path_factory.mktemp("sweep")
    sweep = write_sweep(folder)
    out = folder / "out"
    result = resgen("sweep", str(sweep), "--train", "--seeds", "0,1", "-j", "2", "-o", str(out))
    return out, result


def test_every_variant_trains_at_every_seed(
    trained: tuple[Path, subprocess.CompletedProcess],
) -> None:
    out, result = trained
    assert result.returncode == 0, result.stderr
    rows = results(out)
    assert [(r["variant"], r["seed"]) for r in rows] == [
        ("plain8", "0"), ("plain8", "1"), ("resnet8", "0"), ("resnet8", "1")
    ]  # fmt: skip
    assert list(rows[0]) == [
        "variant", "seed", "params", "macs", "final_train_err", "final_test_err",
        "best_test_err", "epochs", "wall_s", "status",
    ]  # fmt: skip
    assert all(r["status"] == "done" and r["epochs"] == "1" for r in rows)
    for variant, seed in (("plain8", 0), ("resnet8", 1)):
        run = out / "runs" / variant / f"seed{seed}"
        assert (run / "done").is_file() and (run / "metrics.csv").is_file()
        assert json.loads((run / "config.json").read_text())["train"]["seed"] == seed


def test_results_json_table_and_curves(trained: tuple[Path, subprocess.CompletedProcess]) -> None:
    out, result = trained
    document = json.loads((out / "results.json").read_text())
    assert document["sweep"] == "tiny_study" and len(document["runs"]) == 4
    families = {v["variant"]: v["family"] for v in document["variants"]}
    assert families == {"plain8": "plain", "resnet8": "residual"}
    plain = next(v for v in document["variants"] if v["variant"] == "plain8")
    errors = [r["final_test_err"] for r in document["runs"] if r["variant"] == "plain8"]
    assert plain["final_test_err"] == pytest.approx(sum(errors) / 2)
    table = (out / "results.md").read_text()
    assert "| plain8 |" in table and " ± " in table
    assert "resnet8" in result.stdout and "±" in result.stdout
    finished = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert len(finished) == 4 and finished[-1].startswith("[4/4] ")  # a line per run
    assert all(": done, train err " in line for line in finished)
    assert (out / "curves.png").read_bytes().startswith(PNG)
    assert (out / "plain8.py").is_file() and (out / "index.json").is_file()  # the build outputs


def test_resume_keeps_finished_runs(
    trained: tuple[Path, subprocess.CompletedProcess], tmp_path: Path
) -> None:
    out, _ = trained
    sweep = write_sweep(tmp_path)
    again = resgen("sweep", str(sweep), "--train", "--seeds", "0,1", "-o", str(out))
    assert again.returncode == 2 and "already holds a trained sweep" in again.stderr
    before = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/*/last.pt")}
    resumed = resgen("sweep", str(sweep), "--train", "--seeds", "0,1", "--resume", "-o", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert {p: p.stat().st_mtime_ns for p in out.glob("runs/*/*/last.pt")} == before
    assert len(results(out)) == 4


def test_a_diverging_variant_does_not_stop_the_others(tmp_path: Path) -> None:
    sweep = tmp_path / "lr.yaml"
    sweep.write_text(
        f"resgen: 1\nsweep: lr_study\nbase: {BASE}\nname: 'lr_{{index}}'\n"
        "set: {params.n: 1}\ngrid:\n  train.lr: [1.0e+6, 0.05]\n"
        "train: {data: synthetic, epochs: 2}\n"
    )
    out = tmp_path / "out"
    result = resgen("sweep", str(sweep), "--train", "-j", "1", "-o", str(out))
    assert result.returncode == 1
    status = {r["variant"]: r["status"] for r in results(out)}
    assert status == {"lr_1": "diverged", "lr_2": "done"}  # the second ran after the first
    assert "DIVERGED lr_1 seed 0: diverged in epoch 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_training_flags_need_train(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path)
    result = resgen("sweep", str(sweep), "--epochs", "3", "-o", str(tmp_path / "o"))
    assert result.returncode == 2 and "--epochs is a training flag: add --train" in result.stderr
    result = resgen(
        "sweep", str(sweep), "--train", "--scheduler", "asha", "-o", str(tmp_path / "o")
    )
    assert result.returncode == 2 and "--scheduler asha needs --runner ray" in result.stderr
    assert not (tmp_path / "o").exists()


def test_a_bad_train_section_is_located(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path, "{data: synthetic, epochs: many}")
    result = resgen("sweep", str(sweep), "--train", "-o", str(tmp_path / "o"))
    assert result.returncode == 2
    assert f"{sweep}:9:" in result.stderr and "train.epochs" in result.stderr
    assert not (tmp_path / "o").exists()
