"""Speed of the generated modules against torchvision's and a hand-written CIFAR ResNet.

    python benchmarks/bench_models.py [--rounds 5] [--iters 2] [--compile] [--smoke]
                                      [--threads N] [--clock wall|cpu]
                                      [--device cpu|cuda] [--bf16]

For ResNet-18 and ResNet-50 (torchvision, batch 8, 3x224x224) and CIFAR ResNet-56
(option A, against benchmarks/reference_cifar.py, batch 64), with the same
weights in both: inference in eval mode (no_grad) and a training step (forward,
cross-entropy, backward, SGD step), each in the default memory format and in
channels_last, with --bf16 also under bf16 autocast and with --compile also
under torch.compile; --device cuda runs it all on the GPU. Each line is the
median over interleaved rounds of generated/reference seconds per call, with
the spread of the per-round ratios; the target is 0.98-1.02. Before timing,
the ATen operators each side dispatches (with shapes) are compared:
"identical" means the same work, so a measured difference is the machine's
noise. Then, per model, an A/A control (the reference against a copy of
itself: the resolution of these measurements on this machine) and the
batch-norm-folded export (`resgen export --fuse-bn`) against the unfused module.
--smoke runs everything once on CIFAR ResNet-20 (and ResNet-18 at batch 2 if
torchvision is installed), torch.compile with the "eager" backend: it proves the
benchmark runs, and measures nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from dispatch import compare_calls
from reference_cifar import CifarResNet
from timing import CLOCKS, Comparison, compare, use_clock
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import resgen  # noqa: E402
from resgen.export import fuse_bn  # noqa: E402

HAS_TORCHVISION = importlib.util.find_spec("torchvision") is not None


@dataclass
class Case:
    label: str
    spec: Path
    reference: Callable[[], nn.Module]
    reference_name: str
    batch: int
    classes: int


def torchvision_model(name: str) -> Callable[[], nn.Module]:
    def make() -> nn.Module:
        import torchvision

        return getattr(torchvision.models, name)(weights=None)

    return make


def cases(smoke: bool, batch: int | None) -> list[Case]:
    if smoke:
        found = [Case("cifar resnet20", ROOT / "specs/cifar10/resnet20_a.yaml",
                      lambda: CifarResNet(3), "hand", 2, 10)]  # fmt: skip
        if HAS_TORCHVISION:
            found.append(Case("resnet18", ROOT / "specs/resnet18.yaml",
                              torchvision_model("resnet18"), "tv", 2, 1000))  # fmt: skip
        return found
    found = [
        Case(name, ROOT / f"specs/{name}.yaml", torchvision_model(name), "tv", batch or 8, 1000)
        for name in ("resnet18", "resnet50")
        if HAS_TORCHVISION
    ]
    found.append(Case("cifar resnet56", ROOT / "specs/cifar10/resnet56_a.yaml",
                      lambda: CifarResNet(9), "hand", batch or 64, 10))  # fmt: skip
    return found


def pair(case: Case) -> tuple[nn.Module, nn.Module]:
    """Generated and reference module with the same weights; checks their outputs agree."""
    torch.manual_seed(0)
    reference = case.reference()
    ours = resgen.build_model(case.spec)
    ours.load_state_dict(reference.state_dict(), strict=True)
    x = example(case)
    with torch.no_grad():
        torch.testing.assert_close(ours.eval()(x), reference.eval()(x))
    return ours, reference


def example(case: Case) -> torch.Tensor:
    shape = resgen.load_spec(case.spec).input
    return torch.randn(case.batch, *shape, generator=torch.Generator().manual_seed(1))


@dataclass(frozen=True)
class Variant:
    """How a model runs: memory format, autocast dtype, torch.compile backend."""

    name: str
    channels_last: bool = False
    autocast: torch.dtype | None = None
    backend: str | None = None


def variants(args: argparse.Namespace) -> list[Variant]:
    found = [Variant("eager"), Variant("channels_last", channels_last=True)]
    if args.bf16:
        found.append(Variant("bf16 autocast", autocast=torch.bfloat16))
    if args.compile:
        found.append(Variant(f"compile({args.backend})", backend=args.backend))
    return found


def step(
    model: nn.Module, case: Case, phase: str, variant: Variant, device: torch.device
) -> Callable[[], object]:
    """One inference call or one training step of `model`, ready to time."""
    model = model.to(device)
    x = example(case).to(device)
    if variant.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    runner = torch.compile(model, backend=variant.backend) if variant.backend else model
    amp = torch.autocast(device.type, dtype=variant.autocast, enabled=variant.autocast is not None)
    if phase == "eval":
        model.eval()

        def infer() -> object:
            with torch.no_grad(), amp:
                return runner(x)

        return infer
    model.train()
    target = torch.randint(0, case.classes, (case.batch,), generator=torch.Generator()).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def train() -> object:
        optimizer.zero_grad(set_to_none=True)
        with amp:
            loss = F.cross_entropy(runner(x), target)
        loss.backward()
        optimizer.step()
        return loss

    return train


def timed(a: Callable[[], object], b: Callable[[], object], args: argparse.Namespace) -> Comparison:
    """`compare` with this run's settings; on CUDA each timing waits for the GPU to finish."""
    sync = torch.cuda.synchronize if args.device.type == "cuda" else None
    return compare(a, b, args.rounds, args.iters, warmup=args.warmup, sync=sync)


