"""A few DistributedDataParallel (gloo) SGD steps of an emitted module on random data.

Run under torchrun (tests/test_gpu_ready_ddp.py does):
    python -m torch.distributed.run --standalone --nproc_per_node 2 tests/ddp_train.py SPEC
Each rank starts from its own random initialisation; DDP broadcasts rank 0's, and
averaged gradients must keep every parameter identical on every rank. Any failed
check raises, so the rank exits non-zero and so does torchrun.
"""

from __future__ import annotations

import argparse
import copy
import math

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

import resgen


def flat_parameters(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def check_sync_batchnorm(model: nn.Module, x: torch.Tensor) -> None:
    """convert_sync_batchnorm swaps every batch norm, keeps the state dict, same eval outputs.

    (Training with SyncBatchNorm needs CUDA/XPU tensors in PyTorch; this runs on CPU.)
    """
    model.eval()
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(copy.deepcopy(model))
    norms = [m for m in converted.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert norms and all(isinstance(m, nn.SyncBatchNorm) for m in norms)
    assert list(converted.state_dict()) == list(model.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(converted(x), model(x))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("spec")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(rank)  # different on each rank until DDP broadcasts rank 0's
    model = resgen.build_model(args.spec)
    shape = resgen.load_spec(args.spec).input
    ddp = DistributedDataParallel(model)
    start = flat_parameters(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
    generator = torch.Generator().manual_seed(1000 + rank)  # each rank its own data
    losses = []
    for _ in range(args.steps):
        x = torch.randn(args.batch, *shape, generator=generator)
        target = torch.randint(0, 10, (args.batch,), generator=generator)
        optimizer.zero_grad()
        loss = F.cross_entropy(ddp(x), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert all(math.isfinite(v) for v in losses), losses
    mine = flat_parameters(model)
    assert not torch.equal(mine, start), "the parameters did not move"
    gathered = [torch.empty_like(mine) for _ in range(world)]
    dist.all_gather(gathered, mine)
    for other in gathered[1:]:
        assert torch.equal(other, gathered[0]), "parameters differ between ranks"
    check_sync_batchnorm(model, x)
    dist.barrier()
    if rank == 0:
        print(f"ddp ok: {world} ranks, {args.steps} steps, losses {losses}, in sync")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
