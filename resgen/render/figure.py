"""A diagram as a value: shown inline by a notebook, saved in the format its name asks for."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from resgen.graph.model import Network


@dataclass(frozen=True)
class Diagram:
    """The diagram of one checked network; `_repr_svg_` / `_repr_html_` show it inline."""

    network: Network
    level: str = "layer"
    roll: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def dot(self) -> str:
        """The DOT source (no Graphviz needed)."""
        from resgen.render.dot import to_dot

        return to_dot(self.network, level=self.level, roll=self.roll, **self.options)

    @cached_property
    def svg(self) -> str:
        from resgen.render.engine import run_graphviz

        return run_graphviz(self.dot, "svg").decode()

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_html_(self) -> str:
        inline = self.svg[self.svg.find("<svg") :]  # no XML prolog or DOCTYPE inside HTML
        return f'<div class="resgen-diagram" style="overflow:auto">{inline}</div>'

    def render(self, fmt: str, **kwargs: Any) -> bytes:
        """The bytes of `fmt` (svg, png, pdf, dot, html); `dpi=` for png."""
        from resgen.render import render

        if fmt == "svg" and not kwargs:
            return self.svg.encode()
        if fmt == "dot":
            return self.dot.encode()
        return render(self.network, fmt, self.level, self.roll, options=self.options, **kwargs)

    def save(self, path: str | Path, **kwargs: Any) -> Path:
        """Write the diagram; the format comes from the suffix (.svg .png .pdf .dot/.gv .html)."""
        from resgen.render import FORMATS, format_for

        target = Path(path)
        suffix = target.suffix.lower().lstrip(".")
        if suffix not in (*FORMATS, "gv", "htm"):
            raise ValueError(f"{target}: name it .svg, .png, .pdf, .dot, .gv or .html")
        target.write_bytes(self.render(format_for(target), **kwargs))
        return target