def run_case(case: Case, args: argparse.Namespace) -> list[float]:
    ratios = []
    for phase in args.phases:
        for variant in variants(args):
            ours, reference = pair(case)
            if variant.backend:
                torch._dynamo.reset()
            a = step(ours, case, phase, variant, args.device)
            b = step(reference, case, phase, variant, args.device)
            label = f"{case.label} b{case.batch} {phase} {variant.name}"
            if not variant.backend:
                print(f"{label:40s} ATen calls vs reference: {compare_calls(a, b)}", flush=True)
            result = timed(a, b, args)
            print(result.line(label, "gen", case.reference_name), flush=True)
            ratios.append(result.ratio)
    return ratios


def run_control(case: Case, args: argparse.Namespace) -> Comparison:
    """The reference against a copy of itself: how far from 1 equal code measures here."""
    torch.manual_seed(0)
    first, second = case.reference(), case.reference()
    second.load_state_dict(first.state_dict())
    a = step(first, case, "eval", Variant("eager"), args.device)
    b = step(second, case, "eval", Variant("eager"), args.device)
    result = timed(a, b, args)
    label = f"{case.label} b{case.batch} eval A/A control"
    print(result.line(label, case.reference_name, case.reference_name), flush=True)
    return result


def run_fused(case: Case, args: argparse.Namespace) -> Comparison:
    """Batch norm folded into the convs (eval) against the same module unfused."""
    torch.manual_seed(0)
    model = resgen.build_model(case.spec).eval()
    fused = fuse_bn(model).to(args.device)
    model = model.to(args.device)
    x = example(case).to(args.device)
    with torch.no_grad():
        result = timed(lambda: fused(x), lambda: model(x), args)
    print(result.line(f"{case.label} b{case.batch} eval fused-bn", "fused", "unfused"), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iters", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch", type=int, default=None, help="Override every batch size.")
    parser.add_argument("--phases", default="eval,train")
    parser.add_argument("--models", default=None, help="Labels to run, comma-separated.")
    parser.add_argument("--compile", action="store_true", help="Also time torch.compile.")
    parser.add_argument("--backend", default="inductor", help="torch.compile backend.")
    parser.add_argument("--smoke", action="store_true", help="Run everything once; no timing.")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads.")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    parser.add_argument("--device", default="cpu", help="cpu or cuda.")
    parser.add_argument("--bf16", action="store_true", help="Also time under bf16 autocast.")
    args = parser.parse_args()
    args.device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    use_clock(args.clock)
    args.phases = args.phases.split(",")
    if args.smoke:
        args.rounds, args.iters, args.warmup, args.compile, args.backend = 1, 1, 0, True, "eager"
        args.bf16 = True
    torchvision = "yes" if HAS_TORCHVISION else "not installed, skipped"
    where = torch.cuda.get_device_name(args.device) if args.device.type == "cuda" else "cpu"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.clock} clock, "
          f"{platform.machine()}, {where}; torchvision: {torchvision}")  # fmt: skip
    wanted = set(args.models.split(",")) if args.models else None
    selected = [c for c in cases(args.smoke, args.batch) if wanted is None or c.label in wanted]
    ratios = []
    for case in selected:
        ratios += run_case(case, args)
    for case in selected:
        run_control(case, args)
        run_fused(case, args)
    inside = sum(0.98 <= r <= 1.02 for r in ratios)
    print(f"generated/reference ratios within 0.98-1.02: {inside} of {len(ratios)}")


if __name__ == "__main__":
    main()
