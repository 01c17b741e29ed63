"""Which ATen operators a call dispatches: a timing-free check that two modules do the same work."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import torch
from torch.utils._python_dispatch import TorchDispatchMode


class _Recorder(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[tuple[str, tuple]] = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        shapes = tuple(
            (tuple(a.shape), a.dtype, a.is_contiguous()) if isinstance(a, torch.Tensor) else None
            for a in args
        )
        self.calls[(str(func), shapes)] += 1
        return func(*args, **(kwargs or {}))


def aten_calls(fn: Callable[[], object]) -> Counter[tuple[str, tuple]]:
    """Each (operator, argument shapes/dtypes/layout) that `fn()` dispatches, with its count."""
    recorder = _Recorder()
    with recorder:
        fn()
    return recorder.calls


def compare_calls(a: Callable[[], object], b: Callable[[], object]) -> str:
    """'identical' if both dispatch the same operators on the same shapes, else the difference."""
    calls_a, calls_b = aten_calls(a), aten_calls(b)
    if calls_a == calls_b:
        return f"identical ({sum(calls_a.values())} ATen calls)"
    only_a, only_b = calls_a - calls_b, calls_b - calls_a
    names = sorted({op for op, _ in only_a} | {op for op, _ in only_b})
    return f"differ: +{sum(only_a.values())} / -{sum(only_b.values())} calls in {', '.join(names)}"
