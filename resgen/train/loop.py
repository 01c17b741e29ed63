"""One training run: the emitted module, SGD with warm-up and step decay, per-epoch errors.

`train_run` is the one per-run function behind `resgen train`, the local sweep
pool, Ray Tune trials and `torchrun` (DDP). It writes, in its folder:
config.json, model.py, metrics.csv (one row per epoch), last.pt (every epoch,
atomically), best.pt, and a `done` (or `diverged`) marker. With `resume` it
continues from last.pt and ends with the same metrics as an uninterrupted run.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resgen.outputs import check_targets, write_all
from resgen.train.config import EXECUTION_ONLY, TrainConfig
from resgen.train.data import DataSet, load_data

COLUMNS = ("epoch", "lr", "train_loss", "train_err", "test_loss", "test_err", "epoch_s")
MARKERS = ("done", "diverged")
RUN_FILES = ("config.json", "model.py", "metrics.csv", "last.pt", "best.pt", *MARKERS)
CHECK_EVERY = 20  # steps between checks for a non-finite loss (each check syncs a GPU)
EVAL_BATCH = 1024


class RunError(Exception):
    """A run that cannot start (its folder, device or settings); exit code 2."""


class Diverged(Exception):
    """The loss became NaN or infinite."""


@dataclass(frozen=True)
class RunRequest:
    """Everything a run needs, picklable (it crosses process and Ray boundaries)."""

    name: str  # the network's name (a sweep's variant)
    code: str  # the emitted module that is trained
    spec: dict[str, Any]  # the resolved spec, for config.json
    config: TrainConfig
    out: Path
    params: int = 0
    macs: int = 0
    resume: bool = False


@dataclass
class RunOutcome:
    status: str  # done, diverged
    rows: list[dict[str, float]] = field(default_factory=list)
    wall_s: float = 0.0
    message: str = ""

    @property
    def final(self) -> dict[str, float]:
        return self.rows[-1] if self.rows else {}


EpochCallback = Callable[[dict[str, float]], None]


def prepare_torch(threads: int | None) -> Any:
    """Import torch with OpenMP threads that yield the core when idle.

    OMP_WAIT_POLICY is read once, when torch loads its OpenMP runtime; set later it
    does nothing. With other processes on the same cores the default spin-waiting
    was the largest single slowdown measured (TRAINING.md).
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import warnings

    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
    import torch

    if threads:
        torch.set_num_threads(threads)
    return torch


def train_run(request: RunRequest, on_epoch: EpochCallback | None = None) -> RunOutcome:
    """Train `request` to the end (or to divergence); RunError if it cannot start."""
    config = request.config
    torch = prepare_torch(config.threads)
    dist = Distributed.from_env(torch)
    device = pick_device(torch, config.device, dist)
    out = request.out
    state = _start_state(request)
    dist.barrier()  # every process has looked at the folder before rank 0 writes to it
    if state is not None and state.get("finished"):
        return read_outcome(out)
    data = load_data(config.data, config.data_dir)
    trainer = Trainer(torch, request, data, device, dist)
    if state is not None:
        trainer.restore(state)
    elif dist.rank == 0:
        write_all(
            {
                out / "config.json": run_config(request, data, device, dist.world),
                out / "model.py": request.code,
            }
        )
    try:
        trainer.run(on_epoch)
    except Diverged as exc:
        if dist.rank == 0:
            write_all({out / "diverged": str(exc) + "\n"})
        return RunOutcome("diverged", trainer.rows, trainer.wall_s, str(exc))
    finally:
        dist.close()
    if dist.rank == 0:
        mark_done(out, trainer.wall_s)
    return RunOutcome("done", trainer.rows, trainer.wall_s)


def mark_done(out: Path, wall_s: float) -> None:
    """The `done` marker: the run is complete; it holds the training wall time."""
    write_all({out / "done": json.dumps({"wall_s": round(wall_s, 3)}) + "\n"})


def check_folder(request: RunRequest) -> bool:
    """Make sure the run can write its folder; whether it holds a run to resume.

    OutputError (exit 2) for a folder that cannot be written (`write_all`'s own check);
    RunError (exit 2) for a finished or started run there without `resume`, or with
    other settings.
    """
    out = request.out
    check_targets(out / name for name in RUN_FILES)
    present = [name for name in RUN_FILES if (out / name).exists()]
    if present and not request.resume:
        raise RunError(
            f"{out} already holds a run ({', '.join(present)})\n"
            "  hint: --resume continues it; or choose another -o"
        )
    if present:
        _same_settings(request, out)
    return bool(present)


