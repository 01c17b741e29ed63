"""The `resgen` command line (typer). Spec mistakes exit with code 2, no traceback."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from resgen.errors import SpecError

app = typer.Typer(
    name="resgen",
    help="Describe, check, see and vary residual networks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

SpecArg = Annotated[Path, typer.Argument(help="A spec file (YAML).", show_default=False)]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Override a spec path or param, e.g. --set params.n=9 (repeatable).",
    ),
]


def fail(error: SpecError) -> None:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(2)


class SummaryFormat(str, enum.Enum):
    table = "table"
    md = "md"
    csv = "csv"
    json = "json"


@app.command()
def build(
    spec: SpecArg,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path("build"),
    check: Annotated[
        bool, typer.Option("--check", help="Instantiate the module and run a forward pass.")
    ] = False,
    sets: SetOption = None,
) -> None:
    """Emit a standalone PyTorch module for SPEC."""
    from resgen.analysis.table import human
    from resgen.codegen.emit import generate
    from resgen.graph import build_graph
    from resgen.outputs import write_all
    from resgen.variants.overrides import load_overridden

    try:
        graph = build_graph(load_overridden(spec, sets or []))
    except SpecError as error:
        fail(error)
    network = graph.graph["network"]
    source = generate(network, graph.graph["params"])
    if check:
        from resgen.check import check_source

        result = check_source(source, graph)
        if not result.ok:
            typer.echo(
                f"error: check failed for {spec}: output {result.output_shape} "
                f"(expected {result.expected_shape}), {result.module_params:,} parameters "
                f"in the module vs {result.analytic_params:,} counted",
                err=True,
            )
            raise typer.Exit(1)
    target = out / f"{network.name}.py"
    write_all({target: source})
    typer.echo(
        f"wrote {target} ({network.class_name}: {graph.graph['params']:,} parameters, "
        f"{human(graph.graph['macs'], 'MACs')})"
    )
    if check:
        typer.echo(
            f"check ok: output {'×'.join(map(str, result.output_shape))}, "
            f"{result.module_params:,} parameters in the module = analytic count"
        )


@app.command()
def validate(
    specs: Annotated[list[Path], typer.Argument(help="Spec files.")], sets: SetOption = None
) -> None:
    """Check one or many specs; one line per spec. Exit 2 if any is invalid."""
    from resgen.analysis.table import human
    from resgen.graph import build_graph
    from resgen.variants.overrides import load_overridden

    failed = 0
    for spec in specs:
        try:
            graph = build_graph(load_overridden(spec, sets or []))
        except SpecError as error:
            failed += 1
            message = str(error).replace("\n", "\n    ")
            typer.echo(f"FAIL {spec}\n    {message}")
            continue
        g = graph.graph
        typer.echo(
            f"ok   {spec}: {g['network'].name}, {g['params']:,} parameters, "
            f"{human(g['macs'], 'MACs')}"
        )
    if failed:
        typer.echo(f"{failed} of {len(specs)} specs failed", err=True)
        raise typer.Exit(2)


@app.command()
def summary(
    spec: SpecArg,
    fmt: Annotated[
        SummaryFormat, typer.Option("--format", "-f", help="table, md, csv or json.")
    ] = SummaryFormat.table,
    sets: SetOption = None,
) -> None:
    """Per-layer output shapes, parameters and MACs, with totals."""
    from resgen.analysis.table import print_summary, render_summary
    from resgen.graph import build_graph
    from resgen.variants.overrides import load_overridden

    try:
        graph = build_graph(load_overridden(spec, sets or []))
    except SpecError as error:
        fail(error)
    if fmt is SummaryFormat.table:
        print_summary(graph)
    else:
        sys.stdout.write(render_summary(graph, fmt.value))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec language (for editor completion)."""
    from resgen.spec.schema import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


def main() -> None:
    app()
