"""`resgen train` and `resgen sweep --train`: plan, train, report. Kept out of cli.py.

Exit codes: 0 all runs done; 1 a run diverged or failed on its own merits (the
others still ran); 2 a mistake in the spec, sweep, flags, data or output folder,
found before training; 130 interrupted (`--resume` continues).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from resgen.outputs import check_targets, write_all
from resgen.train.loop import RunOutcome
from resgen.train.results import RunRecord

SWEEP_OUTPUTS = ("results.csv", "results.json", "results.md", "curves.png", "runs")
RUNNERS = ("local", "ray")
SCHEDULERS = ("none", "asha")


class TrainUsageError(Exception):
    """A mistake that is not in a spec: a data set, a folder, a missing extra (exit 2)."""


def require_training_extra() -> None:
    missing = [m for m in ("numpy", "matplotlib") if not _importable(m)]
    if missing:
        raise TrainUsageError(
            f"training needs {' and '.join(missing)}, from the optional extra\n"
            "  hint: pip install 'resgen[train]'"
        )


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def train_command(
    spec: Path, sets: Sequence[str], flags: Mapping[str, Any], out: Path, resume: bool
) -> int:
    from resgen.train.data import DataError
    from resgen.train.loop import RunError, check_folder, train_run
    from resgen.train.plan import plan_single

    require_training_extra()
    try:
        planned = plan_single(spec, sets, flags, out, resume)
        request, data = planned.request, planned.data
        config = request.config
        check_folder(request)
        say(
            f"training {request.name} ({request.params:,} parameters) on {data.name} "
            f"({len(data.y_train):,} train / {len(data.y_test):,} test images, "
            f"{'×'.join(map(str, data.shape))}, {data.classes} classes) for {config.epochs} "
            f"epochs, seed {config.seed}; writing {out}/"
        )
        outcome = train_run(request, lambda row: say(epoch_line(row, config.epochs)))
    except (DataError, RunError) as exc:
        raise TrainUsageError(str(exc)) from None
    final = outcome.final
    if outcome.status != "done":
        say(f"error: {outcome.message}")
        return 1
    best = min(row["test_err"] for row in outcome.rows)
    say(
        f"done: train err {100 * final['train_err']:.2f}%, test err "
        f"{100 * final['test_err']:.2f}% (best {100 * best:.2f}%) after {len(outcome.rows)} "
        f"epochs, {outcome.wall_s:.1f} s; wrote {out}/"
    )
    return 0


def epoch_line(row: Mapping[str, float], epochs: int) -> str:
    return (
        f"epoch {int(row['epoch'])}/{epochs}  lr {row['lr']:.4g}  loss {row['train_loss']:.4f}  "
        f"train err {100 * row['train_err']:.2f}%  test err {100 * row['test_err']:.2f}%  "
        f"{row['epoch_s']:.1f} s"
    )


def say(text: str) -> None:
    """A progress line on stderr; under torchrun, from rank 0 only."""
    if os.environ.get("RANK", "0") == "0":
        print(text, file=sys.stderr, flush=True)


def check_sweep_folder(out: Path, resume: bool) -> None:
    check_targets([out / "results.csv"])  # the folder: writable, no file in the way
    present = [name for name in SWEEP_OUTPUTS if (out / name).exists()]
    if present and not resume:
        raise TrainUsageError(
            f"{out} already holds a trained sweep ({', '.join(present)})\n"
            "  hint: --resume continues it (finished runs are kept); or choose another -o"
        )


def sweep_train_command(
    path: Path,
    out: Path | None,
    sets: Sequence[str],
    flags: Mapping[str, Any],
    *,
    jobs: int | None = None,
    runner: str = "local",
    address: str | None = None,
    scheduler: str = "none",
    resume: bool = False,
) -> int:
    """Build every variant, train each at every seed, write results; the exit code."""
    from resgen.train.config import flag_overrides
    from resgen.train.data import DataError
    from resgen.train.plan import plan_sweep
    from resgen.variants.command import sweep_files
    from resgen.variants.compare import Comparison
    from resgen.variants.sweep import load_sweep

    require_training_extra()
    if runner == "ray":
        from resgen.train.ray_runner import RayMissing, require_ray

        try:
            require_ray()
        except RayMissing as exc:
            raise TrainUsageError(str(exc)) from None
    if address and runner != "ray":
        raise TrainUsageError("--address joins a Ray cluster: use it with --runner ray")
    if scheduler != "none" and runner != "ray":
        raise TrainUsageError("--scheduler asha needs --runner ray")
    try:
        first = load_sweep(path, sets, flag_overrides(flags))
        folder = out or Path("build") / first.name
        check_sweep_folder(folder, resume)
        plan = plan_sweep(first, sets, flags, folder, resume=resume, jobs=jobs)
    except DataError as exc:
        raise TrainUsageError(str(exc)) from None
    sweep = plan.sweep
    comparison = Comparison(sweep.name, sweep.labels, plan.results)
    write_all(sweep_files(sweep, comparison, folder))
    requests = [request for _, request in plan.runs]
    say(
        f"sweep {sweep.name}: {len(plan.results)} variants, {len(requests)} runs on "
        f"{plan.data.name} ({runner} runner); writing {folder}/"
    )
    if runner == "ray":
        from resgen.train.ray_runner import run_ray

        outcomes = run_ray(
            requests, folder, jobs=jobs, address=address, scheduler=scheduler, resume=resume
        )
    else:
        from resgen.train.pool import run_local

        outcomes = run_local(requests, jobs, progress=sys.stderr.isatty())
    records = _records(plan.runs, outcomes)
    _write_results(folder, sweep.name, records, plan.data.describe())
    return _report(sweep.name, comparison, records, folder)


def _records(runs: Sequence[tuple[Any, Any]], outcomes: Sequence[RunOutcome]) -> list[RunRecord]:
    return [
        RunRecord(
            result.name,
            request.config.seed,
            request.params,
            request.macs,
            "residual" if result.joins else "plain",
            outcome,
        )
        for (result, request), outcome in zip(runs, outcomes, strict=True)
    ]


def _write_results(
    folder: Path, name: str, records: list[RunRecord], data: dict[str, object]
) -> None:
    from resgen.train.results import curves_png, results_csv, results_json, results_md

    files: dict[Path, str | bytes] = {
        folder / "results.csv": results_csv(records),
        folder / "results.json": results_json(name, records, data),
        folder / "results.md": results_md(records),
    }
    if any(record.outcome.rows for record in records):
        files[folder / "curves.png"] = curves_png(records, f"{name} on {data['name']}")
    write_all(files)


def _report(name: str, comparison: Any, records: list[RunRecord], folder: Path) -> int:
    from resgen.train.results import print_results

    print_results(records, f"{name}: errors in % at the last epoch, mean ± std over seeds")
    bad = [r for r in records if r.outcome.status in ("diverged", "failed")]
    for result in comparison.failed:
        say(f"FAIL {result.name} (not built)\n    " + result.error.replace("\n", "\n    "))
    for record in bad:
        status, message = record.outcome.status.upper(), record.outcome.message
        say(f"{status} {record.variant} seed {record.seed}: {message}")
    stopped = sum(r.outcome.status == "stopped" for r in records)
    say(
        f"{len(records)} runs: {len(records) - len(bad) - stopped} done, "
        f"{stopped} stopped early, {len(bad)} diverged or failed; "
        f"{len(comparison.failed)} variants not built; wrote {folder}/"
    )
    return 1 if bad or comparison.failed else 0
