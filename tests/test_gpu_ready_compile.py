"""torch.compile (fullgraph, no graph breaks), torch.jit.script and torch.export."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

import resgen
from resgen.pipeline import load
from resgen.spec.schema import Spec
from tests.gpu_ready_helpers import (
    CIFAR_REPRESENTATIVE,
    REPRESENTATIVE,
    calibrated,
    example_input,
    spec_path,
)

IMAGENET = [name for name in REPRESENTATIVE if name not in CIFAR_REPRESENTATIVE]
# dynamo tracing of a 50-layer ImageNet model takes 10-30 s on two cores
SPECS = [*CIFAR_REPRESENTATIVE, *(pytest.param(n, marks=pytest.mark.slow) for n in IMAGENET)]


def traced_spec(name: str) -> Spec:
    """The zoo spec, CIFAR ones with two blocks a stage.

    Dynamo and export unroll every block, so 18 copies of a block trace 9 times
    longer than 2 and cover nothing more: every block type, shortcut and join
    of the spec is still there.
    """
    overrides = ["params.n=2"] if name in CIFAR_REPRESENTATIVE else []
    return load(spec_path(name), overrides)


def train_step_grads(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    model.zero_grad()
    model(x).square().mean().backward()
    return [p.grad for p in model.parameters()]


@pytest.mark.parametrize("name", SPECS)
def test_compile_fullgraph_has_no_graph_breaks(name: str) -> None:
    """fullgraph=True raises on any graph break; traced in eval and in training mode.

    The "eager" backend runs dynamo's full trace without inductor's C++ compile.
    """
    spec = traced_spec(name)
    model = calibrated(spec)
    x = example_input(spec, seed=5)
    torch._dynamo.reset()
    compiled = torch.compile(model, fullgraph=True, backend="eager")
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x))
    model.train()
    grads = train_step_grads(compiled, x)
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.slow
def test_inductor_compiles_a_cifar_resnet() -> None:
    """The default backend (inductor, a C++ compiler on CPU) gives eager's outputs and grads."""
    spec = spec_path("cifar10/resnet20_a")
    model = calibrated(spec)
    x = example_input(spec, seed=5)
    torch._dynamo.reset()
    compiled = torch.compile(model, fullgraph=True)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-4, rtol=1e-4)
    model.train()
    expected = train_step_grads(model, x)
    for got, want in zip(train_step_grads(compiled, x), expected, strict=True):
        torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-3)


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_jit_script(name: str) -> None:
    """Scripted module: eval outputs equal eager's; the training path (DropPath) runs too."""
    spec = spec_path(name)
    model = calibrated(spec)
    x = example_input(spec, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        scripted = torch.jit.script(model)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), model(x))
    scripted.train()
    grads = train_step_grads(scripted, x)
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_torch_export_with_dynamic_batch(name: str) -> None:
    spec = traced_spec(name)
    model = calibrated(spec)
    batch = torch.export.Dim("batch", min=1, max=1024)
    program = torch.export.export(model, (example_input(spec),), dynamic_shapes={"x": {0: batch}})
    exported = program.module()
    for size in (1, 3):
        x = example_input(spec, batch=size, seed=5)
        with torch.no_grad():
            torch.testing.assert_close(exported(x), model(x))


def test_stochastic_depth_is_the_identity_in_eval() -> None:
    """DropPath in eval mode: outputs are deterministic and the exported graph has no RNG."""
    spec = spec_path("cifar10/resnet110_stochastic_depth")
    model = resgen.build_model(spec).eval()
    x = example_input(spec)
    with torch.no_grad():
        torch.testing.assert_close(model(x), model(x), atol=0, rtol=0)
    graph = torch.export.export(model, (x,)).graph
    targets = {str(node.target) for node in graph.nodes if node.op == "call_function"}
    assert not [t for t in targets if "bernoulli" in t or "rand" in t], targets
