"""The `resgen` command (also `python -m resgen`): the command line, started lean.

Before the command line loads, the collector's first threshold goes from 700
new objects to 100,000. A run allocates its objects to keep them (modules,
classes, validators, the IR) and frees them at exit, so the default threshold
ran about 100 collections that freed nothing: 8% of a plain `resgen build`
(benchmarks/bench_build.py). Cycles are still collected, every 100,000
allocations, so a long training run's memory stays bounded.
"""

import gc


def main() -> None:
    gc.set_threshold(100_000, 10, 10)
    from resgen.cli import main as run

    run()


if __name__ == "__main__":
    main()
