"""Short texts for diagrams: shapes, numbers and one-line op descriptions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from resgen.graph.shapes import Shape, format_shape

__all__ = ["compact", "describe", "details", "format_shape"]


def compact(number: float) -> str:
    """`25557032` -> `25.6M`; three significant digits, no trailing unit."""
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(number) >= scale:
            value = number / scale
            text = f"{value:.3g}" if value < 1000 else f"{value:.0f}"
            return f"{text}{suffix}"
    return f"{number:g}"


def describe(op: str, args: Mapping[str, Any], shape: Shape = ()) -> str:
    """What an op does, in a few characters: `conv 3×3 /2, 128`."""
    if op == "conv":
        kernel = args.get("kernel", "?")
        text = f"conv {kernel}×{kernel}"
        if args.get("stride", 1) != 1:
            text += f" /{args['stride']}"
        if args.get("groups", 1) != 1:
            text += f" g{args['groups']}"
        if args.get("dilation", 1) != 1:
            text += f" d{args['dilation']}"
        return f"{text}, {args.get('out', '?')}"
    if op in {"maxpool", "avgpool"}:
        if args.get("kernel") is None:
            return f"{op} (global)"
        kernel, stride = args["kernel"], args.get("stride", args["kernel"])
        return f"{op} {kernel}×{kernel}" + (f" /{stride}" if stride != 1 else "")
    if op == "linear":
        return f"linear → {args.get('out', '?')}"
    if op == "dropout":
        return f"dropout p={args.get('p', '?')}"
    if op == "zeropad":
        text = f"zero-pad +{args.get('extra_channels', '?')} ch"
        return text + (f" /{args['stride']}" if args.get("stride", 1) != 1 else "")
    if op == "input":
        return f"input {format_shape(shape)}" if shape else "input"
    if op == "add":
        return "add (+)"
    simple = ", ".join(f"{key}={value}" for key, value in args.items() if _plain(value))
    return f"{op} {simple}".strip()


def _plain(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and len(str(value)) <= 12


def details(node: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The facts a reader wants about one layer (tooltips, the HTML view's panel)."""
    args = data.get("args", {})
    facts: dict[str, Any] = {"layer": node, "op": data.get("op", "?")}
    for key in ("kernel", "stride", "padding", "dilation", "groups", "out", "p"):
        if key in args and args[key] is not None:
            facts[key] = args[key]
    if data.get("in_shape"):
        facts["input"] = format_shape(data["in_shape"])
    facts["output"] = format_shape(data.get("shape", ()))
    for key in ("params", "macs", "activations"):
        facts[key] = data.get(key, 0)
    if data.get("location"):
        facts["location"] = str(data["location"])
    return facts
