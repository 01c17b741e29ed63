"""`resgen sweep`: build every variant, write its files and the comparison, report.

Kept out of cli.py so the command line stays a thin layer. Output layout in
the folder: `NAME.yaml` (resolved spec) and `NAME.py` (module) per variant
that built, its diagram files with `--diagram`, `index.json`, `table.md`,
`table.csv`, and `compare.png` with `--plot`. Failed variants write nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from resgen.errors import SpecError
from resgen.outputs import check_targets, write_all
from resgen.pipeline import BuildOptions
from resgen.variants.build import Result
from resgen.variants.compare import Comparison, print_table, render, to_json
from resgen.variants.plot import plot_png, require_matplotlib
from resgen.variants.run import run_sweep
from resgen.variants.sweep import Sweep, load_sweep


def sweep_command(
    path: Path,
    out: Path | None,
    fmt: str = "table",
    *,
    options: BuildOptions | None = None,
    plot: bool = False,
    jobs: int | None = None,
    sets: Sequence[str] = (),
) -> int:
    """Run the sweep at `path`; the exit code: 0, or 1 if any variant failed.

    A mistake in the sweep file itself raises SpecError (exit 2, nothing built).
    """
    options = options or BuildOptions()
    if plot:
        require_matplotlib()
    sweep = load_sweep(path, sets)
    folder = out or Path("build") / sweep.name
    check_targets([folder / "index.json"])  # a bad -o is refused before any variant is built
    results = run_sweep(sweep, options, jobs=jobs, progress=sys.stderr.isatty())
    comparison = Comparison(sweep.name, sweep.labels, results)
    write_all(sweep_files(sweep, comparison, folder, plot=plot))
    if fmt == "table":
        print_table(comparison)
    else:
        sys.stdout.write(render(comparison, fmt))
    for result in comparison.failed:
        message = result.error.replace("\n", "\n    ")
        print(f"FAIL {result.name}\n    {message}", file=sys.stderr)
    ok = len(results) - len(comparison.failed)
    print(
        f"{len(results)} variants: {ok} ok, {len(comparison.failed)} failed; wrote {folder}/",
        file=sys.stderr,
    )
    return 1 if comparison.failed else 0


def sweep_files(
    sweep: Sweep, comparison: Comparison, folder: Path, *, plot: bool = False
) -> dict[Path, str | bytes]:
    """Every output of the sweep, by path, in sweep order."""
    files: dict[Path, str | bytes] = {}
    written: dict[str, dict[str, str]] = {}
    for result in comparison.results:
        if result.ok:
            written[result.name] = _variant_files(result, folder, files)
    files[folder / "index.json"] = to_json(
        comparison, written, file=sweep.file, base=sweep.base.file
    )
    files[folder / "table.md"] = render(comparison, "md")
    files[folder / "table.csv"] = render(comparison, "csv")
    if plot:
        files[folder / "compare.png"] = plot_png(comparison)
    return files


def _variant_files(result: Result, folder: Path, files: dict[Path, str | bytes]) -> dict[str, str]:
    """Add one variant's files; return their names by kind (spec, code, diagram formats)."""
    kinds = {"spec": f"{result.name}.yaml", "code": f"{result.name}.py"}
    kinds |= {Path(name).suffix[1:]: name for name in result.diagrams}
    contents = {kinds["spec"]: result.spec, kinds["code"]: result.code, **result.diagrams}
    files.update({folder / name: content for name, content in contents.items()})
    return kinds


def diagram_formats(text: str) -> tuple[str, ...]:
    """`--diagram svg,html` -> `("svg", "html")`; SpecError up front for a bad format.

    Unknown formats, and Graphviz formats without Graphviz, are refused before any
    variant is built.
    """
    from resgen.render import RenderError, find_engine, parse_formats
    from resgen.render.engine import GRAPHVIZ_FORMATS

    try:
        formats = tuple(parse_formats(text))
        for fmt in formats:
            if fmt in GRAPHVIZ_FORMATS:
                find_engine(fmt)
    except (ValueError, RenderError) as exc:
        raise SpecError(f"--diagram {text}: {exc}") from None
    return formats
