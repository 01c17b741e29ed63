"""Shared by the GPU-readiness tests: the representative specs, inputs, calibration."""

from __future__ import annotations

import copy
from pathlib import Path

import torch
from torch import nn

import resgen
from resgen.spec.schema import Spec
from tests.conftest import SPECS

REPRESENTATIVE = [
    "resnet50",
    "cifar10/resnet56_a",
    "cifar10/resnet110_stochastic_depth",
    "seresnet50",
    "densenet121",
    "cifar10/highway20",
    "cifar10/preact_resnet110",
    "resnet50d",
]
CIFAR_REPRESENTATIVE = [name for name in REPRESENTATIVE if name.startswith("cifar10/")]


def spec_path(name: str) -> Path:
    return SPECS / f"{name}.yaml"


def example_input(spec: Path | str | Spec, batch: int = 2, seed: int = 0) -> torch.Tensor:
    """A random input of the spec's shape."""
    shape = resgen.load_spec(spec).input
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, *shape, generator=generator)


@torch.no_grad()
def calibrated(spec: Path | str | Spec, batch: int = 4, seed: int = 0) -> nn.Module:
    """The spec's module in eval mode, its batch norm statistics set from one random batch.

    A freshly initialised deep residual network in eval mode (running variance
    1) blows its activations up layer by layer; with statistics estimated as in
    training, the outputs have the scale a trained network gives, so absolute
    tolerances mean something.
    """
    torch.manual_seed(seed)
    model = resgen.build_model(spec)
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        norm.momentum = None  # a cumulative average: one batch sets the statistics
    model.train()
    model(example_input(spec, batch, seed + 1))
    for norm in norms:
        norm.momentum = 0.1
    return model.eval()


ATOL = 1e-4


@torch.no_grad()
def fp32_error(model: nn.Module, x: torch.Tensor) -> float:
    """How far PyTorch's own float32 output is from the float64 one (same weights)."""
    exact = copy.deepcopy(model).double()(x.double())
    return (model(x).double() - exact).abs().max().item()


def assert_matches_pytorch(actual: torch.Tensor, model: nn.Module, x: torch.Tensor) -> None:
    """`actual` equals `model(x)` within ATOL, or, for networks so deep that PyTorch's
    own float32 rounding error exceeds ATOL/3, within three times that error.

    The deepest zoo networks (ResNet-152, CIFAR ResNet-1202, plain-56, ...) with
    random weights accumulate ~1e-3 of float32 error in PyTorch itself; no other
    runtime can match PyTorch more closely than PyTorch matches the exact result.
    """
    with torch.no_grad():
        expected = model(x)
    error = (actual.double() - expected.double()).abs().max().item()
    if error <= ATOL:
        return
    floor = fp32_error(model, x)
    assert error <= 3 * floor, (
        f"max abs difference {error:.2e} > atol {ATOL:g} and > 3x PyTorch's own "
        f"float32 error {floor:.2e}"
    )
