"""Run the embedded Graphviz with its harmless Fontconfig noise filtered off stderr.

The fontconfig bundled in the pygraphviz wheel is older than most systems'
configuration. On every first render in a process it reads the descriptions in
/usr/share/fontconfig/conf.avail (a path compiled into it, whatever
FONTCONFIG_FILE says) and prints `Fontconfig warning: ... unknown element ...`
for each newer element it does not know. Those lines say nothing about the
diagram, so they are dropped; every other line Graphviz or fontconfig writes
(errors, layout warnings) is passed on to stderr unchanged.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

NOISE = re.compile(r'^Fontconfig warning: "[^"]*",? (?:line \d+: )?unknown element "[^"]*"$')


def noise(line: str) -> bool:
    """A fontconfig line about an element its older parser does not know."""
    return bool(NOISE.match(line.strip()))


def filtered(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not noise(line))


@contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    """Fd 2 into a temporary file for the duration; its text lands in the yielded list."""
    got: list[str] = []
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (an embedded interpreter): nothing to filter
        yield got
        return
    with tempfile.TemporaryFile() as sink:
        sys.stderr.flush()
        os.dup2(sink.fileno(), 2)
        try:
            yield got
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            got.append(sink.read().decode(errors="replace"))


def quietly(call: Callable[[], T], passed_on: Callable[[str], None] | None = None) -> T:
    """`call()`, with what it writes to fd 2 passed on minus the fontconfig noise."""
    got: list[str] = []
    try:
        with _captured_stderr() as got:
            return call()
    finally:
        rest = filtered("".join(got))
        if rest:
            (passed_on or sys.stderr.write)(rest)