def _start_state(request: RunRequest) -> dict[str, Any] | None:
    """With `resume`, the checkpoint to continue from (if any); see `check_folder`."""
    if not check_folder(request):
        return None
    out = request.out
    if (out / "done").exists() or (out / "diverged").exists():
        return {"finished": True}
    if not (out / "last.pt").exists():
        return None  # stopped before its first epoch ended: start afresh
    import torch

    return torch.load(out / "last.pt", map_location="cpu", weights_only=False)


def _same_settings(request: RunRequest, out: Path) -> None:
    """A resumed run must continue what was started: same spec, data and hyper-parameters."""
    try:
        before = json.loads((out / "config.json").read_text())
    except (OSError, ValueError):
        return
    now = request.config.to_json()
    changed = [
        f"{key} {before['train'].get(key)!r} → {value!r}"
        for key, value in now.items()
        if key not in EXECUTION_ONLY and before.get("train", {}).get(key) != value
    ]
    if _without_train(before.get("spec")) != _without_train(request.spec):
        changed.append("the spec")
    if changed:
        raise RunError(
            f"{out} holds a run started with other settings: {'; '.join(changed)}\n"
            "  hint: resume with the same settings, or train into another -o"
        )


def _without_train(spec: Any) -> Any:
    """A spec but its `train:` section (whose settings are compared one by one)."""
    return {k: v for k, v in spec.items() if k != "train"} if isinstance(spec, dict) else spec


def read_outcome(out: Path, unfinished: str = "stopped") -> RunOutcome:
    """What the run folder `out` says: done, diverged, or `unfinished` (no marker)."""
    rows = read_metrics(out / "metrics.csv")
    wall = sum(row["epoch_s"] for row in rows)
    if (out / "diverged").exists():
        return RunOutcome("diverged", rows, wall, (out / "diverged").read_text().strip())
    if (out / "done").exists():
        return RunOutcome("done", rows, json.loads((out / "done").read_text())["wall_s"])
    return RunOutcome(unfinished, rows, wall)


def read_metrics(path: Path) -> list[dict[str, float]]:
    if not path.exists():
        return []
    with open(path, newline="") as handle:
        return [
            {k: int(v) if k == "epoch" else float(v) for k, v in row.items()}
            for row in csv.DictReader(handle)
        ]


def metrics_csv(rows: list[dict[str, float]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(key, row[key]) for key in COLUMNS])
    return buffer.getvalue()


def _cell(key: str, value: float) -> str:
    if key == "epoch":
        return str(int(value))
    if key == "epoch_s":
        return f"{value:.3f}"
    if key == "lr":
        return f"{value:.10g}"
    return repr(float(value))  # exact: two identical runs give identical text


def run_config(request: RunRequest, data: DataSet, device: Any, processes: int) -> str:
    import numpy
    import torch

    from resgen import __version__

    record = {
        "name": request.name,
        "train": request.config.to_json(),
        "data": data.describe(),
        "device": str(device),
        "processes": processes,  # > 1 under torchrun: DistributedDataParallel
        "params": request.params,
        "macs": request.macs,
        "versions": {
            "resgen": __version__,
            "torch": torch.__version__,
            "numpy": numpy.__version__,
            "python": sys.version.split()[0],
        },
        "spec": request.spec,
    }
    return json.dumps(record, indent=2) + "\n"


