"""The emitted code is device- and dtype-agnostic and correct under bf16 autocast."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import resgen
from tests.conftest import zoo_specs
from tests.gpu_ready_helpers import (
    CIFAR_REPRESENTATIVE,
    REPRESENTATIVE,
    calibrated,
    example_input,
    spec_path,
)

# what would pin a device or a dtype in emitted code
PINNED = re.compile(
    r"cuda|device|\bcpu\b|float64|double|float32|\.float\(|\.half\(|"
    r"torch\.(tensor|zeros|ones|empty|full|rand|randn|arange)\(|\bnumpy\b|\bnp\."
)


@pytest.mark.parametrize("spec", zoo_specs(), ids=lambda p: p.stem)
def test_emitted_source_pins_no_device_or_dtype(spec: Path) -> None:
    """New tensors come only from `x.new_*` (input's device and dtype); constants are Python."""
    source = resgen.generate_code(spec)
    found = [line.strip() for line in source.splitlines() if PINNED.search(line)]
    assert not found, found


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_trains_on_the_meta_device(name: str) -> None:
    """A module moved to another device runs there: no tensor is made on a fixed device."""
    spec = spec_path(name)
    model = resgen.build_model(spec).to("meta").train()
    x = example_input(spec).to("meta")
    out = model(x)
    output = tuple(resgen.build_graph(spec).graph["network"].output)
    assert out.device.type == "meta" and out.shape == (2, *output)
    out.sum().backward()
    assert all(p.grad is not None and p.grad.device.type == "meta" for p in model.parameters())


@pytest.mark.parametrize("name", CIFAR_REPRESENTATIVE)
@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16], ids=str)
def test_output_dtype_follows_the_module(name: str, dtype: torch.dtype) -> None:
    spec = spec_path(name)
    model = calibrated(spec)
    x = example_input(spec, seed=5)
    with torch.no_grad():
        expected = model(x)
        out = model.to(dtype)(x.to(dtype))
    assert out.dtype == dtype
    cosine = F.cosine_similarity(out.double(), expected.double(), dim=1)
    assert cosine.min() > 0.99, cosine


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_bf16_autocast_inference_is_close_to_float32(name: str) -> None:
    """Under CPU bf16 autocast the logits are bf16 and point the same way as float32's."""
    spec = spec_path(name)
    model = calibrated(spec)
    x = example_input(spec, seed=5)
    with torch.no_grad():
        expected = model(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(x)
    assert out.dtype == torch.bfloat16
    cosine = F.cosine_similarity(out.double(), expected.double(), dim=1)
    assert cosine.min() > 0.99, cosine


@pytest.mark.parametrize("name", CIFAR_REPRESENTATIVE)
def test_bf16_autocast_training_step(name: str) -> None:
    """Forward under autocast, backward outside: float32 gradients, finite, for every weight."""
    spec = spec_path(name)
    model = resgen.build_model(spec).train()
    x = example_input(spec, batch=4)
    target = torch.randint(0, 10, (4,), generator=torch.Generator().manual_seed(0))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = F.cross_entropy(model(x), target)
    loss.backward()
    assert torch.isfinite(loss)
    for param in model.parameters():
        assert param.dtype == param.grad.dtype == torch.float32
        assert torch.isfinite(param.grad).all()
