"""Build one planned variant: name it, check it, emit its resolved spec and code.

This runs in worker processes, so it takes and returns plain picklable data;
a variant that fails carries its error as text instead of raising.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from resgen import __version__
from resgen.analysis.counts import weighted_depth
from resgen.errors import SpecError
from resgen.pipeline import BuildOptions, build, checked_network
from resgen.spec.yaml_source import Source
from resgen.variants.overrides import OverriddenSource, Override, overridden
from resgen.variants.sweep import NAME_PATH, Variant

PROBE_NAME = "variant"  # a placeholder name while the real one waits for `{depth}`
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


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


def resolve(base: Source, variant: Variant) -> tuple[str, OverriddenSource]:
    """The variant's name and resolved source; SpecError if naming it needs a build that fails."""
    fields = dict(variant.fields)
    if variant.template.needs_build:
        probe = overridden(base, [*variant.overrides, _name(PROBE_NAME, variant)])
        fields["depth"] = weighted_depth(checked_network(probe))
    name = variant.template.render(fields)
    return name, overridden(base, [*variant.overrides, _name(name, variant)])


def _name(name: str, variant: Variant) -> Override:
    return Override(NAME_PATH, name, variant.template.origin)


def build_variant(base: Source, variant: Variant, options: BuildOptions, about: str = "") -> Result:
    """Build `variant` of `base`; `about` names the sweep in the resolved spec's header."""
    from resgen.render import RenderError

    result = Result(variant.index, variant.template.render(variant.fields), variant.values)
    try:
        result.name, source = resolve(base, variant)
        built = build(source, options)
    except SpecError as error:
        result.error = str(error)
        return result
    except RenderError as exc:
        result.error = f"diagram failed: {exc}"
        return result
    result.depth = weighted_depth(built.network)
    result.params, result.macs, result.activations = built.params, built.macs, built.activations
    result.joins = sum(block.join != "" for block in built.network.blocks())
    result.spec = resolved_yaml(source.data, result.name, variant, about)
    result.code, result.diagrams = built.code, built.diagrams
    result.error = built.check.failure if built.check else ""
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
