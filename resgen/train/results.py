"""A trained sweep's results: one row per run, a table per variant, the error curves."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from resgen.train.loop import RunOutcome

COLUMNS = (
    "variant",
    "seed",
    "params",
    "macs",
    "final_train_err",
    "final_test_err",
    "best_test_err",
    "epochs",
    "wall_s",
    "status",
)
ERRORS = ("final_train_err", "final_test_err", "best_test_err")
# Okabe & Ito's palette: told apart with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


@dataclass(frozen=True)
class RunRecord:
    """A finished (or stopped) run of a variant at a seed."""

    variant: str
    seed: int
    params: int
    macs: int
    family: str  # "plain" or "residual"
    outcome: RunOutcome

    def row(self) -> dict[str, object]:
        rows = self.outcome.rows
        final = rows[-1] if rows else {}
        best = min((r["test_err"] for r in rows), default=None)
        return {
            "variant": self.variant,
            "seed": self.seed,
            "params": self.params,
            "macs": self.macs,
            "final_train_err": final.get("train_err"),
            "final_test_err": final.get("test_err"),
            "best_test_err": best,
            "epochs": len(rows),
            "wall_s": round(self.outcome.wall_s, 3),
            "status": self.outcome.status,
        }


def results_csv(records: Sequence[RunRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else v for k, v in record.row().items()})
    return buffer.getvalue()


def results_json(name: str, records: Sequence[RunRecord], data: dict[str, object]) -> str:
    document = {
        "sweep": name,
        "data": data,
        "runs": [record.row() for record in records],
        "variants": summary(records),
    }
    return json.dumps(document, indent=2) + "\n"


def summary(records: Sequence[RunRecord]) -> list[dict[str, object]]:
    """Per variant, in sweep order: counts and each error's mean and std over its seeds."""
    by_variant: dict[str, list[RunRecord]] = {}
    for record in records:
        by_variant.setdefault(record.variant, []).append(record)
    table = []
    for variant, runs in by_variant.items():
        entry: dict[str, object] = {
            "variant": variant,
            "family": runs[0].family,
            "params": runs[0].params,
            "macs": runs[0].macs,
            "seeds": len(runs),
            "diverged": sum(r.outcome.status == "diverged" for r in runs),
        }
        for key in ERRORS:
            values = [v for r in runs if (v := r.row()[key]) is not None]
            entry[key] = statistics.fmean(values) if values else None  # type: ignore[arg-type]
            entry[f"{key}_std"] = statistics.pstdev(values) if len(values) > 1 else 0.0  # type: ignore[arg-type]
        table.append(entry)
    return table


def percent(mean: object, std: object) -> str:
    if mean is None:
        return "–"
    return f"{100 * float(mean):.1f} ± {100 * float(std):.1f}"  # type: ignore[arg-type]


def table_rows(records: Sequence[RunRecord]) -> tuple[list[str], list[list[str]]]:
    """The comparison table: header and cells (errors in %, mean ± std over seeds)."""
    header = ["variant", "params", "MACs", "seeds", "train err", "test err", "best test err"]
    rows = []
    for entry in summary(records):
        seeds = f"{entry['seeds']}" + (
            f" ({entry['diverged']} diverged)" if entry["diverged"] else ""
        )
        rows.append(
            [
                str(entry["variant"]),
                f"{entry['params']:,}",
                f"{entry['macs']:,}",
                seeds,
                *(percent(entry[key], entry[f"{key}_std"]) for key in ERRORS),
            ]
        )
    return header, rows


def results_md(records: Sequence[RunRecord]) -> str:
    header, rows = table_rows(records)
    lines = [
        "Errors in %, mean ± std over seeds, at the last epoch (best: each run's lowest).",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def print_results(records: Sequence[RunRecord], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    header, rows = table_rows(records)
    table = Table(title=title)
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def curves_png(records: Sequence[RunRecord], title: str) -> bytes:
    """The paper's Fig. 6: a panel per family (plain, residual); training error solid,
    test error dashed; the mean over seeds, with a band from the lowest to the highest."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    families = [f for f in ("plain", "residual") if any(r.family == f for r in records)]
    figure, axes = plt.subplots(
        1, len(families), figsize=(5.2 * len(families), 4), sharey=True, squeeze=False
    )
    for panel, family in zip(axes[0], families, strict=True):
        variants = list(dict.fromkeys(r.variant for r in records if r.family == family))
        for colour, variant in zip(_colours(len(variants)), variants, strict=True):
            runs = [r.outcome.rows for r in records if r.variant == variant]
            for key, style in (("train_err", "-"), ("test_err", "--")):
                epochs, low, mean, high = _band(runs, key)
                label = f"{variant} ({'train' if key == 'train_err' else 'test'})"
                panel.plot(epochs, mean, style, color=colour, linewidth=1.6, label=label)
                panel.fill_between(epochs, low, high, color=colour, alpha=0.15, linewidth=0)
        panel.set_title(f"{family} networks")
        panel.set_xlabel("epoch")
        panel.grid(alpha=0.3)
        panel.legend(fontsize=8)
    axes[0][0].set_ylabel("error (%)")
    figure.suptitle(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _colours(count: int) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(count)]


def _band(
    runs: list[list[dict[str, float]]], key: str
) -> tuple[list[int], list[float], list[float], list[float]]:
    """Per epoch, over the runs that reached it: min, mean and max of `key`, in %."""
    length = max((len(rows) for rows in runs), default=0)
    epochs, low, mean, high = [], [], [], []
    for epoch in range(length):
        values = [100 * rows[epoch][key] for rows in runs if len(rows) > epoch]
        epochs.append(epoch + 1)
        low.append(min(values))
        mean.append(statistics.fmean(values))
        high.append(max(values))
    return epochs, low, mean, high
