"""A PNG of parameters and MACs per variant (matplotlib, imported only when asked)."""

from __future__ import annotations

import io

from resgen.errors import SpecError
from resgen.variants.compare import Comparison

LOG_SCALE_FROM = 50  # largest / smallest value beyond which a log axis reads better


def require_matplotlib() -> None:
    """Refuse `--plot` up front, before any variant is built, when matplotlib is missing."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise SpecError("--plot needs matplotlib: pip install matplotlib")


def plot_png(comparison: Comparison) -> bytes:
    """Two bar charts sharing the variant axis; a failed variant has no bars."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    results = comparison.results
    names = [r.name if r.ok else f"{r.name} (failed)" for r in results]
    figure = Figure(figsize=(max(6.0, 0.45 * len(results) + 2), 6.5), layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True)
    for axes, key, unit, scale in (
        (top, "params", "parameters (M)", 1e6),
        (bottom, "macs", "MACs (G)", 1e9),
    ):
        values = [getattr(r, key) / scale if r.ok else 0.0 for r in results]
        axes.bar(range(len(results)), values, color=["C0" if r.ok else "C3" for r in results])
        axes.set_ylabel(unit)
        axes.grid(axis="y", alpha=0.3)
        shown = [v for v in values if v > 0]
        if shown and max(shown) / min(shown) > LOG_SCALE_FROM:
            axes.set_yscale("log")
    bottom.set_xticks(range(len(results)), names, rotation=60, ha="right", fontsize=8)
    top.set_title(f"sweep {comparison.sweep}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()
