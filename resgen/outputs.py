"""Atomic writing: every output is complete, or absent."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_all(files: dict[Path, str | bytes]) -> None:
    """Write every file via a temporary sibling and a rename.

    Everything is produced in memory before this is called, so a failed build
    writes nothing; a crash mid-way leaves only whole files.
    """
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(temp, 0o644)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
