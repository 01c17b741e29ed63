"""One build: spec -> validated `Spec` -> checked graph -> code, check, diagrams.

`resgen build`, every sweep variant, training and the Python API go through
`build`; commands that need only the checked graph (`validate`, `summary`,
`render`, `export`, `diff`) through `checked_graph`. A user's mistake raises
`SpecError` with its position; torch is imported only for `check`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from resgen.spec.load import read_source, source_of, validate
from resgen.spec.schema import Spec
from resgen.spec.yaml_source import Source

if TYPE_CHECKING:
    import networkx as nx

    from resgen.check import CheckResult
    from resgen.graph.model import Network

SpecInput = Spec | Source | str | Path  # a Spec, a parsed source, a path or YAML text


@dataclass(frozen=True)
class BuildOptions:
    check: bool = False  # instantiate the module and run a forward pass (imports torch)
    diagrams: tuple[str, ...] = ()  # diagram formats (svg, png, pdf, dot, html)
    sets: tuple[str, ...] = ()  # `--set PATH=VALUE` edits, applied before validation


@dataclass(frozen=True)
class BuildResult:
    """Everything one build produced, in memory; nothing is written."""

    spec: Spec  # validated, edits applied
    graph: nx.DiGraph  # checked; `graph.graph` holds the network and the totals
    code: str  # the emitted module
    check: CheckResult | None = None  # with `check`; see `check.failure`
    diagrams: dict[str, bytes] = field(default_factory=dict)  # file name -> content

    @property
    def network(self) -> Network:
        return self.graph.graph["network"]

    @property
    def params(self) -> int:
        return self.graph.graph["params"]

    @property
    def macs(self) -> int:
        return self.graph.graph["macs"]

    @property
    def activations(self) -> int:
        return self.graph.graph["activations"]


def load(spec: SpecInput, sets: Sequence[str] = ()) -> Spec:
    """The validated spec, with `--set` edits applied to its YAML first."""
    if isinstance(spec, Spec) and not sets:
        return spec
    if isinstance(spec, Spec):
        source = source_of(spec)
    else:
        source = spec if isinstance(spec, Source) else read_source(spec)
    if sets:
        from resgen.variants.overrides import overridden, parse_set

        source = overridden(source, [parse_set(argument) for argument in sets])
    return validate(source)


def checked_graph(spec: SpecInput, sets: Sequence[str] = ()) -> nx.DiGraph:
    """The checked graph: nodes carry op, args, shape, params and MACs (see `build_graph`)."""
    from resgen.graph import build_graph

    return build_graph(load(spec, sets))


def build(spec: SpecInput, options: BuildOptions = BuildOptions()) -> BuildResult:
    """Validate, check, emit and (per `options`) run and draw `spec`.

    SpecError for a mistake in the spec (or a network too large to run);
    RenderError if a diagram cannot be drawn. A failed check is reported in
    `result.check`, and then nothing is drawn.
    """
    from resgen.codegen.emit import generate

    validated = load(spec, options.sets)
    graph = checked_graph(validated)
    code = generate(graph.graph["network"], graph.graph["params"])
    check = None
    if options.check:
        from resgen.check import check_source

        check = check_source(code, graph)
    ok = check is None or check.ok
    diagrams = _draw(graph, options.diagrams) if options.diagrams and ok else {}
    return BuildResult(validated, graph, code, check, diagrams)


def _draw(graph: nx.DiGraph, formats: tuple[str, ...]) -> dict[str, bytes]:
    from resgen.render import diagram_files

    files = diagram_files(graph, Path(graph.graph["network"].name), list(formats))
    return {path.name: content for path, content in files.items()}
