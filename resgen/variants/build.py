"""Build one planned variant: name it, check it, emit its resolved spec and code.

This runs in worker processes, so it takes and returns plain picklable data;
a variant that fails carries its error as text instead of raising.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from resgen import __version__
from resgen.analysis.counts import weighted_depth
from resgen.errors import SpecError
from resgen.spec.load import validate
from resgen.spec.yaml_source import Source
from resgen.variants.overrides import OverriddenSource, Override, overridden
from resgen.variants.sweep import NAME_PATH, Variant

if TYPE_CHECKING:
    import networkx as nx

JOIN_OPS = frozenset({"add", "concat", "gate"})
PROBE_NAME = "variant"  # a placeholder name while the real one waits for `{depth}`
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class Options:
    check: bool = False  # instantiate the module and run a forward pass
    diagrams: tuple[str, ...] = ()  # diagram formats (svg, png, pdf, dot, html)


@dataclass
class Result:
    """What a variant came to; `error` is empty when it built and checked."""

    index: int
    name: str
    values: dict[str, Any]
    error: str = ""
    depth: int | None = None
    params: int | None = None
    macs: int | None = None
    activations: int | None = None
    joins: int = 0  # residual joins (add, concat, gate): 0 for a plain network
    spec: str = ""  # the resolved spec, as YAML
    code: str = ""  # the emitted module
    diagrams: dict[str, bytes] = field(default_factory=dict)  # file name -> content

    @property
    def ok(self) -> bool:
        return not self.error


def resolve(base: Source, variant: Variant) -> tuple[str, OverriddenSource, nx.DiGraph]:
    """The variant's name, resolved source and checked graph; SpecError if it fails."""
    from resgen.graph import build_graph

    fields = dict(variant.fields)
    if variant.template.needs_build:
        probe = overridden(base, [*variant.overrides, _name(PROBE_NAME, variant)])
        fields["depth"] = weighted_depth(build_graph(validate(probe)))
    name = variant.template.render(fields)
    source = overridden(base, [*variant.overrides, _name(name, variant)])
    return name, source, build_graph(validate(source))


def _name(name: str, variant: Variant) -> Override:
    return Override(NAME_PATH, name, variant.template.origin)


def build_variant(base: Source, variant: Variant, options: Options, about: str = "") -> Result:
    """Build `variant` of `base`; `about` names the sweep in the resolved spec's header."""
    from resgen.codegen.emit import generate

    result = Result(variant.index, variant.template.render(variant.fields), variant.values)
    try:
        result.name, source, graph = resolve(base, variant)
    except SpecError as error:
        result.error = str(error)
        return result
    totals = graph.graph
    result.depth = weighted_depth(graph)
    result.params, result.macs = totals["params"], totals["macs"]
    result.activations = totals["activations"]
    result.joins = sum(data["op"] in JOIN_OPS for _, data in graph.nodes(data=True))
    result.spec = resolved_yaml(source.data, result.name, variant, about)
    result.code = generate(totals["network"], totals["params"])
    if options.check:
        result.error = _check(result.code, graph)
    if options.diagrams and result.ok:
        result.error = _draw(result, graph, options.diagrams)
    return result


def resolved_yaml(data: Any, name: str, variant: Variant, about: str) -> str:
    """The variant as a standalone spec, with a header saying where it came from."""
    values = ", ".join(f"{key}={show_value(value)}" for key, value in variant.values.items())
    header = (
        f"# {name}: variant {variant.index} of {about or 'a sweep'}\n"
        f"# {values}\n"
        f"# Resolved by resgen {__version__}; `resgen build` this file to rebuild the variant.\n"
    )
    body = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=100,
    )
    return header + body


def show_value(value: Any) -> str:
    """An axis value in a header, table cell or CSV field: strings bare, others as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _check(code: str, graph: nx.DiGraph) -> str:
    """Run the module (`--check`); the problem as text, or nothing."""
    from resgen.check import check_source

    try:
        result = check_source(code, graph)
    except SpecError as error:
        return str(error)
    except Exception as exc:  # a module that fails to run is this variant's failure
        return f"check failed: the module raised {type(exc).__name__}: {exc}"
    if result.ok:
        return ""
    return (
        f"check failed: output {result.output_shape} (expected {result.expected_shape}), "
        f"{result.module_params:,} parameters in the module vs {result.analytic_params:,} counted"
    )


def _draw(result: Result, graph: nx.DiGraph, formats: tuple[str, ...]) -> str:
    """Render the diagrams into `result`; the problem as text, or nothing."""
    from resgen.render import RenderError, diagram_files

    try:
        files = diagram_files(graph, Path(result.name), list(formats))
        result.diagrams = {path.name: content for path, content in files.items()}
    except RenderError as exc:
        return f"diagram failed: {exc}"
    return ""
