"""The `resgen` command (also `python -m resgen`): the command line, run lean.

A run allocates its objects to keep them (modules, classes, validators, the
IR) until the process ends, so the cyclic garbage collector has nothing to
find in it, and it looked twice (benchmarks/bench_build.py measures both):

- while the run works: the first threshold rises from 700 new objects to
  100,000, so a plain `resgen build` triggers no collection instead of about
  100 that freed nothing (8% of its time). Cycles are still collected, every
  100,000 allocations, so a long training run's memory stays bounded;
- at exit: the interpreter's last collection would walk every object the run
  kept, which are freed with the process anyway; `gc.freeze()` hands them to
  the permanent generation, which that collection skips.
"""

import gc


def main() -> None:
    gc.set_threshold(100_000, 10, 10)
    from resgen.cli import main as run

    try:
        run()
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
