"""How fast is `resgen build`, and how does it grow with depth?

First the issue's goal (issue 12, point 6, "a lean build path"): the wall time of
`resgen build specs/resnet152.yaml` (the CLI as a user runs it, default options,
interpreter start included) against a bare `python -c "import typer, jinja2,
yaml, pydantic, networkx, rich"`, and their ratio (target < 1.0). Both are
measured in the same run, interleaved (build, reference, build, ...), best of
N, so that a noisy machine slows both alike; the median of the rounds' ratios is
printed too. Then the CLI on a deeper spec next to a bare interpreter, and the
in-process build time (load + expand + check + generate) for stages of 50..400
blocks, with the time per block, which stays flat if growth is linear.
Run: `python benchmarks/bench_build.py [--repeat 15]`.
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = "import typer, jinja2, yaml, pydantic, networkx, rich"  # issue 12, point 6


def round_walls(commands: dict[str, list[str]], repeat: int) -> dict[str, list[float]]:
    """Wall times of each command over `repeat` rounds; each round runs every command
    once, in turn, so that a burst of load elsewhere hits them alike."""
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
            walls[name].append(time.perf_counter() - start)
    return walls


def best_wall(command: list[str], repeat: int) -> float:
    return min(round_walls({"command": command}, repeat)["command"])


def deep_spec(blocks: int) -> str:
    return f"""name: deep{blocks}
input: [3, 32, 32]
stem: [{{conv: {{out: 16}}}}, bn, relu]
defaults: {{block: basic, shortcut: A}}
stages:
  - {{blocks: {blocks}, width: 16}}
  - {{blocks: {blocks}, width: 32, stride: 2}}
  - {{blocks: {blocks}, width: 64, stride: 2}}
head: [avgpool, flatten, {{linear: {{out: 10}}}}]
"""


def in_process(text: str, repeat: int) -> float:
    from resgen.codegen.emit import generate
    from resgen.graph.expand import expand
    from resgen.spec.load import load_spec

    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        generate(expand(load_spec(text)))
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    python = sys.executable
    # resgen's modules as an installed wheel has them: compiled to bytecode (the
    # libraries of the reference are; PYTHONDONTWRITEBYTECODE would make every run
    # recompile resgen's sources and measure the compiler)
    compileall.compile_dir(ROOT / "resgen", quiet=1)
    with tempfile.TemporaryDirectory() as out:
        build = [python, "-m", "resgen", "build", "specs/resnet152.yaml", "-o", out]
        rounds = round_walls({"build": build, "reference": [python, "-c", REFERENCE]}, repeat)
        walls = {name: min(times) for name, times in rounds.items()}
        ratio = walls["build"] / walls["reference"]
        paired = statistics.median(b / r for b, r in zip(*rounds.values(), strict=True))
        rows = {
            "resgen build specs/resnet152.yaml": f"{walls['build']:6.3f} s",
            f'python -c "{REFERENCE}"': f"{walls['reference']:6.3f} s",
            "ratio build / reference": f"{ratio:6.2f}   (target < 1.0: "
            + ("met)" if ratio < 1.0 else "NOT met)"),
            "median of the rounds' ratios (steadier on a noisy machine)": f"{paired:6.2f}",
        }
        print(f"lean build path (issue 12, point 6), best of {repeat}, interleaved:")
        for label, value in rows.items():
            print(f"  {label:66s} {value}")
        bare = best_wall([python, "-c", "pass"], repeat)
        print(f"  {'bare interpreter (python -c pass)':66s} {bare:6.3f} s")
        spec = "specs/cifar10/resnet1202_a.yaml"
        wall = best_wall([python, "-m", "resgen", "build", spec, "-o", out], repeat)
        print(f"  {'resgen build ' + spec:66s} {wall:6.3f} s")
    print("in-process build (load + expand + check + generate), 3 stages of N blocks:")
    in_process(deep_spec(2), 1)  # warm the caches (block library, templates)
    base = None
    for blocks in (50, 100, 200, 400):
        seconds = in_process(deep_spec(blocks), max(1, repeat // 2))
        per_block = seconds / (3 * blocks) * 1e6
        base = base or per_block
        print(
            f"  N={blocks:4d}: {seconds:6.3f} s, {per_block:6.1f} µs per block "
            f"({per_block / base:.2f}x the N=50 cost per block)"
        )


if __name__ == "__main__":
    main()
