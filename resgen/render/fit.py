"""Pictures that open and print: PNG resolution and the largest page a viewer opens.

Graphviz shrinks a bitmap larger than 32,767 px on a side to fit (its text then
a few pixels tall), and writes a PDF page of any size, though viewers open pages
up to 14,400 pt (200 in) a side. A diagram over those limits is redrawn coarser,
first folding runs of identical blocks (`roll`), then at a coarser level, and
each step is said on stderr; when even the stage level is too large it is
refused with a message (`fit=False` draws it as asked).

Graphviz's layout time grows faster than the number of nodes: ResNet-152 at
layer level (about 600 nodes) takes a second, CIFAR ResNet-1202 (4,200) half a
minute or more. Any Graphviz format (SVG included) with more than
`LAYOUT_MAX_NODES` nodes is drawn rolled, or coarser, the same way.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

PNG_MAX_PX = 32767  # cairo's bitmap limit: Graphviz scales anything larger down
PDF_MAX_PT = 14400  # Acrobat's (and most viewers') largest page side: 200 in
DEFAULT_DPI = 96  # Graphviz's bitmap resolution
LIMITED = ("png", "pdf")
COARSER = {"layer": "block", "block": "stage"}
LAYOUT_MAX_NODES = 1500  # Graphviz lays this many out in a few seconds
_NODE = re.compile(r'^\s*"(?:[^"\\]|\\.)*" \[', re.MULTILINE)  # `"id" [...]`, not an edge


class TooLarge(Exception):
    """No level fits the format's limit; the message says what to do."""


@dataclass(frozen=True)
class Size:
    width_pt: float
    height_pt: float

    def pixels(self, dpi: int) -> tuple[int, int]:
        return round(self.width_pt * dpi / 72), round(self.height_pt * dpi / 72)

    def over(self, fmt: str, dpi: int) -> str:
        """Why this size is over `fmt`'s limit, or "" if it is not."""
        if fmt == "png":
            width, height = self.pixels(dpi)
            if max(width, height) > PNG_MAX_PX:
                return (
                    f"{width:,} × {height:,} px at {dpi} dpi, over the {PNG_MAX_PX:,} px "
                    "Graphviz draws a bitmap at (it would shrink the text to a few pixels)"
                )
        if fmt == "pdf" and max(self.width_pt, self.height_pt) > PDF_MAX_PT:
            return (
                f"{self.width_pt:,.0f} × {self.height_pt:,.0f} pt, over the {PDF_MAX_PT:,} pt "
                "(200 in) page side PDF viewers open"
            )
        return ""


def svg_size(svg: bytes) -> Size:
    """The width and height, in points, an SVG from Graphviz declares."""
    head = svg[:4000].decode(errors="replace")
    found = re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"[^>]*\bheight="([\d.]+)pt"', head)
    if not found:
        raise ValueError("no width and height in points in this SVG")
    return Size(float(found.group(1)), float(found.group(2)))


def with_graph_attrs(dot: str, pairs: dict[str, str | int]) -> str:
    """`dot` with `graph [k=v];` right after its opening line (the last word wins)."""
    first, _, rest = dot.partition("\n")
    line = "  graph [" + ", ".join(f"{k}={v}" for k, v in pairs.items()) + "];"
    return f"{first}\n{line}\n{rest}"


def fallbacks(level: str, roll: bool) -> list[tuple[str, bool]]:
    """What to try, in order: as asked, then rolled, then each coarser level rolled."""
    tries = [(level, roll)]
    if not roll:
        tries.append((level, True))
    coarser = COARSER.get(level)
    while coarser:
        tries.append((coarser, True))
        coarser = COARSER.get(coarser)
    return tries


def describe(level: str, roll: bool) -> str:
    return f"{level} level" + (", rolled" if roll else "")


def fitted(
    fmt: str,
    level: str,
    roll: bool,
    dpi: int,
    measure: Callable[[str, bool], Size],
    note: Callable[[str], None] | None = None,
) -> tuple[str, bool]:
    """The (level, roll) to draw at: as asked where that fits `fmt`, else coarser."""
    if fmt not in LIMITED:
        return level, roll
    tries = fallbacks(level, roll)
    first_reason = ""
    for this_level, this_roll in tries:
        reason = measure(this_level, this_roll).over(fmt, dpi)
        if not reason:
            if (this_level, this_roll) != (level, roll):
                say = note or _stderr
                say(
                    f"note: at {describe(level, roll)} the {fmt} would be {first_reason}; "
                    f"drawn at {describe(this_level, this_roll)} instead "
                    "(-f svg has no limit; --no-fit draws it as asked)"
                )
            return this_level, this_roll
        first_reason = first_reason or reason
    raise TooLarge(
        f"the {fmt} would be {first_reason}, and still too large at "
        f"{describe(*tries[-1])}; draw -f svg (no size limit), a lower --dpi, "
        "or --no-fit to draw it anyway"
    )


def node_count(dot: str) -> int:
    """How many nodes a DOT text from `to_dot` declares (one statement each)."""
    return len(_NODE.findall(dot))


def light_enough(
    level: str,
    roll: bool,
    count: Callable[[str, bool], int],
    note: Callable[[str], None] | None = None,
) -> tuple[str, bool]:
    """The (level, roll) to draw at: as asked where Graphviz lays it out in seconds
    (at most `LAYOUT_MAX_NODES` nodes), else rolled, else coarser (stage level,
    rolled, in the end), saying so."""
    tries = fallbacks(level, roll)
    first = 0
    for this_level, this_roll in tries:
        nodes = count(this_level, this_roll)
        if nodes <= LAYOUT_MAX_NODES or (this_level, this_roll) == tries[-1]:
            if (this_level, this_roll) != (level, roll):
                (note or _stderr)(
                    f"note: at {describe(level, roll)} the diagram has {first:,} nodes, more "
                    f"than the {LAYOUT_MAX_NODES:,} Graphviz lays out in a few seconds; drawn at "
                    f"{describe(this_level, this_roll)} instead (--no-fit draws it as asked)"
                )
            return this_level, this_roll
        first = first or nodes
    return level, roll  # not reached: the last try always returns


def _stderr(text: str) -> None:
    print(text, file=sys.stderr)
