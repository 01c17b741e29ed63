"""Short texts for diagrams: shapes, numbers and one-line op descriptions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from resgen import ops
from resgen.graph.model import Node
from resgen.graph.shapes import Shape, format_shape
from resgen.ops.base import plain_label

__all__ = ["compact", "describe", "details", "format_shape", "merged_details", "merged_text"]


def compact(number: float) -> str:
    """`25557032` -> `25.6M`; three significant digits, no trailing unit."""
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(number) >= scale:
            value = number / scale
            text = f"{value:.3g}" if value < 1000 else f"{value:.0f}"
            return f"{text}{suffix}"
    return f"{number:g}"


def describe(op: str, args: Mapping[str, Any], shape: Shape = ()) -> str:
    """What an op does, in a few characters (its own `label`): `conv 3×3 /2, 128`."""
    definition = ops.get(op)
    return plain_label(op, args) if definition is None else definition.label(args, shape)


def details(node: Node) -> dict[str, Any]:
    """The facts a reader wants about one layer (tooltips, the HTML view's panel)."""
    facts: dict[str, Any] = {"layer": node.id, "op": node.op}
    for key in ("kernel", "stride", "padding", "dilation", "groups", "out", "p"):
        if node.args.get(key) is not None:
            facts[key] = node.args[key]
    if node.in_shape:
        facts["input"] = format_shape(node.in_shape)
    facts["output"] = format_shape(node.shape)
    if node.op != "input":  # the input holds no parameters and computes nothing
        for key in ("params", "macs", "activations"):
            facts[key] = getattr(node, key)
    if node.location:
        from resgen.render.paths import shown_location

        facts["location"] = shown_location(node.location)
    return facts


def merged_text(nodes: list[Node]) -> str:
    """A merged run of layers (`--merge`), in order: `conv 3×3, 64 · bn · relu`."""
    return " · ".join(describe(node.op, node.args, node.shape) for node in nodes)


def merged_details(nodes: list[Node]) -> dict[str, Any]:
    """`details` of a merged run: its layers and ops, its shapes, its summed counts."""
    first, last = nodes[0], nodes[-1]
    facts: dict[str, Any] = {
        "layers": " · ".join(node.id for node in nodes),
        "ops": " · ".join(node.op for node in nodes),
    }
    if first.in_shape:
        facts["input"] = format_shape(first.in_shape)
    facts["output"] = format_shape(last.shape)
    for key in ("params", "macs", "activations"):
        facts[key] = sum(getattr(node, key) for node in nodes)
    if first.location:
        from resgen.render.paths import shown_location

        facts["location"] = shown_location(first.location)
    return facts
