"""Where a layer comes from, as diagrams show it: never the machine's absolute path.

A spec's file name is recorded as the user gave it. A diagram is a file people
share, so an absolute path under the working folder is shown relative to it
(`specs/resnet50.yaml:12:5`), as if the user had typed that.
"""

from __future__ import annotations

import os
from pathlib import Path

from resgen.errors import Location


def shown_file(file: str) -> str:
    """`file` relative to the working folder where it lies inside it; else as given."""
    path = Path(file)
    if not path.is_absolute():
        return file
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except (ValueError, OSError):
        pass
    try:
        return Path(os.path.realpath(path)).relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return file


def shown_location(location: Location | None) -> str:
    """`file:line:col` with the file as `shown_file` gives it; "" for none."""
    if location is None:
        return ""
    return str(Location(shown_file(location.file), location.line, location.column))
