"""How fast is `resgen build`, and how does it grow with depth?

Prints wall times of the CLI (interpreter start included, best of N) next to
references measured in the same run: a bare interpreter, and an interpreter
that only imports resgen's required libraries (the floor any build pays).
Then the in-process build time (load + expand + check + generate) for stages
of 50..400 blocks, with the time per block, which stays flat if growth is
linear. Run: `python benchmarks/bench_build.py [--repeat 5]`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIBRARIES = "import typer, networkx, pydantic, jinja2, yaml"


def best_wall(command: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


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
    from resgen.analysis.counts import annotate
    from resgen.codegen.emit import generate
    from resgen.graph.expand import expand
    from resgen.spec.load import load_spec

    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        network, graph = expand(load_spec(text))
        annotate(graph)
        generate(network, graph.graph["params"])
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    python = sys.executable
    bare = best_wall([python, "-c", "pass"], repeat)
    floor = best_wall([python, "-c", LIBRARIES], repeat)
    print(f"reference: bare interpreter          {bare:6.3f} s")
    print(f"reference: import required libraries {floor:6.3f} s")
    with tempfile.TemporaryDirectory() as out:
        for spec in ("specs/resnet152.yaml", "specs/cifar10/resnet1202_a.yaml"):
            wall = best_wall([python, "-m", "resgen", "build", str(ROOT / spec), "-o", out], repeat)
            print(
                f"resgen build {spec:34s} {wall:6.3f} s  "
                f"({wall / floor:.2f}x the library-import floor, target 0.3 s)"
            )
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
