"""The laid-out SVG read back: no edge runs through a cluster's header text.

Graphviz does not treat a cluster's label as an obstacle, so an edge entering
a stage or block from above can strike through `layer2 · 3 × basic`, the `×35`
of a run or the `◆ in → out` marker. This renders SVG in-process, samples every
edge's Bézier path and checks it against a box around each text line of each
cluster (`<g class="cluster">`) and of each header node (`class="node"` whose
title starts with `header:`).
"""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

import resgen
from resgen.graph.model import Network
from resgen.render import render
from resgen.render.style import SHORTCUTS
from tests.conftest import SPECS, need

SVG = "{http://www.w3.org/2000/svg}"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")
# DejaVu Sans is wide: about 0.6 em a character on average (bold 0.67); a little
# over, so that a box errs on the side of catching an edge.
EM = {"normal": 0.62, "bold": 0.68}
MARGIN = 0.5  # points an edge may graze a box by (anti-aliasing, rounding)


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float
    text: str

    def holds(self, x: float, y: float) -> bool:
        return (
            self.left + MARGIN < x < self.right - MARGIN
            and self.top + MARGIN < y < self.bottom - MARGIN
        )


def text_box(element: ET.Element) -> Box:
    """The box a `<text>` covers: its anchor, baseline and font size, and its length."""
    text = "".join(element.itertext()).strip()
    x, y = float(element.get("x", 0)), float(element.get("y", 0))
    size = float(element.get("font-size", 14))
    weight = "bold" if element.get("font-weight") == "bold" else "normal"
    width = len(text) * size * EM[weight]
    anchor = element.get("text-anchor", "start")
    left = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
    # the leading non-breaking spaces Graphviz writes are part of the text's advance
    lead = len("".join(element.itertext())) - len("".join(element.itertext()).lstrip())
    if anchor == "start":
        left += lead * size * EM[weight]
    return Box(left, y - 0.78 * size, left + width, y + 0.2 * size, text)


def cubic(points: list[tuple[float, float]], steps: int = 24) -> list[tuple[float, float]]:
    """Points along Graphviz's `M p0 C p1 p2 p3 p4 p5 p6 ...` path."""
    out = [points[0]]
    for i in range(0, len(points) - 3, 3):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points[i : i + 4]
        for step in range(1, steps + 1):
            t = step / steps
            u = 1 - t
            out.append(
                (
                    u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
                    u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3,
                )
            )
    return out


def path_points(d: str) -> list[tuple[float, float]]:
    numbers = [float(n) for n in NUMBER.findall(d)]
    return list(zip(numbers[0::2], numbers[1::2], strict=False))


def title(group: ET.Element) -> str:
    found = group.find(f"{SVG}title")
    return "" if found is None or found.text is None else found.text


def struck(svg: bytes) -> list[str]:
    """`edge a->b crosses 'layer2 · 3 × basic'` for each edge through a header's text."""
    root = ET.fromstring(svg)
    boxes: list[Box] = []
    for group in root.iter(f"{SVG}g"):
        kind = group.get("class")
        if kind == "cluster" or (kind == "node" and title(group).startswith("header:")):
            boxes += [text_box(t) for t in group.iter(f"{SVG}text") if "".join(t.itertext())]
    found = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "edge":
            continue
        for path in group.iter(f"{SVG}path"):
            if path.get("stroke") == "transparent":
                continue
            points = cubic(path_points(path.get("d", "")))
            for box in boxes:
                if any(box.holds(x, y) for x, y in points):
                    found.append(f"edge {title(group)} crosses {box.text!r}")
    return found


@cache
def graph(spec: str) -> Network:
    return resgen.checked_network(SPECS / spec)


def svg_of(spec: str, level: str, roll: bool, direction: str = "TB") -> bytes:
    need("pygraphviz")
    return render(graph(spec), "svg", level=level, roll=roll, direction=direction, fit=False)


CASES = [  # spec, level, roll, direction: every header kind, both directions
    ("cifar10/resnet20_a.yaml", "block", False, "TB"),
    ("cifar10/resnet20_a.yaml", "layer", False, "TB"),
    ("cifar10/resnet20_a.yaml", "layer", False, "LR"),  # the stem's shortcut dips below
    ("cifar10/resnet56_b.yaml", "layer", True, "TB"),
    ("cifar10/highway20.yaml", "layer", False, "TB"),
    ("cifar10/preact_resnet164.yaml", "layer", True, "TB"),
    ("resnet50.yaml", "layer", True, "TB"),
    ("resnet50.yaml", "block", False, "LR"),
    ("resnet152.yaml", "layer", True, "LR"),
    ("resnext50_32x4d.yaml", "block", True, "TB"),
    ("densenet121.yaml", "layer", True, "TB"),
    ("mobilenet_v2.yaml", "layer", True, "LR"),
    ("mobilenet_v2.yaml", "block", False, "LR"),
    ("cifar10/highway20.yaml", "layer", False, "LR"),
]


@pytest.mark.parametrize(("spec", "level", "roll", "direction"), CASES)
def test_no_edge_crosses_a_header(spec: str, level: str, roll: bool, direction: str) -> None:
    crossings = struck(svg_of(spec, level, roll, direction))
    assert not crossings, "\n".join(crossings[:10])


