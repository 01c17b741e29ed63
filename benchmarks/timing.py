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

    def line(self, label: str, a_name: str, b_name: str) -> str:
        ratios = self.ratios
        return (
            f"{label:40s} {a_name} {statistics.median(self.a) * 1e3:9.1f} ms  "
            f"{b_name} {statistics.median(self.b) * 1e3:9.1f} ms  "
            f"ratio {self.ratio:.3f} (rounds {min(ratios):.3f}-{max(ratios):.3f}, n={len(ratios)})"
        )


def seconds_per_call(fn: Callable[[], object], iters: int) -> float:
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - start) / iters


def compare(
    a: Callable[[], object], b: Callable[[], object], rounds: int, iters: int, warmup: int = 1
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
            times.append(seconds_per_call(fn, iters))
    return Comparison(times_a, times_b)
