"""Line layout of the emitted code: long calls and signatures broken as ruff would."""

from __future__ import annotations


def wrap(line: str, indent: int, limit: int = 88) -> str:
    """Break `name = call(a, b, ...)` over lines when, at `indent`, it is too long.

    Continuation lines are indented relative to the first line.
    """
    if len(line) + indent <= limit or not line.rstrip(",").endswith(")") or "(" not in line:
        return line
    trailing = "," if line.endswith(",") else ""
    head, _, rest = line.rstrip(",").partition("(")
    inner = rest[:-1]
    if indent + 4 + len(inner) <= limit and "\n" not in inner:
        return f"{head}(\n    {inner}\n){trailing}"
    body = "".join(
        "".join(f"    {line}\n" for line in wrap(part, indent + 4).rstrip(",").split("\n"))[:-1]
        + ",\n"
        for part in _split_arguments(inner)
    )
    return f"{head}(\n{body}){trailing}"


def signature(name: str, params: list[str], returns: str, indent: int, limit: int = 88) -> str:
    """`def name(params) -> returns:`, one parameter per line when too long."""
    line = f"def {name}({', '.join(params)}) -> {returns}:"
    if indent + len(line) <= limit:
        return line
    body = "".join(f"    {param},\n" for param in params)
    return f"def {name}(\n{body}) -> {returns}:"


def _split_arguments(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]