def test_the_check_sees_a_crossing() -> None:
    """A hand-made SVG whose edge runs through a cluster's label is caught."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg"><g class="graph">'
        b'<g class="cluster"><title>cluster_x</title>'
        b'<text text-anchor="start" x="10" y="-100" font-size="12.00">layer1 &#183; basic</text>'
        b'</g><g class="edge"><title>a-&gt;b</title>'
        b'<path stroke="#555555" d="M40,-130C40,-110 40,-90 40,-70"/></g></g></svg>'
    )
    assert struck(svg) == ["edge a->b crosses 'layer1 · basic'"]


def test_spec_paths_exist() -> None:
    for case in CASES:
        spec = case.values[0] if hasattr(case, "values") else case[0]
        assert Path(SPECS / spec).is_file(), spec


@pytest.mark.parametrize("spec", ["resnet50.yaml", "resnetv2_50.yaml", "cifar10/resnet20_a.yaml"])
def test_no_edge_crosses_a_header_when_merged(spec: str) -> None:
    need("pygraphviz")
    svg = render(graph(spec), "svg", level="layer", roll=True, merge=True, fit=False)
    crossings = struck(svg)
    assert not crossings, "\n".join(crossings[:10])


@pytest.mark.parametrize("spec", ["cifar10/resnet20_a.yaml", "resnet18.yaml", "densenet121.yaml"])
def test_no_edge_crosses_a_header_when_merged_left_to_right(spec: str) -> None:
    """Merged, a block is a few ranks long: the shortcut from the stem dips into it as one
    curve through the label's band, so the label begins right of the shortcut's join."""
    need("pygraphviz")
    svg = render(
        graph(spec), "svg", level="layer", roll=True, merge=True, direction="LR", fit=False
    )
    crossings = struck(svg)
    assert not crossings, "\n".join(crossings[:10])


# A shortcut from outside a block into its join, routed by Graphviz outside the block's
# cluster, runs right along its border: two lines hugging each other. It goes in by an
# invisible tap inside the block instead (`dot.TAP`), clear of the border.

NEAR = 4.0  # points: a shortcut this close to a cluster's side runs along it
ALONG = 40.0  # points: for longer than this, it hugs the border
SHORTCUT_COLORS = {line.color.lower() for line in SHORTCUTS.values()}


def borders(root: ET.Element) -> list[tuple[str, float, float, float, float]]:
    """(cluster, left, right, top, bottom) of each cluster's box."""
    found = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "cluster":
            continue
        shape = group.find(f"{SVG}path")
        shape = group.find(f"{SVG}polygon") if shape is None else shape
        if shape is None:
            continue
        points = path_points(shape.get("d") or shape.get("points") or "")
        xs, ys = [x for x, _ in points], [y for _, y in points]
        found.append((title(group), min(xs), max(xs), min(ys), max(ys)))
    return found


def hugging(svg: bytes) -> list[str]:
    """`edge a->b runs 249 pt along cluster_x` for each shortcut (drawn in a shortcut's
    colour) that keeps within `NEAR` of a side of a cluster's box for over `ALONG`: its
    left or right side top-down, its top or bottom left to right."""
    root = ET.fromstring(svg)
    boxes = borders(root)
    found = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "edge":
            continue
        for path in group.iter(f"{SVG}path"):
            if (path.get("stroke") or "").lower() not in SHORTCUT_COLORS:
                continue
            points = cubic(path_points(path.get("d", "")))
            for name, left, right, top, bottom in boxes:
                sides = [(0, x, top, bottom) for x in (left, right)]
                sides += [(1, y, left, right) for y in (top, bottom)]
                for across, at, start, end in sides:  # across: 0 a vertical side, 1 not
                    run = longest = 0.0
                    for a, b in itertools.pairwise(points):
                        middle = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
                        beside = start < middle[1 - across] < end
                        near = beside and abs(middle[across] - at) < NEAR
                        run = run + math.dist(a, b) if near else 0.0
                        longest = max(longest, run)
                    if longest > ALONG:
                        found.append(f"edge {title(group)} runs {longest:.0f} pt along {name}")
    return found


HUG_CASES = [  # spec, level, roll, direction: shortcuts into blocks and runs from outside
    ("cifar10/resnet56_a.yaml", "layer", True, "TB"),
    ("cifar10/resnet20_a.yaml", "layer", False, "TB"),
    ("cifar10/highway20.yaml", "layer", False, "TB"),
    ("cifar10/preact_resnet164.yaml", "layer", True, "TB"),
    ("resnet50.yaml", "layer", True, "TB"),
    ("resnet152.yaml", "layer", False, "TB"),
    ("densenet121.yaml", "layer", True, "TB"),
    ("cifar10/resnet56_a.yaml", "layer", True, "LR"),
    ("cifar10/preact_resnet110.yaml", "layer", False, "LR"),
    ("cifar10/highway20.yaml", "layer", False, "LR"),
    ("resnet152.yaml", "layer", True, "LR"),
]


@pytest.mark.parametrize(("spec", "level", "roll", "direction"), HUG_CASES)
def test_no_shortcut_hugs_a_cluster_border(
    spec: str, level: str, roll: bool, direction: str
) -> None:
    found = hugging(svg_of(spec, level, roll, direction))
    assert not found, "\n".join(found[:10])


def test_the_check_sees_a_shortcut_hugging_a_border() -> None:
    """A hand-made SVG whose dashed shortcut runs 2 pt outside a block's side is caught."""
    color = SHORTCUTS["identity"].color.encode()
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg"><g class="graph">'
        b'<g class="cluster"><title>cluster_x</title>'
        b'<polygon points="10,-300 100,-300 100,-10 10,-10 10,-300"/></g>'
        b'<g class="edge"><title>a-&gt;b</title>'
        b'<path stroke="' + color + b'" d="M102,-280C102,-200 102,-120 102,-40"/></g>'
        b'<g class="edge"><title>c-&gt;d</title>'
        b'<path stroke="' + color + b'" d="M90,-280C90,-200 90,-120 90,-40"/></g></g></svg>'
    )
    assert hugging(svg) == ["edge a->b runs 240 pt along cluster_x"]
