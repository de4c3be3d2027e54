"""Finding and reading the files of a site: UTF-8, BOM, CRLF and NFC handled once, here."""

from __future__ import annotations

import hashlib
import operator
import os
import stat
from array import array
from collections.abc import Iterator
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
    return [Path(path) for _, path, _, _ in content_files(content_dir)]


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


@dataclass(frozen=True)
class ContentFiles:
    """The content files of a site, in path order: their paths below the content folder (POSIX), sizes and
    mtimes as three columns, which every build lists and a touch-up compares in C (see ``touchup``) instead of
    100,000 tuples and ``stat`` results."""

    folder: str  # the content folder, as given
    relatives: list[str]
    sizes: array  # of the files, in the same order
    mtimes: array  # in ns

    def __len__(self) -> int:
        return len(self.relatives)

    def __iter__(self) -> Iterator[tuple[str, str, int, int]]:
        """(path below the content folder, full path, size, mtime in ns) of each file."""
        for relative, size, mtime in zip(self.relatives, self.sizes, self.mtimes, strict=True):
            yield relative, self.path(relative), size, mtime

    def path(self, relative: str) -> str:
        """The full path of one of the files."""
        return os.path.join(self.folder, relative)

    @cached_property
    def stamps(self) -> Stamps:
        """Worked out once a build: three steps of a rebuild read them (see ``touchup`` and ``incremental``)."""
        return Stamps("\0".join(self.relatives), self.sizes, self.mtimes)


def content_files(content_dir: Path) -> ContentFiles:
    """Each article file :func:`find_content` finds, with its size and mtime, in path order.

    ``os.scandir`` rather than ``Path.rglob`` or ``os.walk``: every build starts by listing all the files, and
    this is twice as fast as ``os.walk`` with a ``stat`` of each and four times ``rglob`` on 100,000 of them.
    Each folder's entries are sorted as they are listed (a folder's name with its "/"), which puts the files in
    the order of their full paths without a sort of them all. As with ``os.walk``, links to folders are not
    followed, unreadable folders are skipped, and a link to a file counts.
    """
    files = ContentFiles(str(content_dir), [], array("q"), array("q"))
    _list_folder(files.folder, "", files)
    return files


def _list_folder(folder: str, prefix: str, files: ContentFiles) -> None:
    try:
        with os.scandir(folder) as listing:
            entries = [(entry.name + "/" if _is_folder(entry) else entry.name, entry) for entry in listing]
    except OSError:
        return
    entries.sort(key=_FIRST)
    for key, entry in entries:
        name = entry.name
        if key[-1] == "/":
            if name[0] != ".":
                _list_folder(entry.path, prefix + key, files)
        elif _is_content_name(name):
            try:
                info = entry.stat()  # follows a link, as os.stat does
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                files.relatives.append(prefix + name)
                files.sizes.append(info.st_size)
                files.mtimes.append(info.st_mtime_ns)


_FIRST = operator.itemgetter(0)


def _is_folder(entry: os.DirEntry) -> bool:
    """A folder itself, not a link to one; False where the system cannot tell (the entry is then skipped)."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


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
