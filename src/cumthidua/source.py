"""Finding and reading the files of a site: UTF-8, BOM, CRLF and NFC handled once, here."""

from __future__ import annotations

import hashlib
import os
import stat
from array import array
from dataclasses import dataclass
from functools import cached_property
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
        diagnostics.error(path, line, col, f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8")
        return None
    if "\r" in text:  # one scan instead of two replace passes on the usual LF-only file
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return nfc(text)


def read_text(path: Path, diagnostics: Diagnostics) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        diagnostics.error(path, 1, 1, f"cannot read file: {exc.strerror or exc}")
        return None
    return decode(data, path, diagnostics)


def is_content_file(path: Path) -> bool:
    """Article files; editor backups, lock and hidden files are skipped."""
    return _is_content_name(path.name)


def _is_content_name(name: str) -> bool:
    return name.endswith(CONTENT_SUFFIXES) and not name.startswith((".", "_", "#")) and not name.endswith("~")


def find_content(content_dir: Path) -> list[Path]:
    """All article files below the content folder, any depth, in a stable order (hidden folders skipped)."""
    return [Path(path) for _, path, _ in content_files(content_dir)]


@dataclass(frozen=True)
class Stamps:
    """The content files' paths, sizes and mtimes as three flat values: what a rebuild compares with the last
    build's listing and digests, made, compared and hashed in C instead of a pass in Python over every file."""

    names: str  # paths below the content folder, in listing order, NUL-separated (no path holds a NUL)
    sizes: array  # of the files, in the same order
    mtimes: array  # in ns

    def digest(self) -> str:
        found = hashlib.blake2b(self.names.encode("utf-8", "surrogatepass"), digest_size=16)
        found.update(self.sizes.tobytes())
        found.update(self.mtimes.tobytes())
        return found.hexdigest()


class ContentFiles(list[tuple[str, str, os.stat_result]]):
    """(path below the content folder, POSIX; full path; stat) of each content file, in path order."""

    @cached_property
    def stamps(self) -> Stamps:
        """Worked out once a build: three steps of a rebuild read them (see ``touchup`` and ``incremental``)."""
        names = "\0".join([relative for relative, _, _ in self])
        infos = [info for _, _, info in self]
        return Stamps(names, array("q", [i.st_size for i in infos]), array("q", [i.st_mtime_ns for i in infos]))


def content_files(content_dir: Path) -> ContentFiles:
    """Each article file :func:`find_content` finds, with its stat, in path order.

    ``os.scandir`` rather than ``Path.rglob`` or ``os.walk``: every build starts by listing all the files, and
    this is a quarter faster than ``os.walk`` and four times faster than ``rglob`` on 100,000 of them. As with
    ``os.walk``, links to folders are not followed, unreadable folders are skipped, and a link to a file counts.
    """
    found: list[tuple[str, str, os.stat_result]] = []
    _list_folder(str(content_dir), "", found)
    found.sort(key=lambda item: item[0])
    return ContentFiles(found)


def _list_folder(folder: str, prefix: str, found: list[tuple[str, str, os.stat_result]]) -> None:
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return
    for entry in entries:
        name = entry.name
        try:
            is_folder = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_folder:
            if not name.startswith("."):
                _list_folder(entry.path, f"{prefix}{name}/", found)
            continue
        if not _is_content_name(name):
            continue
        try:
            info = entry.stat()  # follows a link, as os.stat does
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            found.append((prefix + name, entry.path, info))


def has_utf8_name(path: Path, diagnostics: Diagnostics) -> bool:
    """A file name that is not UTF-8 (from an old zip archive) is an error: it cannot be shown, cached or linked."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        diagnostics.error(shown, 1, 1, "the file name is not valid UTF-8: rename the file")
        return False
    return True


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
