"""Every zoo spec instantiates; counts, names and outputs match the references."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

import resgen
from resgen.check import check_source
from tests.conftest import SPECS, zoo_specs

TORCHVISION_MODELS = [
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
    "wide_resnet50_2", "wide_resnet101_2", "densenet121", "densenet169",
]  # fmt: skip
TIMM_MODELS = ["resnet50d", "seresnet50"]
HAS_TORCHVISION = importlib.util.find_spec("torchvision") is not None
HAS_TIMM = importlib.util.find_spec("timm") is not None


@pytest.mark.parametrize("spec", zoo_specs(), ids=lambda p: p.stem)
def test_module_matches_analysis(spec: Path) -> None:
    """Forward pass on a zero input: output shape and parameter count as analysed."""
    graph = resgen.checked_network(spec)
    result = check_source(resgen.generate_code(spec), graph)
    assert result.output_shape == result.expected_shape
    assert result.module_params == result.analytic_params == graph.params


@pytest.mark.parametrize("name", TORCHVISION_MODELS + TIMM_MODELS)
def test_state_dict_layout_is_the_reference(name: str, references: dict) -> None:
    model = resgen.build_model(SPECS / f"{name}.yaml")
    ours = [[key, list(value.shape)] for key, value in model.state_dict().items()]
    assert ours == references[name]["state_dict"]


@pytest.mark.parametrize("name", TORCHVISION_MODELS + TIMM_MODELS)
def test_reference_layout_loads_strictly(name: str, references: dict) -> None:
    """A state dict with torchvision's keys and shapes loads with strict=True."""
    model = resgen.build_model(SPECS / f"{name}.yaml")
    generator = torch.Generator().manual_seed(0)
    state = {
        key: torch.randn(shape, generator=generator) if shape else torch.tensor(7)
        for key, shape in references[name]["state_dict"]
    }
    model.load_state_dict(state, strict=True)
    last_weight = references[name]["state_dict"][-2][0]
    assert torch.equal(model.state_dict()[last_weight], state[last_weight])


def _assert_same_outputs(reference: torch.nn.Module, name: str) -> None:
    reference.eval()
    # non-trivial BN statistics so that a mis-wired layer shows in the output
    for module in reference.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.1, 0.1)
    ours = resgen.build_model(SPECS / f"{name}.yaml").eval()
    ours.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), reference(x), atol=1e-5, rtol=1e-5)


@pytest.mark.skipif(not HAS_TORCHVISION, reason="torchvision not installed (dev venv only)")
@pytest.mark.parametrize("name", TORCHVISION_MODELS)
def test_outputs_equal_torchvision(name: str) -> None:
    import torchvision

    torch.manual_seed(0)
    _assert_same_outputs(getattr(torchvision.models, name)(weights=None), name)


@pytest.mark.skipif(not HAS_TIMM, reason="timm not installed (dev venv only)")
@pytest.mark.parametrize("name", TIMM_MODELS)
def test_outputs_equal_timm(name: str) -> None:
    import timm

    torch.manual_seed(0)
    _assert_same_outputs(timm.create_model(name, pretrained=False), name)
