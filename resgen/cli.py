"""The `resgen` command line (typer). Spec mistakes exit with code 2, no traceback."""

from __future__ import annotations

import copy
import enum
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.main import get_command_name

from resgen.errors import InternalError, SpecError

if TYPE_CHECKING:
    from resgen.graph.model import Network

app = typer.Typer(
    name="resgen",
    help="Describe, check, see and vary residual networks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _load_plugins(
    plugins: Annotated[
        list[Path] | None,
        typer.Option(
            "--plugin",
            metavar="FILE",
            help="Load ops from a Python file first (docs/ops.md); repeat for several.",
        ),
    ] = None,
) -> None:
    """Describe, check, see and vary residual networks."""
    if not plugins:
        return
    from resgen import ops

    try:
        for path in plugins:
            ops.load_plugin(path)
    except ops.PluginError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    # sweep and training workers start fresh interpreters: they load the same files
    os.environ[ops.PLUGINS_VARIABLE] = os.pathsep.join(map(str, ops.plugin_files()))


SpecArg = Annotated[Path, typer.Argument(help="A spec file (YAML).", show_default=False)]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Override a spec path or param, e.g. --set params.n=9 (repeatable).",
    ),
]

# the drawing options of `render`, and of `build --diagram`
DirectionOption = Annotated[
    str, typer.Option("--direction", help="TB (top-down) or LR (left-right) flow of pictures.")
]
ThemeOption = Annotated[
    str, typer.Option("--theme", help="light or dark colours for svg, png, pdf and dot.")
]
MergeOption = Annotated[
    bool, typer.Option("--merge", help="Draw each conv-norm-act run as one node.")
]


