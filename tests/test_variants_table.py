"""The comparison table in every format, the index, and the plot."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from resgen.variants.build import Result
from resgen.variants.command import sweep_files
from resgen.variants.compare import Comparison, print_table, render
from resgen.variants.plot import plot_png
from resgen.variants.sweep import load_sweep
from tests.conftest import SPECS

OK = Result(
    index=1,
    name="resnet20_a",
    values={"shortcut": "A", "n": 3},
    depth=20,
    params=269_722,
    macs=40_551_040,
    activations=663_690,
    spec="spec\n",
    code="code\n",
)
FAILED = Result(
    index=2,
    name="resnet?_Q",
    values={"shortcut": "Q", "n": 3},
    error="sweep.yaml:5:26: defaults.shortcut: expected 'identity', got 'Q'",
)
TABLE = Comparison("demo", ["shortcut", "n"], [OK, FAILED])


def test_markdown() -> None:
    assert render(TABLE, "md").splitlines() == [
        "# Sweep demo",
        "",
        "| name | shortcut | n | depth | params | MACs | activations | ok |",
        "| --- | --- | --- | --: | --: | --: | --: | :-: |",
        "| resnet20_a | A | 3 | 20 | 269,722 | 40.551 M | 663.690 K | ok |",
        "| resnet?_Q | Q | 3 |  |  |  |  | FAILED |",
    ]


def test_csv() -> None:
    rows = list(csv.DictReader(io.StringIO(render(TABLE, "csv"))))
    assert list(rows[0]) == [
        "name", "shortcut", "n", "depth", "params", "macs", "activations", "ok", "error",
    ]  # fmt: skip
    assert rows[0] == {
        "name": "resnet20_a", "shortcut": "A", "n": "3", "depth": "20", "params": "269722",
        "macs": "40551040", "activations": "663690", "ok": "True", "error": "",
    }  # fmt: skip
    assert rows[1]["params"] == "" and rows[1]["ok"] == "False"
    assert rows[1]["error"].startswith("sweep.yaml:5:26: defaults.shortcut")


def test_json() -> None:
    data = json.loads(render(TABLE, "json"))
    assert data["sweep"] == "demo" and data["axes"] == ["shortcut", "n"]
    assert data["variants"][0] == {
        "name": "resnet20_a",
        "values": {"shortcut": "A", "n": 3},
        "depth": 20,
        "params": 269_722,
        "macs": 40_551_040,
        "activations": 663_690,
        "ok": True,
        "error": "",
    }
    assert data["variants"][1]["ok"] is False and data["variants"][1]["params"] is None


def test_terminal_table() -> None:
    console = Console(record=True, width=200)
    print_table(TABLE, console)
    text = console.export_text()
    assert "sweep demo: 2 variants" in text
    row = next(line for line in text.splitlines() if "resnet20_a" in line)
    assert [cell.strip() for cell in row.strip("│ ").split("│")] == [
        "resnet20_a", "A", "3", "20", "269,722", "40.551 M", "663.690 K", "ok",
    ]  # fmt: skip
    assert "FAILED" in next(line for line in text.splitlines() if "resnet?_Q" in line)


def test_list_values_show_as_json() -> None:
    result = Result(1, "big", {"input": [3, 64, 64]}, depth=1, params=1, macs=1, activations=1)
    assert "| big | [3, 64, 64] |" in render(Comparison("d", ["input"], [result]), "md")


def test_index_lists_what_was_written(tmp_path: Path) -> None:
    sweep = load_sweep(SPECS / "sweeps" / "shortcut_options.yaml")
    files = sweep_files(sweep, TABLE, tmp_path / "out")
    assert sorted(path.name for path in files) == [
        "index.json", "resnet20_a.py", "resnet20_a.yaml", "table.csv", "table.md",
    ]  # fmt: skip
    index = json.loads(files[tmp_path / "out" / "index.json"])
    assert index["file"] == str(SPECS / "sweeps" / "shortcut_options.yaml")
    assert index["base"] == str(SPECS / "resnet34.yaml")
    assert index["variants"][0]["files"] == {"spec": "resnet20_a.yaml", "code": "resnet20_a.py"}
    assert index["variants"][1]["files"] == {}


def test_plot_is_a_png_per_variant() -> None:
    png = plot_png(TABLE)  # needs matplotlib, which CI installs for --plot
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert plot_png(TABLE) == png  # deterministic
    wider = Comparison("demo", ["n"], [OK] * 12)
    assert _png_width(plot_png(wider)) > _png_width(png)


def _png_width(png: bytes) -> int:
    return int.from_bytes(png[16:20], "big")


def test_plot_without_matplotlib_is_refused_up_front(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from resgen.errors import SpecError

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name)
    )
    with pytest.raises(SpecError, match="--plot needs matplotlib: pip install matplotlib"):
        plot_png(TABLE)
