"""One error type for everything a user can get wrong, reported as ``path:line:col``.

Every stage appends to a :class:`Diagnostics` collector instead of raising, so a
single run reports all problems at once (as Hugo does) and the build can decide
afterwards whether it may touch the output folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem in a user's file; ``line`` and ``col`` count from 1."""

    path: str
    line: int
    col: int
    message: str
    severity: str = "error"

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}"


class UsageError(Exception):
    """A wrong command line or setup: exit status 2, no traceback."""


def display_path(path: Path | str) -> str:
    """Show a path relative to the working directory when it lies below it."""
    path = Path(path)
    try:
        return os.path.relpath(path) if path.is_absolute() and not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:  # another drive on Windows
        return str(path)


@dataclass
class Diagnostics:
    """Collects diagnostics from every stage of a build."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, path: Path | str, line: int, col: int, message: str) -> None:
        self.items.append(Diagnostic(display_path(path), max(line, 1), max(col, 1), message))

    def warning(self, path: Path | str, line: int, col: int, message: str) -> None:
        self.items.append(Diagnostic(display_path(path), max(line, 1), max(col, 1), message, "warning"))

    def extend(self, other: Diagnostics) -> None:
        self.items.extend(other.items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    def __bool__(self) -> bool:
        return bool(self.errors)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items)
