"""Finding and reading the files of a site: UTF-8, BOM, CRLF and NFC handled once, here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostics
from .vietnamese import nfc

CONTENT_SUFFIXES = (".md", ".markdown", ".yaml", ".yml")


@dataclass(frozen=True)
class SourceFile:
    """A content file as text, with the path it is reported under."""

    path: Path  # as found on disk, used in messages
    relative: str  # POSIX path below the content folder
    text: str  # NFC, LF line endings, no BOM
    digest: str  # hash of the raw bytes, for caches


def decode(data: bytes, path: Path | str, diagnostics: Diagnostics) -> str | None:
    """Decode UTF-8 (with or without BOM), unify line endings and normalize to NFC."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        diagnostics.error(
            path, line, col, f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8"
        )
        return None
    return nfc(text.replace("\r\n", "\n").replace("\r", "\n"))


def read_text(path: Path, diagnostics: Diagnostics) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        diagnostics.error(path, 1, 1, f"cannot read file: {exc.strerror or exc}")
        return None
    return decode(data, path, diagnostics)


def is_content_file(path: Path) -> bool:
    """Article files; editor backups, lock and hidden files are skipped."""
    name = path.name
    return name.endswith(CONTENT_SUFFIXES) and not name.startswith((".", "_", "#")) and not name.endswith("~")


def find_content(content_dir: Path) -> list[Path]:
    """All article files below the content folder, any depth, in a stable order."""
    found = []
    for path in content_dir.rglob("*"):
        relative = path.relative_to(content_dir)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and is_content_file(path):
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(content_dir).as_posix())


def load_source(path: Path, content_dir: Path, diagnostics: Diagnostics) -> SourceFile | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        diagnostics.error(path, 1, 1, f"cannot read file: {exc.strerror or exc}")
        return None
    text = decode(data, path, diagnostics)
    if text is None:
        return None
    return SourceFile(path, path.relative_to(content_dir).as_posix(), text, hashlib.sha256(data).hexdigest())