def _int_list(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(f"expected integers separated by commas, got {text!r}") from None


class Device(str, enum.Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class Amp(str, enum.Enum):
    none = "none"
    bf16 = "bf16"


class Runner(str, enum.Enum):
    local = "local"
    ray = "ray"


class Scheduler(str, enum.Enum):
    none = "none"
    asha = "asha"


# Training flags, shared by `train` and `sweep --train`; None means "not given":
# the spec's (or sweep's) `train:` section then decides. See docs/training.md.
_T = "Training"
DataOption = Annotated[
    str | None,
    typer.Option(
        "--data",
        help="digits, fashion-mnist, cifar10, idx:DIR, npz:FILE or synthetic.",
        rich_help_panel=_T,
    ),
]
DataDirOption = Annotated[
    str | None,
    typer.Option("--data-dir", help="Where the data set's files are.", rich_help_panel=_T),
]
EpochsOption = Annotated[int | None, typer.Option(help="Epochs (default: 30).", rich_help_panel=_T)]
BatchOption = Annotated[
    int | None, typer.Option("--batch-size", help="Batch size (default: 128).", rich_help_panel=_T)
]
LrOption = Annotated[
    float | None, typer.Option(help="Peak learning rate (default: 0.1).", rich_help_panel=_T)
]
MomentumOption = Annotated[
    float | None, typer.Option(help="SGD momentum (default: 0.9).", rich_help_panel=_T)
]
DecayOption = Annotated[
    float | None,
    typer.Option("--weight-decay", help="Weight decay (default: 1e-4).", rich_help_panel=_T),
]
WarmupOption = Annotated[
    int | None,
    typer.Option(
        metavar="EPOCHS",
        help="Linear warm-up over the first EPOCHS (default: 0).",
        rich_help_panel=_T,
    ),
]
MilestonesOption = Annotated[
    str | None,
    typer.Option(
        metavar="E1,E2",
        help="Epochs at which the learning rate is divided by 10 (default: 50%, 75% of them).",
        rich_help_panel=_T,
    ),
]
SeedOption = Annotated[
    int | None, typer.Option(help="Random seed (default: 0).", rich_help_panel=_T)
]
AugmentOption = Annotated[
    bool | None,
    typer.Option(
        "--augment/--no-augment",
        help="Padded random crops and flips (default: off).",
        rich_help_panel=_T,
    ),
]
DeviceOption = Annotated[
    Device | None, typer.Option(help="auto, cpu or cuda (default: auto).", rich_help_panel=_T)
]
AmpOption = Annotated[
    Amp | None,
    typer.Option(help="Mixed precision: none or bf16 (default: none).", rich_help_panel=_T),
]
ChannelsLastOption = Annotated[
    bool | None,
    typer.Option(
        "--channels-last/--no-channels-last", help="NHWC memory format.", rich_help_panel=_T
    ),
]
CompileOption = Annotated[
    bool | None,
    typer.Option("--compile/--no-compile", help="torch.compile the model.", rich_help_panel=_T),
]
ThreadsOption = Annotated[
    int | None,
    typer.Option(
        help="Torch threads per run (default: all cores; cores ÷ jobs in a sweep).",
        rich_help_panel=_T,
    ),
]
ResumeOption = Annotated[
    bool,
    typer.Option(
        "--resume", help="Continue from the last checkpoint(s) in -o.", rich_help_panel=_T
    ),
]


def training_flags(**given: Any) -> dict[str, Any]:
    """The training flags as `train:` settings (enums as their values, lists parsed)."""
    flags = {
        key: value.value if isinstance(value, enum.Enum) else value for key, value in given.items()
    }
    for key in ("milestones", "seeds"):
        if key in flags:
            flags[key] = _int_list(flags[key])
    return flags


def train_exit(run: Callable[[], int]) -> NoReturn:
    """Run a training command: spec and usage mistakes exit 2, an interruption 130."""
    from resgen.train.command import TrainUsageError

    try:
        code = run()
    except SpecError as error:
        fail(error)
    except TrainUsageError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo(
            "interrupted: the last finished epoch of each run is saved; --resume continues",
            err=True,
        )
        raise typer.Exit(130) from None
    raise typer.Exit(code)


def fail(error: SpecError) -> NoReturn:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(2)


def write(files: dict[Path, str | bytes]) -> None:
    """Write every output atomically; a target that cannot be written exits with code 2
    before any is written (resgen/outputs.py)."""
    from resgen.outputs import write_all

    try:
        write_all(files)
    except SpecError as error:
        fail(error)


def checked_network(spec: Path, sets: list[str] | None) -> Network:
    """The checked network of `spec` with `--set` edits; a spec error exits with code 2."""
    from resgen.pipeline import checked_network as checked

    try:
        return checked(spec, sets or [])
    except SpecError as error:
        fail(error)


class SummaryFormat(str, enum.Enum):
    table = "table"
    md = "md"
    csv = "csv"
    json = "json"


class DiagramFormat(str, enum.Enum):
    svg = "svg"
    png = "png"
    pdf = "pdf"
    dot = "dot"
    html = "html"


class DiagramLevel(str, enum.Enum):
    stage = "stage"
    block = "block"
    layer = "layer"


@app.command()
def build(
    spec: SpecArg,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path("build"),
    check: Annotated[
        bool, typer.Option("--check", help="Instantiate the module and run a forward pass.")
    ] = False,
    sets: SetOption = None,
    diagram: Annotated[
        str | None,
        typer.Option(
            "--diagram",
            metavar="FORMATS",
            help="Also draw it, e.g. svg,html (svg, png, pdf, dot, html); see `render`.",
        ),
    ] = None,
    direction: DirectionOption = "TB",
    theme: ThemeOption = "light",
    merge: MergeOption = False,
) -> None:
    """Emit a standalone PyTorch module for SPEC."""
    from resgen.analysis.units import human
    from resgen.pipeline import BuildOptions
    from resgen.pipeline import build as build_spec

    # The renderer is imported only when diagrams are asked for (a lean plain build).
    formats: tuple[str, ...] = ()
    render_errors: tuple[type[Exception], ...] = ()  # `except ()` catches nothing
    if diagram is not None:
        from resgen.render import RenderError, parse_formats

        render_errors = (RenderError,)
        try:
            formats = tuple(parse_formats(diagram))
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--diagram") from None
        from resgen.render.style import DIRECTIONS, THEMES

        if direction.upper() not in DIRECTIONS:
            raise typer.BadParameter("TB or LR", param_hint="--direction")
        if theme not in THEMES:
            raise typer.BadParameter(", ".join(THEMES), param_hint="--theme")
    options = BuildOptions(
        check, formats, tuple(sets or ()), direction.upper(), theme=theme, merge=merge
    )
    try:
        built = build_spec(spec, options)
    except SpecError as error:
        fail(error)
    except render_errors as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if built.check and not built.check.ok:
        typer.echo(f"error: {spec}: {built.check.failure}", err=True)
        raise typer.Exit(1)
    target = out / f"{built.network.name}.py"
    files: dict[Path, str | bytes] = {target: built.code}
    files.update({out / name: content for name, content in built.diagrams.items()})
    write(files)
    typer.echo(
        f"wrote {target} ({built.network.class_name}: {built.params:,} parameters, "
        f"{human(built.macs, 'MACs')})"
    )
    for path in list(files)[1:]:
        typer.echo(f"wrote {path}")
    if built.check:
        typer.echo(
            f"check ok: output {'×'.join(map(str, built.check.output_shape))}, "
            f"{built.check.module_params:,} parameters in the module = analytic count"
        )


@app.command()
def validate(
    specs: Annotated[list[Path], typer.Argument(help="Spec files.")], sets: SetOption = None
) -> None:
    """Check one or many specs; one line per spec. Exit 2 if any is invalid."""
    from resgen.analysis.units import human
    from resgen.pipeline import checked_network as checked

    failed = 0
    for spec in specs:
        try:
            net = checked(spec, sets or [])
        except SpecError as error:
            failed += 1
            message = str(error).replace("\n", "\n    ")
            typer.echo(f"FAIL {spec}\n    {message}")
            continue
        typer.echo(f"ok   {spec}: {net.name}, {net.params:,} parameters, {human(net.macs, 'MACs')}")
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

    net = checked_network(spec, sets)
    if fmt is SummaryFormat.table:
        print_summary(net)
    else:
        sys.stdout.write(render_summary(net, fmt.value))


@app.command()
def render(
    specs: Annotated[
        list[Path],
        typer.Argument(
            help="A spec file (YAML); several with --side-by-side.",
            show_default=False,
            metavar="SPEC...",
        ),
    ],
    fmt: Annotated[
        DiagramFormat | None,
        typer.Option(
            "--format", "-f", help="svg, png, pdf, dot or html (default: from -o, else svg)"
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="Output file, or - for stdout (default: NAME.FORMAT)"),
    ] = None,
    level: Annotated[
        DiagramLevel | None,
        typer.Option(help="stage, block or layer (default: layer; html opens at stage)"),
    ] = None,
    roll: Annotated[
        bool, typer.Option("--roll", help="Fold each run of identical blocks into one node ×N.")
    ] = False,
    direction: DirectionOption = "TB",
    theme: ThemeOption = "light",
    merge: MergeOption = False,
    dpi: Annotated[
        int | None,
        typer.Option(min=1, max=2400, help="PNG resolution in dots per inch (default 96)."),
    ] = None,
    fit: Annotated[
        bool,
        typer.Option(
            "--fit/--no-fit",
            help="Roll up a diagram too large to lay out in seconds (over 1,500 nodes), and roll "
            "up (or refuse) a PNG or PDF too large to open (default: fit).",
        ),
    ] = True,
    side_by_side: Annotated[
        bool,
        typer.Option(
            "--side-by-side",
            help="Draw every SPEC in one figure, a column each, aligned by resolution.",
        ),
    ] = False,
    sets: SetOption = None,
) -> None:
    """Draw SPEC: a Graphviz diagram (svg, png, pdf, dot) or an interactive HTML page."""
    from resgen.render import RenderError, format_for
    from resgen.render import render as draw

    name = fmt.value if fmt else format_for(out)
    if dpi is not None and name != "png":
        typer.echo(f"error: --dpi sets a PNG's resolution; this draws {name}", err=True)
        raise typer.Exit(2)
    if len(specs) > 1 and not side_by_side:
        typer.echo("error: several specs are drawn in one figure with --side-by-side", err=True)
        raise typer.Exit(2)
    if side_by_side:
        if name == "html":
            typer.echo("error: --side-by-side draws svg, png, pdf or dot", err=True)
            raise typer.Exit(2)
        drawing = {"direction": direction.upper(), "theme_name": theme, "merge": merge}
        _render_side_by_side(
            specs, sets, name, out, level.value if level else "layer", roll, dpi, drawing
        )
        return
    net = checked_network(specs[0], sets)
    try:
        data = draw(
            net,
            name,
            level.value if level else None,
            roll,
            direction=direction.upper(),
            theme=theme,
            dpi=dpi,
            fit=fit,
            merge=merge,
        )
    except (RenderError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    _write_diagram(data, out, Path(f"{net.name}.{name}"))


def _render_side_by_side(
    specs: list[Path],
    sets: list[str] | None,
    fmt: str,
    out: Path | None,
    level: str,
    roll: bool,
    dpi: int | None,
    drawing: dict[str, Any],
) -> None:
    from resgen.render import RenderError, run_graphviz
    from resgen.render.fit import with_graph_attrs
    from resgen.render.side import side_by_side

    nets = [checked_network(spec, sets) for spec in specs]
    try:
        source = side_by_side(nets, level=level, roll=roll, **drawing)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if fmt == "png" and dpi:
        source = with_graph_attrs(source, {"dpi": dpi})
    try:
        data = source.encode() if fmt == "dot" else run_graphviz(source, fmt)
    except RenderError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    _write_diagram(data, out, Path("_".join(net.name for net in nets) + f".{fmt}"))


def _write_diagram(data: bytes, out: Path | None, default: Path) -> None:
    """A drawn diagram to `out` (`-`: stdout), else to `default`."""
    if out is not None and str(out) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    target = out or default
    write({target: data})
    typer.echo(f"wrote {target} ({len(data):,} bytes)")


@app.command()
def train(
    spec: SpecArg,
    out: Annotated[Path, typer.Option("-o", "--out", help="The run's folder.")],
    sets: SetOption = None,
    data: DataOption = None,
    data_dir: DataDirOption = None,
    epochs: EpochsOption = None,
    batch_size: BatchOption = None,
    lr: LrOption = None,
    momentum: MomentumOption = None,
    weight_decay: DecayOption = None,
    warmup: WarmupOption = None,
    milestones: MilestonesOption = None,
    seed: SeedOption = None,
    augment: AugmentOption = None,
    device: DeviceOption = None,
    amp: AmpOption = None,
    channels_last: ChannelsLastOption = None,
    compile: CompileOption = None,
    threads: ThreadsOption = None,
    resume: ResumeOption = False,
) -> None:
    """Train SPEC's network on a data set: metrics.csv, checkpoints and config in -o.

    The network's input and classes follow the data set. Under `torchrun
    --nproc-per-node N` it trains with DistributedDataParallel. Exit 1 if the run
    diverged, 2 for a mistake found before training, 130 if interrupted.
    """
    from resgen.train.command import train_command

    flags = training_flags(
        data=data, data_dir=data_dir, epochs=epochs, batch_size=batch_size, lr=lr,
        momentum=momentum, weight_decay=weight_decay, warmup=warmup, milestones=milestones,
        seed=seed, augment=augment, device=device, amp=amp, channels_last=channels_last,
        compile=compile, threads=threads,
    )  # fmt: skip
    train_exit(lambda: train_command(spec, sets or [], flags, out, resume))


@app.command()
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="A sweep file (YAML).", show_default=False)],
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Output folder (default: build/SWEEP).")
    ] = None,
    fmt: Annotated[
        SummaryFormat,
        typer.Option("--format", "-f", help="Print the comparison as table, md, csv or json."),
    ] = SummaryFormat.table,
    check: Annotated[
        bool, typer.Option("--check", help="Instantiate each module and run a forward pass.")
    ] = False,
    diagram: Annotated[
        str | None,
        typer.Option("--diagram", metavar="FORMATS", help="Also draw each variant, e.g. svg,html."),
    ] = None,
    plot: Annotated[
        bool,
        typer.Option("--plot", help="Also plot parameters and MACs (compare.png; matplotlib)."),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Worker processes (default: one per core)."),
    ] = None,
    sets: SetOption = None,
    train: Annotated[
        bool,
        typer.Option(
            "--train", help="Also train every variant (docs/training.md).", rich_help_panel=_T
        ),
    ] = False,
    seeds: Annotated[
        str | None,
        typer.Option(
            metavar="S1,S2",
            help="Train each variant once per seed (default: 0).",
            rich_help_panel=_T,
        ),
    ] = None,
    runner: Annotated[
        Runner, typer.Option(help="local (a process pool) or ray.", rich_help_panel=_T)
    ] = Runner.local,
    address: Annotated[
        str | None,
        typer.Option(help="A Ray cluster to join (see `ray start --head`).", rich_help_panel=_T),
    ] = None,
    scheduler: Annotated[
        Scheduler,
        typer.Option(help="none, or asha: stop weak runs early (ray).", rich_help_panel=_T),
    ] = Scheduler.none,
    data: DataOption = None,
    data_dir: DataDirOption = None,
    epochs: EpochsOption = None,
    batch_size: BatchOption = None,
    lr: LrOption = None,
    momentum: MomentumOption = None,
    weight_decay: DecayOption = None,
    warmup: WarmupOption = None,
    milestones: MilestonesOption = None,
    seed: SeedOption = None,
    augment: AugmentOption = None,
    device: DeviceOption = None,
    amp: AmpOption = None,
    channels_last: ChannelsLastOption = None,
    compile: CompileOption = None,
    threads: ThreadsOption = None,
    resume: ResumeOption = False,
) -> None:
    """Build every variant of a sweep: resolved specs, code, an index and a comparison.

    With --train, also train each variant (at each seed) and write results.csv,
    results.json, results.md and curves.png. Exit 1 if any variant failed to build
    or any run diverged (the others are still written), 2 if the sweep file is wrong.
    """
    from resgen.pipeline import BuildOptions
    from resgen.variants.command import diagram_formats, sweep_command

    flags = training_flags(
        data=data, data_dir=data_dir, epochs=epochs, batch_size=batch_size, lr=lr,
        momentum=momentum, weight_decay=weight_decay, warmup=warmup, milestones=milestones,
        seed=seed, seeds=seeds, augment=augment, device=device, amp=amp,
        channels_last=channels_last, compile=compile, threads=threads,
    )  # fmt: skip
    if train:
        from resgen.train.command import sweep_train_command

        train_exit(
            lambda: sweep_train_command(
                sweep_file,
                out,
                sets or [],
                flags,
                jobs=jobs,
                runner=runner.value,
                address=address,
                scheduler=scheduler.value,
                resume=resume,
            )
        )
    given = [flag for flag, value in flags.items() if value is not None]
    given += ["runner"] * (runner is not Runner.local) + ["address"] * bool(address)
    given += ["scheduler"] * (scheduler is not Scheduler.none) + ["resume"] * resume
    if given:
        flag = "--" + given[0].replace("_", "-")
        raise typer.BadParameter(f"{flag} is a training flag: add --train", param_hint=flag)

    try:
        formats = diagram_formats(diagram) if diagram is not None else ()
        options = BuildOptions(check=check, diagrams=formats)
        code = sweep_command(
            sweep_file, out, fmt.value, options=options, plot=plot, jobs=jobs, sets=sets or []
        )
    except SpecError as error:
        fail(error)
    raise typer.Exit(code)


