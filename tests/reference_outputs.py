"""Reference models' outputs under weights any layout with the same names can reproduce.

A reference model (torchvision, timm) and resgen's module of the same
state-dict layout are both filled by `fill`: each entry's values come from a
generator seeded by the entry's name, scaled by its role. The reference's
outputs on two fixed inputs (unit scale and ×50, so saturating ops such as
relu6 are really exercised) are stored once per model in
`tests/fixtures/outputs/<spec>.json` by `tests/fixtures/make_reference_outputs.py`
(run in a dev venv with torchvision and timm); the tests compare against them
without either library.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import torch
from torch import nn

FIXTURES = Path(__file__).parent / "fixtures" / "outputs"
SCALES = {"unit": 1.0, "x50": 50.0}


@torch.no_grad()
def fill(module: nn.Module) -> nn.Module:
    """Give every floating state-dict entry values that depend only on its name and shape."""
    for name, tensor in module.state_dict().items():
        if not tensor.is_floating_point():
            continue
        generator = torch.Generator().manual_seed(zlib.crc32(name.encode()))
        noise = torch.randn(tensor.shape, generator=generator, dtype=torch.float64)
        leaf = name.rsplit(".", 1)[-1]
        if tensor.dim() > 1:  # conv and linear weights: unit variance out
            values = noise / tensor[0].numel() ** 0.5
        elif leaf == "running_var":
            values = 1 + 0.2 * noise.abs()
        elif leaf == "weight":  # norm scales
            values = 1 + 0.1 * noise
        else:  # biases, norm shifts, running means
            values = 0.1 * noise
        tensor.copy_(values.to(tensor.dtype))
    return module


def inputs(shape: list[int]) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(1, *shape, generator=generator)
    return {key: x * scale for key, scale in SCALES.items()}


@torch.no_grad()
def outputs(module: nn.Module, shape: list[int]) -> dict[str, list[float]]:
    module = fill(module).eval()
    return {key: module(x).flatten().tolist() for key, x in inputs(shape).items()}


def layout(module: nn.Module) -> list[list[Any]]:
    """`[name, shape]` of every state-dict entry, in the module's order."""
    return [[name, list(t.shape)] for name, t in module.state_dict().items()]


def fixtures() -> dict[str, dict[str, Any]]:
    """Every stored reference, by spec name."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(FIXTURES.glob("*.json"))}
