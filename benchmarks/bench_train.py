"""Time per training step of `resgen train` against a bare hand-written PyTorch loop.

Both train the same module on the same tensors, alternately, in one run: the
ratio (target ≤ 1.05) is resgen's overhead (sampler, schedule, non-finite checks,
autocast and augmentation plumbing). `--study` also times the degradation study
(specs/sweeps/degradation.yaml, one seed) end to end.

    python benchmarks/bench_train.py                       # CPU, digits, ResNet-20
    python benchmarks/bench_train.py --device cuda --amp bf16 --channels-last [--compile]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from timing import compare, use_clock  # noqa: E402

from resgen.train.data import load_data  # noqa: E402
from resgen.train.loop import Distributed, Trainer, pick_device, prepare_torch  # noqa: E402
from resgen.train.plan import plan_single  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spec", default=str(ROOT / "specs/cifar10/resnet20_a.yaml"))
    parser.add_argument("--data", default="digits")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--amp", default="none")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    parser.add_argument("--study", action="store_true", help="also time the degradation study")
    parser.add_argument("--smoke", action="store_true", help="tiny and quick (tests)")
    args = parser.parse_args()
    if args.smoke:
        args.data, args.rounds = "synthetic", 1
    use_clock(args.clock)
    torch = prepare_torch(args.threads)
    flags = {
        "data": args.data,
        "batch_size": args.batch_size,
        "device": args.device,
        "amp": args.amp,
        "channels_last": args.channels_last,
        "compile": args.compile,
        "threads": args.threads,
    }
    sets = ["params.n=1"] if args.smoke else []
    with tempfile.TemporaryDirectory() as folder:
        request = plan_single(args.spec, sets, flags, Path(folder) / "run").request
    data = load_data(args.data)
    dist = Distributed(torch)
    trainer = Trainer(torch, request, data, pick_device(torch, args.device, dist), dist)
    bare = bare_epoch(torch, trainer, args.batch_size)
    sync = torch.cuda.synchronize if trainer.device.type == "cuda" else None
    result = compare(trainer.train_epoch, bare, rounds=args.rounds, iters=1, sync=sync)
    steps = trainer.steps_per_epoch
    print(
        f"{request.name} on {data.name}, batch {args.batch_size}, {steps} steps an epoch, "
        f"device {trainer.device}, amp {args.amp}, channels_last {args.channels_last}, "
        f"compile {args.compile}, threads {args.threads}, clock {args.clock}"
    )
    print(
        result.line("train step: resgen / bare loop", "resgen", "bare").replace(" ms", " ms/epoch")
    )
    per_step = [1e3 * t / steps for t in (min(result.a), min(result.b))]
    print(f"fastest epoch per step: resgen {per_step[0]:.2f} ms, bare {per_step[1]:.2f} ms")
    print(f"ratio {result.ratio:.3f} (target <= 1.05)")
    control = compare(bare, bare_epoch(torch, trainer, args.batch_size), args.rounds, 1, sync=sync)
    print(control.line("A/A control: bare / bare", "bare", "bare").replace(" ms", " ms/epoch"))
    if args.study:
        study()


def bare_epoch(torch, trainer: Trainer, batch: int):  # type: ignore[no-untyped-def]
    """The loop one writes by hand: shuffle, forward, loss, backward, step."""
    net, x_train, y_train = trainer.net, trainer.x_train, trainer.y_train
    optimizer = torch.optim.SGD(
        trainer.model.parameters(),
        lr=trainer.config.lr,
        momentum=trainer.config.momentum,
        weight_decay=trainer.config.weight_decay,
    )
    amp = trainer.config.amp == "bf16"

    def epoch() -> None:
        net.train()
        order = torch.randperm(len(y_train), device=x_train.device)
        for start in range(0, len(order), batch):
            index = order[start : start + batch]
            with torch.autocast(trainer.device.type, dtype=torch.bfloat16, enabled=amp):
                loss = torch.nn.functional.cross_entropy(net(x_train[index]), y_train[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    return epoch


def study() -> None:
    with tempfile.TemporaryDirectory() as folder:
        command = [
            sys.executable, "-m", "resgen", "sweep", str(ROOT / "specs/sweeps/degradation.yaml"),
            "--train", "--seeds", "0", "-o", str(Path(folder) / "out"),
        ]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        print(f"degradation study, one seed (4 runs x 30 epochs, local pool): "
              f"{time.perf_counter() - start:.0f} s wall")  # fmt: skip


if __name__ == "__main__":
    main()