@app.command()
def diff(
    a: Annotated[str, typer.Argument(help="A spec file, or SWEEP:VARIANT.", show_default=False)],
    b: Annotated[str, typer.Argument(help="Another one.", show_default=False)],
) -> None:
    """What differs between two specs or sweep variants: structure, parameters, MACs."""
    from resgen.variants.diff import diff_text, load_network

    try:
        text = diff_text(load_network(a), load_network(b))
    except SpecError as error:
        fail(error)
    sys.stdout.write(text)


class ExportFormat(str, enum.Enum):
    onnx = "onnx"
    torchscript = "torchscript"


@app.command()
def export(
    spec: SpecArg,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="onnx or torchscript.")
    ] = ExportFormat.onnx,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="Output file (default: build/NAME.onnx or .pt)."),
    ] = None,
    fuse_bn: Annotated[
        bool, typer.Option("--fuse-bn", help="Fold each batch norm into the conv before it.")
    ] = False,
    weights: Annotated[
        Path | None, typer.Option("--weights", help="A state dict to load first (torch.save).")
    ] = None,
    sets: SetOption = None,
) -> None:
    """Export SPEC's module for inference (eval mode): ONNX (opset 17) or TorchScript."""
    from resgen.export import SUFFIXES, ExportError, export_network
    from resgen.outputs import check_targets

    net = checked_network(spec, sets)
    name = net.name
    target = out or Path("build") / f"{name}{SUFFIXES[fmt.value]}"
    try:
        check_targets([target])  # a bad -o is refused before the export's work
        data = export_network(net, fmt.value, fuse_bn, weights)
    except SpecError as error:
        fail(error)
    except ExportError as exc:  # a user's file, like a spec: exit code 2
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    write({target: data})
    fused = ", batch norm folded" if fuse_bn else ""
    typer.echo(f"wrote {target} ({len(data):,} bytes, {fmt.value}{fused})")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec language (for editor completion)."""
    from resgen.spec.schema import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


def app_for(args: list[str]) -> typer.Typer:
    """`app`, narrowed to the one command `args` name, if they name one.

    Typer turns every registered command's signature into a parser before it
    runs any: a twentieth of a lean `resgen build`. The narrowed app has the same
    options, help and usage for that command; anything else (no command, `--help`,
    a misspelt name) gets the whole `app`.
    """
    words = iter(args)
    name = next((word for word in words if not _option(word, words)), None)
    chosen = [  # named as typer names them: `name=`, else the function's name
        command
        for command in app.registered_commands
        if (command.name or get_command_name(command.callback.__name__)) == name
    ]
    if not chosen:
        return app
    narrowed = copy.copy(app)
    narrowed.registered_commands = chosen
    return narrowed


def _option(word: str, words: Iterator[str]) -> bool:
    """Whether `word` is a global option (`--plugin FILE` consumes its FILE)."""
    if word == "--plugin":
        next(words, None)
    return word.startswith("-")


def main() -> None:
    from resgen.ops import PluginError

    # resgen's models need no pydantic plugins (observability hooks), and looking
    # for them reads every installed distribution's metadata when the first model
    # is built: a tenth of a lean build. Typer switches them off for its own
    # parameters the same way; a user's explicit setting wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")

    try:
        app_for(sys.argv[1:])()
    except PluginError as error:  # a plugin named in $RESGEN_PLUGINS that cannot load
        typer.echo(f"error: {error}", err=True)
        raise SystemExit(2) from None
    except InternalError as error:  # a bug in resgen: no traceback, exit code 3
        typer.echo(f"error: internal error: {error}", err=True)
        typer.echo("  hint: this is a bug in resgen; please report it with the spec", err=True)
        raise SystemExit(3) from None
