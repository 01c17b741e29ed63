"""How fast is `resgen render`? The budget: under 3 s to SVG for resnet152 at layer
level and CIFAR ResNet-1202 at block level, and under 10 s for ResNet-1202 at layer
level (over `fit.LAYOUT_MAX_NODES` nodes, it is drawn rolled, with a note).

Prints, best of N, the CLI wall time (interpreter start included) of `resgen render`
with each available Graphviz (the `dot` program on PATH, and the embedded one with
PATH emptied) next to `resgen validate` of the same spec measured in the same run,
and their ratio, and the ratio to ResNet-50's layer-level render in the same run;
then the in-process split: graph, DOT text, Graphviz, HTML page.
Run: `python benchmarks/bench_render.py [--repeat 3]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = [  # spec, level, roll, budget in seconds (0: none)
    ("specs/resnet152.yaml", "layer", False, 3.0),
    ("specs/cifar10/resnet1202_a.yaml", "block", False, 3.0),
    ("specs/cifar10/resnet1202_a.yaml", "layer", False, 10.0),
    ("specs/cifar10/resnet1202_a.yaml", "block", True, 0.0),
    ("specs/cifar10/resnet56_a.yaml", "layer", False, 0.0),
    ("specs/resnet50.yaml", "layer", False, 0.0),
]


def best(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def cli(args: list[str], env: dict[str, str] | None = None) -> Callable[[], object]:
    command = [sys.executable, "-m", "resgen", *args]
    return lambda: subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)


def engines(empty: str) -> dict[str, dict[str, str] | None]:
    """Name -> environment for the CLI: `dot` as found, and embedded with PATH emptied."""
    found: dict[str, dict[str, str] | None] = {}
    if shutil.which("dot"):
        found["dot program"] = None
    try:
        import pygraphviz  # noqa: F401

        found["embedded"] = dict(os.environ, PATH=empty)
    except ImportError:
        pass
    return found


def split(spec: str, level: str, roll: bool, repeat: int, embedded: bool) -> str:
    """One row of the in-process split: graph, DOT, each Graphviz, HTML."""
    import resgen
    from resgen.render import render, to_dot
    from resgen.render.engine import DotProgram, Embedded
    from resgen.render.fit import light_enough, node_count

    name = f"{Path(spec).stem} --level {level}" + (" --roll" if roll else "")
    graph = resgen.checked_network(ROOT / spec)
    t_graph = best(lambda: resgen.checked_network(ROOT / spec), repeat)
    # what `render` draws: rolled (or coarser) where there are too many nodes to lay out
    level, roll = light_enough(
        level, roll, lambda at, rolled: node_count(to_dot(graph, at, rolled)), lambda _: None
    )
    source = to_dot(graph, level, roll)
    t_dot = best(lambda: to_dot(graph, level, roll), repeat)
    program = shutil.which("dot")
    t_program = best(lambda: DotProgram(program).render(source, "svg"), repeat) if program else None
    t_embedded = best(lambda: Embedded().render(source, "svg"), repeat) if embedded else None
    t_html = best(lambda: render(graph, "html", level, roll), repeat)
    cells = [f"{t:8.2f}" if t is not None else f"{'-':>8}" for t in (t_program, t_embedded)]
    return f"  {name:38} {t_graph:6.2f} {t_dot:6.3f} {' '.join(cells)} {t_html:6.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat

    work = Path(tempfile.mkdtemp(prefix="bench-render-"))
    (work / "empty").mkdir()
    available = engines(str(work / "empty"))
    if not available:
        sys.exit("no Graphviz: install pygraphviz (or graphviz) to benchmark SVG rendering")
    print(f"best of {repeat}; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs")
    print("\nCLI wall time (interpreter start included), against `resgen validate` of the spec:")
    failed = []
    out = ["-f", "svg", "-o", str(work / "out.svg")]
    resnet50 = {  # engine -> ResNet-50 at layer level, the machine's yardstick
        engine: best(cli(["render", "specs/resnet50.yaml", *out], env), repeat)
        for engine, env in available.items()
    }
    for spec, level, roll, budget in CASES:
        name = f"{Path(spec).stem} --level {level}" + (" --roll" if roll else "")
        reference = best(cli(["validate", spec]), repeat)
        for engine, env in available.items():
            args = ["render", spec, "-f", "svg", "--level", level, "-o", str(work / "out.svg")]
            wall = best(cli(args + (["--roll"] if roll else []), env), repeat)
            verdict = ""
            if budget:
                verdict = "ok" if wall < budget else f"OVER the {budget:g} s budget"
                if wall >= budget:
                    failed.append(f"{name} ({engine})")
            print(
                f"  {name:38} {engine:12} render {wall:5.2f} s   validate {reference:5.2f} s"
                f"   ratio {wall / reference:4.2f}   × resnet50 {wall / resnet50[engine]:4.2f}"
                f"   {verdict}"
            )

    print("\nin-process split (seconds):")
    print(f"  {'case':38} {'graph':>6} {'DOT':>6} {'dot prog':>8} {'embedded':>8} {'html':>6}")
    for spec, level, roll, _ in CASES:
        print(split(spec, level, roll, repeat, "embedded" in available))
    shutil.rmtree(work, ignore_errors=True)
    if failed:
        sys.exit("over budget: " + ", ".join(failed))


if __name__ == "__main__":
    main()
