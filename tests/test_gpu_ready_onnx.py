"""ONNX export of every zoo model: onnxruntime gives PyTorch's outputs (atol 1e-4)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

import resgen
from resgen.export import ONNX_OPSET, to_onnx
from tests.conftest import SPECS, zoo_specs
from tests.gpu_ready_helpers import assert_matches_pytorch, calibrated, example_input

HAS_ORT = all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))
pytestmark = pytest.mark.skipif(not HAS_ORT, reason="onnx and onnxruntime are a test extra")

# export, run and compare in a few seconds each; the rest is marked slow
FAST = {"resnet18", "resnet50", "resnet50d", "seresnet50", "densenet121"}
SLOW_CIFAR = {"resnet1202_a", "resnet1202_b", "preact_resnet1001"}


def _param(spec: Path) -> object:
    imagenet = spec.parent == SPECS
    slow = spec.stem not in FAST if imagenet else spec.stem in SLOW_CIFAR
    return pytest.param(spec, id=spec.stem, marks=[pytest.mark.slow] if slow else [])


def run_onnx(data: bytes, x: torch.Tensor) -> torch.Tensor:
    import onnxruntime

    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    return torch.from_numpy(session.run(None, {"input": x.numpy()})[0])


@pytest.mark.parametrize("spec", [_param(s) for s in zoo_specs()])
def test_onnxruntime_equals_pytorch(spec: Path) -> None:
    import onnx

    model = calibrated(spec)
    data = to_onnx(model, resgen.load_spec(spec).input)
    proto = onnx.load_from_string(data)
    onnx.checker.check_model(proto)
    assert {o.domain: o.version for o in proto.opset_import}[""] == ONNX_OPSET
    # exported at batch 1, run at batch 2: the batch dimension is dynamic
    x = example_input(spec, batch=2, seed=5)
    assert_matches_pytorch(run_onnx(data, x), model, x)


def test_onnx_has_no_training_ops() -> None:
    """Stochastic depth and batch norm export in their inference form."""
    import onnx

    spec = SPECS / "cifar10" / "resnet110_stochastic_depth.yaml"
    proto = onnx.load_from_string(to_onnx(resgen.build_model(spec), [3, 32, 32]))
    ops = {node.op_type for node in proto.graph.node}
    assert not ops & {"Bernoulli", "RandomUniformLike", "Dropout"}, ops
    assert "Conv" in ops and "Add" in ops
