"""One build: spec -> validated `Spec` -> checked IR -> code, check, diagrams.

`resgen build`, every sweep variant, training and the Python API go through
`build`; commands that need only the checked network (`validate`, `summary`,
`render`, `export`, `diff`) through `checked_network`. A user's mistake raises
`SpecError` with its position; torch is imported only for `check`, networkx
never (`Network.to_networkx` is there for graph algorithms).
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
    from resgen.check import CheckResult
    from resgen.graph.model import Network

SpecInput = Spec | Source | str | Path  # a Spec, a parsed source, a path or YAML text


@dataclass(frozen=True)
class BuildOptions:
    check: bool = False  # instantiate the module and run a forward pass (imports torch)
    diagrams: tuple[str, ...] = ()  # diagram formats (svg, png, pdf, dot, html)
    sets: tuple[str, ...] = ()  # `--set PATH=VALUE` edits, applied before validation
    direction: str = "TB"  # the diagrams' flow (TB or LR), as `render --direction`
    theme: str = "light"  # the diagrams' colours (light or dark), as `render --theme`
    merge: bool = False  # one node per conv-norm-act run, as `render --merge`


@dataclass(frozen=True)
class BuildResult:
    """Everything one build produced, in memory; nothing is written."""

    spec: Spec  # validated, edits applied
    network: Network  # the checked IR, with every shape and count
    code: str  # the emitted module
    check: CheckResult | None = None  # with `check`; see `check.failure`
    diagrams: dict[str, bytes] = field(default_factory=dict)  # file name -> content

    @property
    def params(self) -> int:
        return self.network.params

    @property
    def macs(self) -> int:
        return self.network.macs

    @property
    def activations(self) -> int:
        return self.network.activations


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


def checked_network(spec: SpecInput, sets: Sequence[str] = ()) -> Network:
    """The checked IR: every op with its shape, counts and place in the spec."""
    from resgen.graph.expand import expand

    return expand(load(spec, sets))


def build(spec: SpecInput, options: BuildOptions = BuildOptions()) -> BuildResult:
    """Validate, check, emit and (per `options`) run and draw `spec`.

    SpecError for a mistake in the spec (or a network too large to run);
    RenderError if a diagram cannot be drawn. A failed check is reported in
    `result.check`, and then nothing is drawn.
    """
    from resgen.codegen.emit import generate

    validated = load(spec, options.sets)
    network = checked_network(validated)
    code = generate(network)
    check = None
    if options.check:
        from resgen.check import check_source

        check = check_source(code, network)
    ok = check is None or check.ok
    diagrams = _draw(network, options) if options.diagrams and ok else {}
    return BuildResult(validated, network, code, check, diagrams)


def _draw(network: Network, options: BuildOptions) -> dict[str, bytes]:
    from resgen.render import diagram_files

    drawing = {"direction": options.direction, "theme": options.theme, "merge": options.merge}
    files = diagram_files(network, Path(network.name), list(options.diagrams), **drawing)
    return {path.name: content for path, content in files.items()}
