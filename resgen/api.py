"""The Python API: load, check, generate and build, each from a path, text or Spec."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from resgen.graph import build_graph
from resgen.spec.load import load_spec
from resgen.spec.schema import Spec

if TYPE_CHECKING:
    from torch import nn

SpecLike = Spec | str | Path


def generate_code(spec: SpecLike) -> str:
    """The standalone PyTorch source for `spec` (what `resgen build` writes)."""
    from resgen.codegen.emit import generate

    graph = build_graph(spec)
    return generate(graph.graph["network"], graph.graph["params"])


def build_model(spec: SpecLike) -> nn.Module:
    """An instance of the module, built by executing the very source `build` emits."""
    from resgen.codegen.execute import module_from_source

    loaded = load_spec(spec)
    module = module_from_source(generate_code(loaded), loaded.name)
    return module.build()


__all__ = ["build_graph", "build_model", "generate_code", "load_spec"]
