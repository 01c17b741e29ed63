"""Diagrams of a checked graph: DOT, SVG/PNG/PDF (through Graphviz) and an HTML view.

`dot` and `html` need no Graphviz; `svg`, `png` and `pdf` use the `dot` program
where it is on PATH, else the Graphviz embedded in the pygraphviz wheel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resgen.render.dot import LEVELS, to_dot
from resgen.render.engine import RenderError, find_engine, run_graphviz
from resgen.render.fit import DEFAULT_DPI

if TYPE_CHECKING:
    from resgen.graph.model import Network
    from resgen.render.engine import Engine
    from resgen.render.fit import Size

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
    dpi: int | None = None,
    fit: bool = True,
    note: Callable[[str], None] | None = None,
    options: dict[str, Any] | None = None,
    merge: bool = False,
) -> bytes:
    """The diagram of `net` in `fmt` (svg, png, pdf, dot or html), as bytes.

    `dpi` sets a PNG's resolution (96 by default). A diagram of more nodes than
    Graphviz lays out in seconds (`fit.LAYOUT_MAX_NODES`) is drawn rolled, or at a
    coarser level, and so is a PNG or PDF over the size Graphviz or a PDF viewer
    handles; `note` (else stderr) is told; RenderError if even the stage level is too
    large. `fit=False` draws it as asked. `merge` draws each conv-norm-act run as
    one node. `options` go to `to_dot`.
    """
    options = options or {}
    if fmt not in FORMATS:
        raise ValueError(f"unknown diagram format {fmt!r}; expected one of {', '.join(FORMATS)}")
    level = level or default_level(fmt)
    if fmt == "html":
        from resgen.render.html import to_html

        return to_html(net, level=level, roll=roll, merge=merge).encode()
    options = {"direction": direction, "theme_name": theme, **options}
    if merge:
        options["merge"] = True
    if fmt in ("svg", "png", "pdf") and fit:
        from resgen.render.fit import light_enough, node_count

        def count(at: str, rolled: bool) -> int:
            return node_count(to_dot(net, level=at, roll=rolled, **options))

        level, roll = light_enough(level, roll, count, note)
    if fmt in ("png", "pdf") and fit:
        from resgen.render.fit import TooLarge, fitted, svg_size

        def measure(at: str, rolled: bool) -> Size:
            source = to_dot(net, level=at, roll=rolled, **options)
            return svg_size(run_graphviz(source, "svg", engine))

        try:
            level, roll = fitted(fmt, level, roll, dpi or DEFAULT_DPI, measure, note)
        except TooLarge as exc:
            raise RenderError(f"{net.name}: {exc}") from None
    source = to_dot(net, level=level, roll=roll, **options)
    if fmt == "dot":
        return source.encode()
    if fmt == "png" and dpi:
        from resgen.render.fit import with_graph_attrs

        source = with_graph_attrs(source, {"dpi": dpi})
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
    net: Network,
    stem: Path,
    formats: list[str],
    engine: Engine | None = None,
    direction: str = "TB",
    theme: str = "light",
    merge: bool = False,
) -> dict[Path, bytes]:
    """`{stem.svg: ..., stem.html: ...}`, every format at its default level, all in memory;
    `direction`, `theme` and `merge` as for `render`."""
    drawing: dict[str, Any] = {"direction": direction, "theme": theme, "merge": merge}
    return {
        stem.with_name(f"{stem.name}.{fmt}"): render(net, fmt, engine=engine, **drawing)
        for fmt in formats
    }
