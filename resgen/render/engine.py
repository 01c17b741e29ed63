"""Run Graphviz: the `dot` program on PATH, else the one embedded in the pygraphviz wheel.

The pygraphviz wheel (manylinux, abi3) bundles libgvc with its layout and
render plugins, so `pip install pygraphviz` is enough on a fresh machine: no
apt step, no compiler.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from dataclasses import dataclass
from typing import Protocol

GRAPHVIZ_FORMATS = ("svg", "png", "pdf")

HOW_TO_GET_GRAPHVIZ = (
    "rendering {fmt} needs Graphviz, and none was found: no `dot` program on PATH and "
    "no embedded Graphviz (the pygraphviz wheel).\n"
    "  hint: `pip install pygraphviz` (its wheel bundles Graphviz; no system package "
    "needed), or install Graphviz (`apt-get install graphviz`, `brew install graphviz`); "
    "`-f dot` and `-f html` need neither"
)


class RenderError(Exception):
    """Graphviz is missing or failed; the message says what to do."""


class Engine(Protocol):
    name: str

    def render(self, dot: str, fmt: str) -> bytes: ...


@dataclass(frozen=True)
class DotProgram:
    """The `dot` executable at `path` (run directly: not looked up on PATH again)."""

    path: str
    name: str = "dot"

    def render(self, dot: str, fmt: str) -> bytes:
        try:
            done = subprocess.run(
                [self.path, "-Kdot", f"-T{fmt}"], input=dot.encode(), capture_output=True
            )
        except OSError as exc:
            raise RenderError(f"{self.path} failed: {exc}") from None
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip()
            raise RenderError(f"{self.path} -T{fmt} failed: {message or 'no output'}")
        if not done.stdout:
            raise RenderError(f"{self.path} -T{fmt} failed: no output")
        return done.stdout


@dataclass(frozen=True)
class Embedded:
    """Graphviz's libraries as bundled in the pygraphviz wheel, called in-process."""

    name: str = "embedded"

    def render(self, dot: str, fmt: str) -> bytes:
        import pygraphviz

        from resgen.render.quiet import quietly

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # layout notes are not errors
            try:
                data = quietly(lambda: pygraphviz.AGraph(string=dot).draw(format=fmt, prog="dot"))
            except (OSError, ValueError, RuntimeError) as exc:
                raise RenderError(f"embedded Graphviz failed: {exc}") from None
        if not data:
            raise RenderError(f"embedded Graphviz produced no {fmt}")
        return bytes(data)


def embedded_available() -> bool:
    try:
        import pygraphviz  # noqa: F401
    except ImportError:
        return False
    return True


def find_engine(fmt: str = "svg", path: str | None = None) -> Engine:
    """`dot` where it is on PATH (or on `path`), else the embedded Graphviz."""
    program = shutil.which("dot", path=path)
    if program:
        return DotProgram(program)
    if embedded_available():
        return Embedded()
    raise RenderError(HOW_TO_GET_GRAPHVIZ.format(fmt=fmt))


def run_graphviz(dot: str, fmt: str, engine: Engine | None = None) -> bytes:
    if fmt not in GRAPHVIZ_FORMATS:
        raise ValueError(f"Graphviz output format must be one of {GRAPHVIZ_FORMATS}, not {fmt!r}")
    return (engine or find_engine(fmt)).render(dot, fmt)
