"""Run a sweep: build every variant, in worker processes when that pays off.

Results always come back in sweep order, whatever order the workers finish in.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed

from resgen.pipeline import BuildOptions
from resgen.spec.yaml_source import Source
from resgen.variants.build import Result, build_variant
from resgen.variants.sweep import Sweep, Variant
from resgen.variants.sweep_checks import refuse_duplicate_names

PARALLEL_FROM = 32  # smaller sweeps build in-process: starting workers (~1 s) costs more
_PRELOAD = ["resgen.variants.build", "resgen.graph.expand", "resgen.codegen.emit"]

_worker: tuple[Source, BuildOptions, str] | None = None


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_sweep(
    sweep: Sweep, options: BuildOptions, *, jobs: int | None = None, progress: bool = False
) -> list[Result]:
    """Build every variant of `sweep`; `jobs=1` forces a single process."""
    about = f"sweep {sweep.name} ({sweep.file})"
    variants = sweep.variants
    jobs = min(jobs or available_cores(), len(variants))
    with _progress(progress, len(variants)) as advance:
        if jobs <= 1 or len(variants) < PARALLEL_FROM:
            results = []
            for variant in variants:
                results.append(build_variant(sweep.base, variant, options, about))
                advance()
        else:
            # forkserver, not fork: the parent may hold threads (the progress bar, torch)
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            with ProcessPoolExecutor(
                jobs, mp_context=context, initializer=_start, initargs=(sweep.base, options, about)
            ) as pool:
                futures = [pool.submit(_build, variant) for variant in variants]
                for _ in as_completed(futures):
                    advance()
                results = [future.result() for future in futures]
    # names that needed the built network ({depth}) are known only now
    refuse_duplicate_names(
        (variant, result.name)
        for variant, result in zip(variants, results, strict=True)
        if result.ok
    )
    return results


def _start(base: Source, options: BuildOptions, about: str) -> None:
    global _worker
    _worker = (base, options, about)


def _build(variant: Variant) -> Result:
    assert _worker is not None, "worker not initialised"
    base, options, about = _worker
    return build_variant(base, variant, options, about)


@contextlib.contextmanager
def _progress(show: bool, total: int) -> Iterator[Callable[[], None]]:
    """A rich progress bar on stderr (when `show`); yields the function that advances it."""
    if not show:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    columns = ("building variants", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("sweep", total=total)
        yield lambda: bar.advance(task)
