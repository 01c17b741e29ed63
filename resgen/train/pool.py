"""The local runner: a sweep's runs on a process pool, with progress.

Each worker gets cores ÷ jobs torch threads, and `OMP_WAIT_POLICY=PASSIVE` is set
before torch loads in it: with several processes on few cores, OpenMP's default
spin-waiting was the largest single slowdown measured (TRAINING.md).
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import queue
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import replace
from typing import Any

from resgen.outputs import OutputError
from resgen.train.data import DataError
from resgen.train.loop import RunError, RunOutcome, RunRequest, train_run
from resgen.variants.run import available_cores

Events = Any  # a multiprocessing queue of (run index, epoch row)
_events: Events = None


def with_threads(runs: Sequence[RunRequest], jobs: int) -> list[RunRequest]:
    """Give runs without a `--threads` setting their share of the cores."""
    share = max(1, available_cores() // jobs)
    return [
        run if run.config.threads else replace(run, config=replace(run.config, threads=share))
        for run in runs
    ]


def run_local(
    runs: Sequence[RunRequest], jobs: int | None = None, *, progress: bool = False
) -> list[RunOutcome]:
    """Train every run; outcomes in the order of `runs` (a run that fails is `failed`)."""
    if not runs:
        return []
    jobs = max(1, min(jobs or available_cores(), len(runs)))
    runs = with_threads(runs, jobs) if jobs > 1 else list(runs)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # inherited by the workers
    with _bars(progress, runs) as bars:
        if jobs > 1:
            return _in_pool(runs, jobs, bars)
        outcomes = []
        for index, run in enumerate(runs):
            outcomes.append(guarded_run(run, functools.partial(bars.epoch, index)))
            bars.finished(index, outcomes[-1])
        return outcomes


def _in_pool(runs: list[RunRequest], jobs: int, bars: _Bars) -> list[RunOutcome]:
    # spawn: a clean interpreter in which torch loads after the environment is set
    context = multiprocessing.get_context("spawn")
    events = context.Manager().Queue() if bars.shown else None
    with ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_start, initargs=(events,)
    ) as pool:
        futures: dict[Future[RunOutcome], int] = {
            pool.submit(_worker_run, index, run): index for index, run in enumerate(runs)
        }
        pending = set(futures)
        outcomes: dict[int, RunOutcome] = {}
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            _drain(events, bars)
            for future in done:
                index = futures[future]
                outcomes[index] = _result(future)
                bars.finished(index, outcomes[index])
        _drain(events, bars)
    return [outcomes[i] for i in range(len(runs))]


def _drain(events: Events, bars: _Bars) -> None:
    if events is None:
        return
    with contextlib.suppress(queue.Empty):
        while True:
            index, row = events.get_nowait()
            bars.epoch(index, row)


def _result(future: Future[RunOutcome]) -> RunOutcome:
    try:
        return future.result()
    except Exception as exc:  # a worker that died: this run's failure, not the sweep's
        return RunOutcome("failed", message=f"{type(exc).__name__}: {exc}")


def _start(events: Events) -> None:
    global _events
    _events = events


def _worker_run(index: int, run: RunRequest) -> RunOutcome:
    def report(row: dict[str, float]) -> None:
        if _events is not None:
            _events.put((index, row))

    return guarded_run(run, report)


def guarded_run(run: RunRequest, report: Callable[[dict[str, float]], None] | None) -> RunOutcome:
    """`train_run`, with the failures that concern this run alone returned, not raised."""
    try:
        return train_run(run, report)
    except (RunError, DataError, OutputError) as exc:
        return RunOutcome("failed", message=str(exc))


class _Bars:
    """Progress: runs done, and per run its epoch with loss and error (rich, on stderr)."""

    def __init__(self, runs: Sequence[RunRequest], progress: Any) -> None:
        self.runs, self.progress = runs, progress
        self.shown = progress is not None
        self.tasks: dict[int, Any] = {}
        self.done = 0
        if progress is not None:
            self.total = progress.add_task("runs", total=len(runs), status="")

    def _label(self, index: int) -> str:
        run = self.runs[index]
        return f"{run.name} seed {run.config.seed}"

    def epoch(self, index: int, row: dict[str, float]) -> None:
        if self.progress is None:
            return
        if index not in self.tasks:
            epochs = self.runs[index].config.epochs
            self.tasks[index] = self.progress.add_task(self._label(index), total=epochs, status="")
        status = (
            f"loss {row['train_loss']:.3f}  train err {100 * row['train_err']:.1f}%  "
            f"test err {100 * row['test_err']:.1f}%"
        )
        self.progress.update(self.tasks[index], completed=row["epoch"], status=status)

    def finished(self, index: int, outcome: RunOutcome) -> None:
        """A line per finished run: under the bars on a terminal, else in the log."""
        self.done += 1
        final = outcome.final
        line = f"[{self.done}/{len(self.runs)}] {self._label(index)}: {outcome.status}"
        if final:
            line += (
                f", train err {100 * final['train_err']:.1f}%, "
                f"test err {100 * final['test_err']:.1f}%, {outcome.wall_s:.0f} s"
            )
        if outcome.status not in ("done", "stopped") and outcome.message:
            line += f": {outcome.message}"
        if self.progress is None:
            print(line, file=sys.stderr, flush=True)
            return
        if index in self.tasks:
            self.progress.remove_task(self.tasks.pop(index))
        self.progress.advance(self.total)
        self.progress.console.print(line)


@contextlib.contextmanager
def _bars(show: bool, runs: Sequence[RunRequest]) -> Iterator[_Bars]:
    if not show:
        yield _Bars(runs, None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        yield _Bars(runs, progress)
