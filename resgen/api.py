"""The Python API: load, check, generate and build, each from a path, text or Spec.

Each goes through `resgen.pipeline`, as `resgen build` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resgen.pipeline import BuildOptions, BuildResult, SpecInput, build, checked_network
from resgen.spec.load import load_spec

if TYPE_CHECKING:
    import networkx as nx
    from torch import nn

    from resgen.render.figure import Diagram


def build_graph(spec: SpecInput) -> nx.DiGraph:
    """The checked network as a networkx graph, for graph algorithms (`Network.to_networkx`)."""
    return checked_network(spec).to_networkx()


def generate_code(spec: SpecInput) -> str:
    """The standalone PyTorch source for `spec` (what `resgen build` writes)."""
    return build(spec).code


def build_model(spec: SpecInput) -> nn.Module:
    """An instance of the module, built by executing the very source `build` emits."""
    from resgen.codegen.execute import module_from_source

    built = build(spec)
    return module_from_source(built.code, built.network.name).build()


__all__ = [
    "BuildOptions",
    "BuildResult",
    "build",
    "build_graph",
    "build_model",
    "checked_network",
    "diagram",
    "generate_code",
    "load_spec",
]


def diagram(
    spec: SpecInput,
    level: str = "layer",
    roll: bool = False,
    direction: str = "TB",
    theme: str = "light",
    merge: bool = False,
) -> Diagram:
    """The diagram of `spec`: a notebook shows it; `.save("fig.pdf")` writes it.

    `direction` is TB (top-down) or LR; `theme` light or dark; `merge` draws each
    conv-norm-act run as one node (docs/rendering.md).
    """
    from resgen.render.dot import LEVELS
    from resgen.render.figure import Diagram
    from resgen.render.style import THEMES

    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    if direction.upper() not in ("TB", "LR") or theme not in THEMES:
        raise ValueError(f"direction is TB or LR, theme one of {', '.join(THEMES)}")
    options: dict[str, Any] = {"direction": direction.upper(), "theme_name": theme}
    if merge:
        options["merge"] = True
    return Diagram(checked_network(spec), level, roll, options)
