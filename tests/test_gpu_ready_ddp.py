"""Training across processes: torchrun, two ranks, DistributedDataParallel on gloo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import resgen
from tests.conftest import ROOT
from tests.gpu_ready_helpers import REPRESENTATIVE, example_input, spec_path

SCRIPT = Path(__file__).with_name("ddp_train.py")


@pytest.mark.slow
def test_trains_under_torchrun_with_two_processes() -> None:
    spec = spec_path("cifar10/resnet20_a")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node", "2", str(SCRIPT), str(spec)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "ddp ok: 2 ranks, 3 steps" in result.stdout and "in sync" in result.stdout


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_convert_sync_batchnorm(name: str) -> None:
    """Every batch norm becomes a SyncBatchNorm; keys and eval outputs stay the same."""
    spec = spec_path(name)
    model = resgen.build_model(spec).eval()
    count = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(resgen.build_model(spec)).eval()
    converted.load_state_dict(model.state_dict(), strict=True)
    assert sum(isinstance(m, nn.SyncBatchNorm) for m in converted.modules()) == count > 0
    assert not any(type(m) is nn.BatchNorm2d for m in converted.modules())
    x = example_input(spec, batch=1)
    with torch.no_grad():
        torch.testing.assert_close(converted(x), model(x))
