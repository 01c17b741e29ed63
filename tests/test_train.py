"""`resgen train`: what a run writes, determinism, resume, divergence and the errors.

Runs are one or two epochs of a ResNet-8 (`params.n=1`) on `synthetic` or `digits`.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from resgen.errors import SpecError
from resgen.train.config import resolve_config
from resgen.train.loop import COLUMNS, RunRequest, read_metrics, train_run
from resgen.train.plan import plan_single
from tests.conftest import SPECS

RESNET = str(SPECS / "cifar10" / "resnet20_a.yaml")
SMALL = ("--set", "params.n=1")


def resgen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resgen", *args], capture_output=True, text=True, cwd=cwd
    )


def metrics(folder: Path) -> list[dict[str, str]]:
    with open(folder / "metrics.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def without_time(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """A run's metrics but its wall time (the one column two identical runs may differ in)."""
    return [{k: v for k, v in row.items() if k != "epoch_s"} for row in rows]


def plan(tmp_path: Path, *sets: str, resume: bool = False, **flags: object) -> RunRequest:
    flags = {"data": "synthetic", "epochs": 2, "threads": 1} | flags
    return plan_single(RESNET, ["params.n=1", *sets], flags, tmp_path, resume).request


def test_a_run_writes_its_files(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = resgen("train", RESNET, *SMALL, "--data", "synthetic", "--epochs", "2", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "epoch 2/2" in result.stderr and "done: train err" in result.stderr
    names = {"config.json", "model.py", "metrics.csv", "last.pt", "best.pt", "done"}
    assert {p.name for p in out.iterdir()} == names
    rows = metrics(out)
    assert list(rows[0]) == list(COLUMNS) and [r["epoch"] for r in rows] == ["1", "2"]
    assert all(0 <= float(r[k]) <= 1 for r in rows for k in ("train_err", "test_err"))
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["epochs"] == 2 and config["train"]["seed"] == 0
    assert config["data"]["name"] == "synthetic" and len(config["data"]["sha256"]) == 16
    assert config["spec"]["input"] == [1, 8, 8]  # the network follows the data
    assert config["versions"]["torch"] == torch.__version__
    namespace: dict[str, object] = {}
    exec(compile((out / "model.py").read_text(), "model.py", "exec"), namespace)
    model = namespace["build"]()  # type: ignore[operator]
    assert sum(p.numel() for p in model.parameters()) == config["params"]
    state = torch.load(out / "last.pt", weights_only=False)
    assert state["epoch"] == 2 and {"model", "optimizer", "scheduler", "rng"} <= set(state)


def test_the_schedule_warms_up_then_steps_down(tmp_path: Path) -> None:
    request = plan(tmp_path, epochs=6, warmup=2, milestones=[4, 5], batch_size=256)
    outcome = train_run(request)
    lrs = [row["lr"] for row in outcome.rows]
    # 512 images, batch 256: two steps an epoch; the last step's rate of each epoch
    assert lrs == pytest.approx([0.05, 0.1, 0.1, 0.1, 0.01, 0.001])


def test_same_seed_same_metrics(tmp_path: Path) -> None:
    first = train_run(plan(tmp_path / "a"))
    second = train_run(plan(tmp_path / "b"))
    assert first.rows and first.status == "done"
    text = [without_time(metrics(tmp_path / name)) for name in ("a", "b")]
    assert text[0] == text[1]
    other = train_run(plan(tmp_path / "c", seed=1))
    assert [r["train_loss"] for r in other.rows] != [r["train_loss"] for r in second.rows]


def test_resume_after_an_interruption_ends_as_an_uninterrupted_run(tmp_path: Path) -> None:
    whole = train_run(plan(tmp_path / "whole", epochs=3, augment=True))

    def interrupt(row: dict[str, float]) -> None:
        if row["epoch"] == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_run(plan(tmp_path / "cut", epochs=3, augment=True), interrupt)
    assert len(read_metrics(tmp_path / "cut" / "metrics.csv")) == 1
    assert not (tmp_path / "cut" / "done").exists()
    resumed = train_run(plan(tmp_path / "cut", epochs=3, augment=True, resume=True))
    assert resumed.status == "done" and len(resumed.rows) == 3
    assert without_time(metrics(tmp_path / "cut")) == without_time(metrics(tmp_path / "whole"))
    assert whole.rows[-1]["test_err"] == resumed.rows[-1]["test_err"]


@pytest.mark.slow
def test_sigint_then_resume_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ("train", RESNET, *SMALL, "--data", "digits", "--threads", "1", "-o", str(out))
    process = subprocess.Popen(
        [sys.executable, "-m", "resgen", *args, "--epochs", "8"],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (out / "last.pt").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "--resume continues" in stderr and "Traceback" not in stderr
    done_before = len(metrics(out))
    assert 1 <= done_before < 8
    again = resgen(*args, "--epochs", "8")
    assert again.returncode == 2 and "already holds a run" in again.stderr
    resumed = resgen(*args, "--epochs", "8", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert [int(r["epoch"]) for r in metrics(out)] == list(range(1, 9))
    changed = resgen(*args, "--epochs", "8", "--resume", "--lr", "0.5")
    assert changed.returncode == 2
    assert "other settings: lr 0.1 → 0.5\n" in changed.stderr  # not "the spec" as well


def test_a_diverging_run_stops_with_a_clear_message(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = resgen(
        "train",
        RESNET,
        *SMALL,
        "--data",
        "synthetic",
        "--lr",
        "1e6",
        "--epochs",
        "3",
        "-o",
        str(out),
    )
    assert result.returncode == 1
    assert "diverged in epoch 1" in result.stderr and "lower --lr" in result.stderr
    assert "Traceback" not in result.stderr
    assert (out / "diverged").is_file() and not (out / "done").exists()


def test_the_spec_train_section_is_used_and_flags_win(tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    text = Path(RESNET).read_text() + "train: {data: synthetic, epochs: 1, lr: 0.05}\n"
    spec.write_text(text)
    request = plan_single(spec, ["params.n=1"], {}, tmp_path / "a").request
    assert (request.config.data, request.config.epochs, request.config.lr) == ("synthetic", 1, 0.05)
    request = plan_single(spec, ["params.n=1"], {"lr": 0.2}, tmp_path / "b").request
    assert request.config.lr == 0.2 and request.config.milestones == ()  # 1 epoch: none


def test_default_milestones_are_half_and_three_quarters() -> None:
    from resgen.spec.schema import TrainSettings

    config = resolve_config(TrainSettings(data="digits", epochs=30))
    assert config.milestones == (15, 22)


def test_mistakes_are_located_and_exit_2(tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text(Path(RESNET).read_text() + "train:\n  data: synthetic\n  epoks: 3\n")
    result = resgen("train", str(spec), "-o", str(tmp_path / "a"))
    assert result.returncode == 2
    assert (
        f"{spec}:23:3: train.epoks: unknown key 'epoks' (did you mean 'epochs'?)" in result.stderr
    )
    result = resgen("train", RESNET, "--data", "synthetic", "--epochs", "0", "-o", str(tmp_path))
    assert result.returncode == 2 and "--epochs 0: " in result.stderr
    result = resgen("train", RESNET, "--data", "mnist-ish", "-o", str(tmp_path / "b"))
    assert result.returncode == 2 and "known: digits, fashion-mnist" in result.stderr
    result = resgen("train", RESNET, "-o", str(tmp_path / "c"))
    assert result.returncode == 2 and "no data set to train on" in result.stderr
    assert not any((tmp_path / name).exists() for name in "abc")


def test_a_spec_that_cannot_run_on_the_data_fails_at_its_layer(tmp_path: Path) -> None:
    """A 32×32 stem with an unpadded 11×11 conv has nothing left of an 8×8 digit."""
    out = tmp_path / "run"
    wide = ("--set", "stem[0].conv.kernel=11", "--set", "stem[0].conv.padding=0")
    result = resgen("train", RESNET, *wide, "--data", "digits", "-o", str(out))
    assert result.returncode == 2, result.stderr
    assert "resnet20_a.yaml:9:" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3
    assert not out.exists()


def test_an_unwritable_output_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for out in (blocker, blocker / "under"):
        result = resgen("train", RESNET, *SMALL, "--data", "synthetic", "-o", str(out))
        assert result.returncode == 2
        assert result.stderr.startswith(f"error: cannot write to {out}: {blocker} is a file")
        assert len(result.stderr.splitlines()) == 1
    assert blocker.read_text() == "x"


def test_bf16_and_channels_last_run_on_the_cpu(tmp_path: Path) -> None:
    outcome = train_run(plan(tmp_path, epochs=1, amp="bf16", channels_last=True))
    assert outcome.status == "done" and 0 <= outcome.rows[0]["test_err"] <= 1


def test_device_cuda_without_one_is_refused(tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: the GPU path is exercised instead")
    result = resgen(
        "train",
        RESNET,
        *SMALL,
        "--data",
        "synthetic",
        "--device",
        "cuda",
        "-o",
        str(tmp_path / "r"),
    )
    assert result.returncode == 2 and "no CUDA device" in result.stderr


def test_train_imports_torch_only_when_training() -> None:
    code = "import sys, resgen.train.plan, resgen.train.config; print('torch' in sys.modules)"
    env = dict(os.environ)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.stdout.strip() == "False", result.stderr


def test_training_without_a_data_set_is_refused() -> None:
    with pytest.raises(SpecError, match="no data set to train on"):
        resolve_config(None)


def test_the_train_section_never_changes_the_emitted_code() -> None:
    import resgen

    text = Path(RESNET).read_text()
    trained = text + "train: {data: digits, epochs: 3, lr: 0.05}\n"
    assert resgen.generate_code(trained) == resgen.generate_code(text)
