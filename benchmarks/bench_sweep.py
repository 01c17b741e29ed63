"""Benchmark: a 100-variant sweep, end to end, against the same work done sequentially.

    python benchmarks/bench_sweep.py [--repeat 3] [--jobs N]

The sweep is ResNet-20 (CIFAR) with shortcut options A-D and n = 1..25 (depth 8
to 152), named by depth, without `--check`. It prints the best wall time of
`resgen sweep` (a fresh process, worker pool, files written), of the same
command with `-j 1`, and of the variants built one after another in this
process (no start-up, nothing written): the reference the ratio is taken to.
Target: `resgen sweep` under 10 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SWEEP = """\
resgen: 1
sweep: bench
base: {base}
name: "resnet{{depth}}_{{shortcut}}"
grid:
  defaults.shortcut: [A, B, C, D]
  params.n: [{ns}]
"""


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="workers (default: one per core)")
    args = parser.parse_args()

    from resgen.pipeline import BuildOptions
    from resgen.variants.run import available_cores, run_sweep
    from resgen.variants.sweep import load_sweep

    with tempfile.TemporaryDirectory() as tmp:
        sweep_file = Path(tmp) / "bench.yaml"
        base = ROOT / "specs" / "cifar10" / "resnet20_a.yaml"
        sweep_file.write_text(SWEEP.format(base=base, ns=", ".join(map(str, range(1, 26)))))
        sweep = load_sweep(sweep_file)
        assert len(sweep.variants) == 100

        def cli(*extra: str) -> Callable[[], object]:
            command = [sys.executable, "-m", "resgen", "sweep", str(sweep_file)]
            command += ["-o", str(Path(tmp) / "out"), "-f", "csv", *extra]
            return lambda: subprocess.run(command, check=True, capture_output=True)

        jobs = ["-j", str(args.jobs)] if args.jobs else []
        parallel = best(args.repeat, cli(*jobs))
        single = best(args.repeat, cli("-j", "1"))
        results = run_sweep(sweep, BuildOptions(), jobs=1)  # warm caches: compare steady states
        assert all(result.ok for result in results)
        reference = best(args.repeat, lambda: run_sweep(sweep, BuildOptions(), jobs=1))

    workers = args.jobs or available_cores()
    print(f"100-variant sweep, best of {args.repeat}, {available_cores()} cores available")
    print(f"  resgen sweep ({workers} workers):   {parallel:6.2f} s wall  (target < 10 s)")
    print(f"  resgen sweep -j 1:            {single:6.2f} s wall")
    print(f"  sequential, in-process:       {reference:6.2f} s  (reference)")
    print(f"  ratio sweep / reference:      {parallel / reference:6.2f}")


if __name__ == "__main__":
    main()
