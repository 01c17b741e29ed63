"""The comparison table of a sweep: terminal (rich), Markdown, CSV and JSON.

One row per variant: its name, its axis values, depth (weighted layers),
parameters, MACs, activation memory (elements per sample) and whether it
built and checked. Failed variants keep their row, with empty numbers.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from resgen.analysis.units import human
from resgen.variants.build import Result, show_value

NUMBERS = ("depth", "params", "macs", "activations")
PIPED_WIDTH = 1000


@dataclass(frozen=True)
class Comparison:
    sweep: str
    axes: Sequence[str]  # axis labels, the table's value columns
    results: Sequence[Result]

    @property
    def failed(self) -> list[Result]:
        return [result for result in self.results if not result.ok]

    def records(self, files: dict[str, dict[str, str]] | None = None) -> list[dict[str, Any]]:
        """One JSON-ready record per variant; `files` adds what was written for it."""
        records = []
        for result in self.results:
            record: dict[str, Any] = {"name": result.name, "values": result.values}
            record |= {key: getattr(result, key) for key in NUMBERS}
            record |= {"ok": result.ok, "error": result.error}
            if files is not None:
                record["files"] = files.get(result.name, {}) if result.ok else {}
            records.append(record)
        return records

    def header(self) -> list[str]:
        return ["name", *self.axes, "depth", "params", "MACs", "activations", "ok"]

    def cells(self, result: Result) -> list[str]:
        """A row for people: exact parameters, rounded MACs and activations."""
        values = [show_value(result.values.get(axis)) for axis in self.axes]
        if not result.ok and result.params is None:
            return [result.name, *values, "", "", "", "", "FAILED"]
        return [
            result.name,
            *values,
            str(result.depth),
            f"{result.params:,}",
            human(result.macs or 0),
            human(result.activations or 0),
            "ok" if result.ok else "FAILED",
        ]


def render(comparison: Comparison, fmt: str) -> str:
    """The table as Markdown, CSV or JSON text (`table` is printed by `print_table`)."""
    if fmt == "json":
        return to_json(comparison)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["name", *comparison.axes, *NUMBERS, "ok", "error"])
        for result in comparison.results:
            values = [show_value(result.values.get(axis)) for axis in comparison.axes]
            numbers = [
                "" if getattr(result, key) is None else getattr(result, key) for key in NUMBERS
            ]
            writer.writerow([result.name, *values, *numbers, result.ok, result.error])
        return out.getvalue()
    if fmt == "md":
        header = comparison.header()
        align = ["---"] * (1 + len(comparison.axes)) + ["--:"] * 4 + [":-:"]
        lines = [
            f"# Sweep {comparison.sweep}",
            "",
            _md_row(header),
            _md_row(align),
            *(_md_row(comparison.cells(result)) for result in comparison.results),
            "",
        ]
        return "\n".join(lines)
    raise ValueError(f"unknown format {fmt!r}")


def to_json(
    comparison: Comparison, files: dict[str, dict[str, str]] | None = None, **extra: Any
) -> str:
    """The table as JSON; the index adds each variant's `files` and `extra` keys."""
    document = {"sweep": comparison.sweep, **extra, "axes": list(comparison.axes)}
    document["variants"] = comparison.records(files)
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def print_table(comparison: Comparison, console: Any = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"sweep {comparison.sweep}: {len(comparison.results)} variants")
    numeric = {"depth", "params", "MACs", "activations"}
    for column in comparison.header():
        table.add_column(column, justify="right" if column in numeric else "left", no_wrap=True)
    for result in comparison.results:
        style = None if result.ok else "red"
        table.add_row(*comparison.cells(result), style=style)
    if console is None:
        console = Console()
        if not console.is_terminal:  # piped: whole rows at their natural width, not 80 columns
            console = Console(width=PIPED_WIDTH)
    console.print(table)


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _blank(number: int | None) -> int | str:
    return "" if number is None else number
