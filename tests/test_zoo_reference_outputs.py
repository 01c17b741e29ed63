"""Zoo specs whose reference (torchvision, timm) layout and outputs are stored as fixtures:
same state-dict names, shapes and order, same parameter count, equal outputs after a
strict load on unit-scale and ×50 inputs."""

from __future__ import annotations

import pytest
import torch

import resgen
from tests.conftest import SPECS
from tests.reference_outputs import fill, fixtures, inputs, layout

REFERENCES = fixtures()


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_the_spec_equals_its_reference(name: str) -> None:
    stored = REFERENCES[name]
    spec = SPECS / f"{name}.yaml"
    state = fill(resgen.build_model(spec)).state_dict()  # as the reference was filled
    model = resgen.build_model(spec)
    assert layout(model) == stored["state_dict"]
    assert sum(p.numel() for p in model.parameters()) == stored["params"]
    assert resgen.checked_network(spec).params == stored["params"]
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        for key, x in inputs(stored["input"]).items():
            expected = torch.tensor(stored["outputs"][key])
            got = model(x).flatten().double()
            scale = expected.abs().max().item()
            assert torch.allclose(got, expected.double(), rtol=1e-4, atol=1e-4 * scale), key
