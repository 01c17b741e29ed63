"""Atomic writing: every output is complete, or absent; a bad target, nothing written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from resgen.errors import SpecError


class OutputError(SpecError):
    """An output path that cannot be written (a file where a folder must be, a folder
    where a file must be, no permission): one message, exit code 2."""


def check_targets(paths: Iterable[Path]) -> None:
    """Refuse, before anything is written, any target that cannot be written.

    Every target's folder must be a folder or creatable as one (no file on the
    way), writable where it exists, and no target may be a folder itself.
    """
    paths = list(paths)
    for folder in sorted({path.parent for path in paths}):
        _check_folder(folder)
    for path in paths:
        if path.is_dir():
            raise OutputError(f"cannot write {path}: it is a folder; name a file")


def _check_folder(folder: Path) -> None:
    """`folder` exists as a writable folder, or its first existing ancestor is one."""
    for existing in (folder, *folder.parents):
        if existing.is_dir():
            if not os.access(existing, os.W_OK | os.X_OK):
                raise OutputError(f"cannot write to {folder}: {existing} is not writable")
            return
        if existing.exists() or existing.is_symlink():
            what = "a file" if existing.exists() else "a broken link"
            raise OutputError(f"cannot write to {folder}: {existing} is {what}, not a folder")


def write_all(files: dict[Path, str | bytes]) -> None:
    """Write every file via a temporary sibling and a rename.

    Everything is produced in memory before this is called, and every target is
    checked before the first is written, so a failed build or a bad `-o` writes
    nothing; a crash mid-way leaves only whole files.
    """
    check_targets(files)
    for path, content in files.items():
        try:
            _write(path, content.encode() if isinstance(content, str) else content)
        except OSError as exc:  # e.g. the disk is full: what is written is whole
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
