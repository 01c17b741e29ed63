"""Diagrams of a checked graph: DOT, SVG/PNG/PDF (through Graphviz) and an HTML view.

`dot` and `html` need no Graphviz; `svg`, `png` and `pdf` use the `dot` program
where it is on PATH, else the Graphviz embedded in the pygraphviz wheel.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from resgen.render.dot import LEVELS, to_dot
from resgen.render.engine import RenderError, find_engine, run_graphviz

if TYPE_CHECKING:
    from resgen.graph.model import Network
    from resgen.render.engine import Engine

FORMATS = ("svg", "png", "pdf", "dot", "html")

__all__ = [
    "FORMATS",
    "LEVELS",
    "RenderError",
    "default_level",
    "diagram_files",
    "find_engine",
    "format_for",
    "parse_formats",
    "render",
    "to_dot",
]


def default_level(fmt: str) -> str:
    """The HTML view opens folded to stages (it unfolds on click); pictures show every layer."""
    return "stage" if fmt == "html" else "layer"


def render(
    net: Network,
    fmt: str,
    level: str | None = None,
    roll: bool = False,
    engine: Engine | None = None,
    direction: str = "TB",
    theme: str = "light",
) -> bytes:
    """The diagram of `net` in `fmt` (svg, png, pdf, dot or html), as bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown diagram format {fmt!r}; expected one of {', '.join(FORMATS)}")
    level = level or default_level(fmt)
    if fmt == "html":
        from resgen.render.html import to_html

        return to_html(net, level=level, roll=roll).encode()
    source = to_dot(net, level=level, roll=roll, direction=direction, theme_name=theme)
    if fmt == "dot":
        return source.encode()
    return run_graphviz(source, fmt, engine)


def parse_formats(text: str) -> list[str]:
    """`"svg,html"` -> `["svg", "html"]`, rejecting unknown formats."""
    formats = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(
            f"unknown diagram format {', '.join(map(repr, unknown)) or repr(text)}; "
            f"choose from {', '.join(FORMATS)}"
        )
    return list(dict.fromkeys(formats))


def format_for(path: Path | None) -> str:
    """The format a file name asks for (`x.pdf` -> pdf, `x.gv` -> dot); svg otherwise."""
    suffix = path.suffix.lower().lstrip(".") if path is not None else ""
    if suffix == "gv":
        return "dot"
    if suffix == "htm":
        return "html"
    return suffix if suffix in FORMATS else "svg"


def diagram_files(
    net: Network, stem: Path, formats: list[str], engine: Engine | None = None
) -> dict[Path, bytes]:
    """`{stem.svg: ..., stem.html: ...}`, every format at its default level, all in memory."""
    return {
        stem.with_name(f"{stem.name}.{fmt}"): render(net, fmt, engine=engine) for fmt in formats
    }
