"""Getting a ResNet-152 from resgen against constructing torchvision's (the user's alternative).

    python benchmarks/bench_build_vs_torchvision.py [--rounds 5] [--smoke]

In one run, interleaved, medians with their spread:
- in process: `resgen.build_model(spec)` (load, check, generate, execute the
  source, construct with initialisation) against `torchvision.models.resnet152()`
  (construction with initialisation); torch and torchvision already imported;
- fresh processes: `resgen build` (writes the .py, never imports torch) against
  `python -c "import torchvision; torchvision.models.resnet152()"`.
--smoke does one round of each on CIFAR ResNet-20 and skips torchvision if absent.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import compare

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import resgen  # noqa: E402

HAS_TORCHVISION = importlib.util.find_spec("torchvision") is not None


def wall(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    rounds = 1 if args.smoke else args.rounds
    spec = ROOT / ("specs/cifar10/resnet20_a.yaml" if args.smoke else "specs/resnet152.yaml")
    name = "resnet152"
    start = time.perf_counter()
    resgen.build_model(spec)
    print(f"resgen.build_model, first call (imports torch): {time.perf_counter() - start:.3f} s")
    with tempfile.TemporaryDirectory() as out:
        cli = [sys.executable, "-m", "resgen", "build", str(spec), "-o", out]
        if not HAS_TORCHVISION:
            print("torchvision not installed: timing resgen alone")
            start = time.perf_counter()
            wall(cli)
            print(f"resgen build {spec.name}: {time.perf_counter() - start:.3f} s")
            resgen.build_model(spec)
            return
        import torchvision

        def make_tv() -> object:
            return getattr(torchvision.models, name)(weights=None)

        result = compare(lambda: resgen.build_model(spec), make_tv, rounds, 1)
        print(result.line(f"in process, {spec.stem}", "build_model", "tv"))
        tv_cli = [sys.executable, "-c", f"import torchvision; torchvision.models.{name}()"]
        result = compare(lambda: wall(cli), lambda: wall(tv_cli), rounds, 1, warmup=1)
        print(result.line(f"fresh process, {spec.stem}", "resgen build", "tv"))


if __name__ == "__main__":
    main()
