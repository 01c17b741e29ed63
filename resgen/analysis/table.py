"""Per-layer summary tables: terminal (rich), Markdown, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from resgen.analysis.counts import LayerCount, layer_counts
from resgen.analysis.units import human
from resgen.graph.model import Network

COLUMNS = ("layer", "op", "output", "params", "macs")


def _row(count: LayerCount) -> dict[str, Any]:
    return {
        "layer": count.name,
        "op": count.op,
        "output": list(count.shape),
        "params": count.params,
        "macs": count.macs,
    }


def _cells(row: dict[str, Any]) -> list[str]:
    return [
        row["layer"],
        row["op"],
        "×".join(map(str, row["output"])),
        f"{row['params']:,}",
        f"{row['macs']:,}",
    ]


def summary_rows(net: Network) -> list[dict[str, Any]]:
    return [_row(count) for count in layer_counts(net)]


def totals(net: Network) -> dict[str, Any]:
    return {
        "name": net.name,
        "input": list(net.input),
        "output": list(net.output),
        "params": net.params,
        "macs": net.macs,
        "activations": net.activations,
    }


def render_summary(net: Network, fmt: str) -> str:
    """The summary in `fmt` (md, csv or json); `table` is handled by `print_summary`."""
    rows, total = summary_rows(net), totals(net)
    if fmt == "json":
        return json.dumps({"totals": total, "layers": rows}, indent=1) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(
                [
                    row["layer"],
                    row["op"],
                    "x".join(map(str, row["output"])),
                    row["params"],
                    row["macs"],
                ]
            )
        return out.getvalue()
    if fmt == "md":
        lines = [
            f"# {total['name']}",
            "",
            "| " + " | ".join(COLUMNS) + " |",
            "|---|---|---|--:|--:|",
            *("| " + " | ".join(_cells(row)) + " |" for row in rows),
            f"| **total** | | {'×'.join(map(str, total['output']))} | "
            f"**{total['params']:,}** | **{total['macs']:,}** |",
            "",
        ]
        return "\n".join(lines)
    raise ValueError(f"unknown format {fmt!r}")


def print_summary(net: Network, console: Any = None) -> None:
    from rich.console import Console
    from rich.table import Table

    total = totals(net)
    table = Table(title=f"{total['name']}  (input {'×'.join(map(str, total['input']))})")
    for column in COLUMNS:
        table.add_column(column, justify="right" if column in {"params", "macs"} else "left")
    for row in summary_rows(net):
        table.add_row(*_cells(row))
    table.add_section()
    table.add_row(
        "total",
        "",
        "×".join(map(str, total["output"])),
        f"{total['params']:,}",
        f"{total['macs']:,}",
    )
    console = console or Console()
    console.print(table)
    console.print(
        f"{total['params']:,} parameters, {human(total['macs'], 'MACs')}, "
        f"{human(total['activations'])} activations per sample"
    )


def format_rows(rows: Sequence[Sequence[str]]) -> str:
    """Plain aligned columns, for terminals without rich."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
