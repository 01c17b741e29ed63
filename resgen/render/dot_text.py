"""DOT's text: quoted strings, HTML-like label escapes, attribute lists."""

from __future__ import annotations

from collections.abc import Iterable


def quote(text: str) -> str:
    """A DOT double-quoted string; newlines become Graphviz's `\\n`."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def html(text: str) -> str:
    """Escape text for a Graphviz HTML-like label."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def attrs(pairs: Iterable[tuple[str, str | float | int]]) -> str:
    """`[a="1", b=<...>]`; values starting with `<` are HTML-like labels."""
    parts = []
    for key, value in pairs:
        if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
            parts.append(f"{key}={value}")
        elif isinstance(value, str):
            parts.append(f"{key}={quote(value)}")
        else:
            parts.append(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}")
    return "[" + ", ".join(parts) + "]" if parts else ""
