"""The one error type users see: a message tied to a place in their spec."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A position in a spec file (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


MAX_PATH = 100  # characters of a key path in a message: a user's key may be huge


def _bounded(path: str) -> str:
    return path if len(path) <= MAX_PATH else f"{path[: MAX_PATH - 20]}...{path[-17:]}"


class SpecError(Exception):
    """A mistake in a spec, reported as `file:line:col: key.path: message`.

    The CLI prints `str(error)` and exits with code 2; no traceback is shown.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str = "",
        location: Location | None = None,
        hint: str = "",
    ) -> None:
        self.message = message
        self.path = path
        self.location = location
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        where = f"{self.location}: " if self.location else ""
        key = f"{_bounded(self.path)}: " if self.path else ""
        hint = f"\n  hint: {self.hint}" if self.hint else ""
        return f"{where}{key}{self.message}{hint}"

    def __str__(self) -> str:
        return self.render()


class SpecErrors(SpecError):
    """Several independent mistakes found in one pass (e.g. by the schema)."""

    def __init__(self, errors: list[SpecError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.message, path=first.path, location=first.location, hint=first.hint)

    def render(self) -> str:
        return "\n".join(error.render() for error in self.errors)


class InternalError(Exception):
    """A bug in resgen, not a mistake in the spec: e.g. emitted code that would not compile.

    The CLI prints `error: internal error: ...` with a request for a bug report and
    exits with code 3; nothing is written.
    """