def pick_device(torch: Any, wanted: str, dist: Distributed) -> Any:
    if wanted == "cuda" or (wanted == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise RunError("--device cuda: no CUDA device is available here (torch sees none)")
        return torch.device("cuda", dist.local_rank)
    return torch.device("cpu")


@dataclass
class Distributed:
    """The process group under `torchrun`; a single process otherwise."""

    torch: Any
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @classmethod
    def from_env(cls, torch: Any) -> Distributed:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls(torch)
        import torch.distributed as td

        if not td.is_initialized():
            td.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        return cls(torch, td.get_rank(), world, int(os.environ.get("LOCAL_RANK", "0")))

    def sum(self, values: list[float]) -> list[float]:
        """Add `values` over every process."""
        if self.world == 1:
            return values
        tensor = self.torch.tensor(values, dtype=self.torch.float64)
        self.torch.distributed.all_reduce(tensor)
        return tensor.tolist()

    def barrier(self) -> None:
        if self.world > 1:
            self.torch.distributed.barrier()

    def close(self) -> None:
        if self.world > 1 and self.torch.distributed.is_initialized():
            self.torch.distributed.destroy_process_group()


class Trainer:
    """The model, optimiser, schedule and data of one run, and its epoch loop."""

    def __init__(
        self, torch: Any, request: RunRequest, data: DataSet, device: Any, dist: Distributed
    ) -> None:
        from resgen.codegen.execute import module_from_source

        self.torch, self.request, self.config, self.dist = torch, request, request.config, dist
        self.device, self.out = device, request.out
        config = self.config
        torch.manual_seed(config.seed)
        random.seed(config.seed)
        self.memory = torch.channels_last if config.channels_last else torch.contiguous_format
        self.model = module_from_source(request.code, request.name).build()
        self.model = self.model.to(device=device, memory_format=self.memory)
        self.net = self.model
        if dist.world > 1:
            ids = [dist.local_rank] if device.type == "cuda" else None
            self.net = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        if config.compile:
            self.net = torch.compile(self.net)
        self.optimizer = torch.optim.SGD(
            self.model.parameters(),
            lr=config.lr,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
        )
        self.steps_per_epoch = math.ceil(len(data.y_train) / dist.world / self._local_batch())
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self.lr_factor)
        self.x_train, self.y_train = self._tensors(data.x_train, data.y_train)
        self.x_test, self.y_test = self._tensors(data.x_test, data.y_test)
        self.epoch = 0
        self.rows: list[dict[str, float]] = []
        self.best_err = math.inf
        self.wall_s = 0.0  # the epochs' time, those before a resume included

    def _local_batch(self) -> int:
        return max(1, self.config.batch_size // self.dist.world)

    def _tensors(self, x: Any, y: Any) -> tuple[Any, Any]:
        torch = self.torch
        images = torch.from_numpy(x).to(self.device).contiguous(memory_format=self.memory)
        return images, torch.from_numpy(y).to(self.device)

    def lr_factor(self, step: int) -> float:
        """Linear warm-up over `warmup` epochs, then ÷10 at each milestone epoch."""
        config = self.config
        epoch = step // self.steps_per_epoch  # 0-based epoch of this step
        warm = config.warmup * self.steps_per_epoch
        factor = (step + 1) / warm if step < warm else 1.0
        return factor * 0.1 ** sum(epoch >= m for m in config.milestones)

    def restore(self, state: dict[str, Any]) -> None:
        torch = self.torch
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"]["torch"])
        if state["rng"].get("cuda") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
        random.setstate(state["rng"]["python"])
        self.epoch, self.rows = state["epoch"], state["rows"]
        self.best_err, self.wall_s = state["best_err"], state["wall_s"]

    def run(self, on_epoch: EpochCallback | None) -> None:
        while self.epoch < self.config.epochs:
            started = time.perf_counter()
            lr = self.train_epoch()
            train_loss, train_err = self.evaluate(self.x_train, self.y_train)
            test_loss, test_err = self.evaluate(self.x_test, self.y_test)
            if not all(map(math.isfinite, (train_loss, test_loss))):
                raise Diverged(self._diverged_message("the evaluation loss"))
            self.epoch += 1
            row = {
                "epoch": self.epoch,
                "lr": lr,
                "train_loss": train_loss,
                "train_err": train_err,
                "test_loss": test_loss,
                "test_err": test_err,
                "epoch_s": time.perf_counter() - started,
            }
            self.rows.append(row)
            self.wall_s += row["epoch_s"]
            if self.dist.rank == 0:
                self.save(test_err)
            if on_epoch is not None:
                on_epoch(row)

    def train_epoch(self) -> float:
        """One pass over the training set; the learning rate of its last step."""
        torch, config = self.torch, self.config
        self.net.train()
        order = self._order()
        batch = self._local_batch()
        total = torch.zeros((), device=self.device)
        augment = self._augmenter() if config.augment else None
        lr = self.optimizer.param_groups[0]["lr"]
        for step, start in enumerate(range(0, len(order), batch)):
            index = order[start : start + batch]
            x, y = self.x_train[index], self.y_train[index]
            if augment is not None:
                x = augment(x)
            with self._autocast():
                loss = torch.nn.functional.cross_entropy(self.net(x), y)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            lr = self.optimizer.param_groups[0]["lr"]
            self.optimizer.step()
            self.scheduler.step()
            total += loss.detach()
            if (step + 1) % CHECK_EVERY == 0 and not torch.isfinite(total):
                raise Diverged(self._diverged_message(f"the training loss at step {step + 1}"))
        if not torch.isfinite(total):
            raise Diverged(self._diverged_message("the training loss"))
        return lr

    def _diverged_message(self, what: str) -> str:
        return (
            f"diverged in epoch {self.epoch + 1}: {what} is not finite (lr {self.config.lr:g}); "
            "try a lower --lr or a longer --warmup"
        )

    def _order(self) -> Any:
        """This process's sample order for the epoch: a function of (seed, epoch) only,
        so a resumed run sees exactly the batches the uninterrupted one would."""
        from torch.utils.data import DistributedSampler

        sampler = DistributedSampler(
            range(len(self.y_train)),
            num_replicas=self.dist.world,
            rank=self.dist.rank,
            shuffle=True,
            seed=self.config.seed,
        )
        sampler.set_epoch(self.epoch)
        return self.torch.tensor(list(sampler), device=self.device)

    def _augmenter(self) -> Callable[[Any], Any]:
        """Random crops of the image padded by an eighth of its size (4 px at 32 px, as in
        the paper) and horizontal flips, seeded by (seed, epoch, rank)."""
        torch = self.torch
        generator = torch.Generator().manual_seed(
            self.config.seed * 1_000_003 + self.epoch * 1_009 + self.dist.rank
        )
        size = self.x_train.shape[-1]
        pad = max(1, size // 8)

        def augment(x: Any) -> Any:
            n = x.shape[0]
            padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))
            dy, dx = torch.randint(0, 2 * pad + 1, (2, n), generator=generator).tolist()
            crops = [
                padded[i, :, a : a + size, b : b + size]
                for i, (a, b) in enumerate(zip(dy, dx, strict=True))
            ]
            out = torch.stack(crops)
            flip = torch.rand(n, generator=generator) < 0.5
            out[flip] = out[flip].flip(-1)
            return out.contiguous(memory_format=self.memory)

        return augment

    def _autocast(self) -> Any:
        import contextlib

        if self.config.amp != "bf16":
            return contextlib.nullcontext()
        return self.torch.autocast(self.device.type, dtype=self.torch.bfloat16)

    def evaluate(self, x: Any, y: Any) -> tuple[float, float]:
        """Mean loss and error (a fraction) over this split, in eval mode.

        Each process takes every world-th image; the plain module, not its DDP wrapper,
        runs them (the wrapper's buffer broadcasts would wait on uneven shards).
        """
        torch = self.torch
        self.model.eval()
        shard = range(self.dist.rank, len(y), self.dist.world)
        loss_sum = wrong = 0.0
        with torch.no_grad(), self._autocast():
            for start in range(0, len(shard), EVAL_BATCH):
                index = torch.tensor(shard[start : start + EVAL_BATCH], device=self.device)
                logits = self.model(x[index]).float()
                target = y[index]
                loss = torch.nn.functional.cross_entropy(logits, target, reduction="sum")
                loss_sum += loss.item()
                wrong += (logits.argmax(1) != target).sum().item()
        loss_sum, wrong = self.dist.sum([loss_sum, wrong])
        return loss_sum / len(y), wrong / len(y)

    def save(self, test_err: float) -> None:
        """last.pt every epoch, best.pt when the test error is the lowest yet, metrics.csv."""
        torch = self.torch
        state = {
            "epoch": self.epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "rng": {
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
                "python": random.getstate(),
            },
            "rows": self.rows,
            "best_err": min(self.best_err, test_err),
            "wall_s": self.wall_s,
        }
        files: dict[Path, str | bytes] = {self.out / "last.pt": _saved(torch, state)}
        if test_err < self.best_err:
            self.best_err = test_err
            best = {"epoch": self.epoch, "model": state["model"], "test_err": test_err}
            files[self.out / "best.pt"] = _saved(torch, best)
        files[self.out / "metrics.csv"] = metrics_csv(self.rows)
        write_all(files)


def _saved(torch: Any, state: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()
