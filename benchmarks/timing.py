"""Interleaved A/B timing: ratios measured in the same run, with their spread."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Comparison:
    """Per-round seconds per call of A and B, and the ratios A/B of each round."""

    a: list[float]
    b: list[float]

    @property
    def ratios(self) -> list[float]:
        return [x / y for x, y in zip(self.a, self.b, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def quartiles(self) -> tuple[float, float]:
        """The middle half of the per-round ratios (the extremes with fewer than 4 rounds)."""
        ratios = sorted(self.ratios)
        if len(ratios) < 4:
            return ratios[0], ratios[-1]
        low, _, high = statistics.quantiles(ratios, n=4)
        return low, high

    def line(self, label: str, a_name: str, b_name: str) -> str:
        ratios = self.ratios
        low, high = self.quartiles
        return (
            f"{label:40s} {a_name} {statistics.median(self.a) * 1e3:8.1f} ms  "
            f"{b_name} {statistics.median(self.b) * 1e3:8.1f} ms  ratio {self.ratio:.3f} "
            f"(IQR {low:.3f}-{high:.3f}, range {min(ratios):.3f}-{max(ratios):.3f}, "
            f"n={len(ratios)})"
        )


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCKS["wall"]


def use_clock(name: str) -> None:
    """Time with wall-clock ("wall") or this process's CPU time ("cpu").

    CPU time is not charged while other processes hold the cores, so on a shared
    machine it compares two codes more steadily (best with one thread: idle
    worker threads spinning would count too).
    """
    global clock
    clock = CLOCKS[name]


def seconds_per_call(
    fn: Callable[[], object], iters: int, sync: Callable[[], None] | None = None
) -> float:
    """`sync` (e.g. torch.cuda.synchronize) makes the clock wait for queued device work."""
    if sync:
        sync()
    start = clock()
    for _ in range(iters):
        fn()
    if sync:
        sync()
    return (clock() - start) / iters


def compare(
    a: Callable[[], object],
    b: Callable[[], object],
    rounds: int,
    iters: int,
    warmup: int = 1,
    sync: Callable[[], None] | None = None,
) -> Comparison:
    """Time A and B alternately, `rounds` times, `iters` calls each; order flips every round.

    Alternating in short rounds spreads slow drifts of a shared machine (other
    processes, frequency) evenly over both; the median ratio resists outliers.
    """
    for _ in range(warmup):
        a()
        b()
    times_a, times_b = [], []
    for index in range(rounds):
        pair = [(a, times_a), (b, times_b)]
        for fn, times in pair if index % 2 == 0 else reversed(pair):
            times.append(seconds_per_call(fn, iters, sync))
    return Comparison(times_a, times_b)
