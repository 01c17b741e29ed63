"""The Ray runner: a sweep's runs as Ray Tune trials, for studies that outgrow one machine.

Each trial calls the same `train_run` as the local pool and reports every epoch
to Tune with a checkpoint of its run folder, so Tune's schedulers (`--scheduler
asha` stops weak variants early) and `Tuner.restore` (`--resume`) work on it.
Ray is an optional extra (`pip install 'resgen[ray]'`), imported only here.

Trials write their run folders under `-o` as the local runner does; on a cluster
of several machines `-o` must be a folder every node sees (a shared file system),
or results are found only in Tune's checkpoints.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from resgen.train.loop import RunOutcome, RunRequest, mark_done, read_outcome
from resgen.train.pool import with_threads
from resgen.variants.run import available_cores

EXPERIMENT = "tune"


class RayMissing(Exception):
    pass


def require_ray() -> None:
    try:
        import ray  # noqa: F401
        from ray import tune  # noqa: F401
    except ImportError:
        raise RayMissing(
            "--runner ray needs Ray Tune, an optional extra\n"
            "  hint: pip install 'resgen[ray]'  (or: pip install 'ray[tune]')"
        ) from None


def _trial(config: dict[str, Any], runs: Sequence[RunRequest]) -> None:
    """One Tune trial: train run `config["index"]`, reporting each epoch with a checkpoint."""
    from ray import tune

    from resgen.train.loop import train_run

    run = runs[config["index"]]
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None and not (run.out / "last.pt").exists():
        checkpoint.to_directory(str(run.out))  # restored on a node that lacks the folder

    def report(row: dict[str, float]) -> None:
        metrics = dict(row) | {"variant": run.name, "seed": run.config.seed}
        tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(str(run.out)))

    outcome = train_run(replace(run, resume=True), report)
    if outcome.status == "diverged":
        tune.report({"diverged": 1, "test_err": 1.0})


def run_ray(
    runs: Sequence[RunRequest],
    folder: Path,
    *,
    jobs: int | None = None,
    address: str | None = None,
    scheduler: str = "none",
    resume: bool = False,
) -> list[RunOutcome]:
    """Train `runs` as Tune trials (on a local Ray, or the cluster at `address`)."""
    require_ray()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("RAY_CHDIR_TO_TRIAL_DIR", "0")
    import ray
    from ray import tune

    runs = [replace(run, out=run.out.resolve()) for run in runs]  # trials run elsewhere
    cores = available_cores()
    runs = with_threads(runs, max(1, min(jobs or cores, len(runs))))
    threads = max(run.config.threads or 1 for run in runs)
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False)
    try:
        trainable = tune.with_resources(tune.with_parameters(_trial, runs=runs), {"cpu": threads})
        storage = (folder / "ray").resolve()
        tuner = _tuner(tune, trainable, runs, storage, scheduler, resume)
        grid = tuner.fit()
        errors = {
            result.config["index"]: result.error
            for result in grid
            if result.error is not None and result.config
        }
    finally:
        ray.shutdown()
    return [
        RunOutcome("failed", read_outcome(run.out).rows, message=str(errors[i]).splitlines()[-1])
        if i in errors
        else _finished(run)
        for i, run in enumerate(runs)
    ]


def _finished(run: RunRequest) -> RunOutcome:
    """The run's outcome. A scheduler that stops a trial at its last epoch (ASHA at
    `max_t`) ends it before `train_run` writes `done`: such a run is complete."""
    outcome = read_outcome(run.out)
    if outcome.status == "stopped" and len(outcome.rows) >= run.config.epochs:
        mark_done(run.out, outcome.wall_s)
        outcome = read_outcome(run.out)
    return outcome


def _tuner(
    tune: Any,
    trainable: Any,
    runs: Sequence[RunRequest],
    storage: Path,
    scheduler: str,
    resume: bool,
) -> Any:
    path = storage / EXPERIMENT
    if resume and tune.Tuner.can_restore(str(path)):
        return tune.Tuner.restore(
            str(path), trainable=trainable, resume_unfinished=True, resume_errored=True
        )
    tune_config = tune.TuneConfig(scheduler=_scheduler(scheduler, runs), reuse_actors=False)
    run_config = tune.RunConfig(
        name=EXPERIMENT,
        storage_path=str(storage),
        verbose=0,
        checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
    )
    return tune.Tuner(
        trainable,
        param_space={"index": tune.grid_search(list(range(len(runs))))},
        tune_config=tune_config,
        run_config=run_config,
    )


def _scheduler(name: str, runs: Sequence[RunRequest]) -> Any:
    if name == "none":
        return None
    from ray.tune.schedulers import ASHAScheduler

    epochs = max(run.config.epochs for run in runs)
    return ASHAScheduler(
        time_attr="training_iteration",
        metric="test_err",
        mode="min",
        max_t=epochs,
        grace_period=max(1, epochs // 10),
        reduction_factor=3,
    )
