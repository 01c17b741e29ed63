"""The Python API: load, check, generate and build, each from a path, text or Spec.

Each goes through `resgen.pipeline`, as `resgen build` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resgen.pipeline import BuildOptions, BuildResult, SpecInput, build
from resgen.pipeline import checked_graph as build_graph
from resgen.spec.load import load_spec

if TYPE_CHECKING:
    from torch import nn


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
    "generate_code",
    "load_spec",
]
