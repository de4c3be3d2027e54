"""Write the output folder safely: staged, recorded, switched only on success.

Every file goes through :class:`OutputWriter`. It writes changed files into a
staging folder inside the output, refuses to replace any file it did not
write before (the manifest records those), and only when the whole build has
succeeded moves the staged files into place and removes the files of the
previous build that are gone. Unchanged files are not rewritten.

A file whose folder the output has already waits in a flat folder (so a
rebuild that rewrites every page makes no folder for it); the others wait in
a tree that mirrors the output's, so a staged folder whose place in the
output is free moves there whole, with one rename: a cold build commits its
14,000 files with a few dozen renames.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import os
import pickle
import shutil
import stat
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .urls import is_safe_path

MANIFEST = ".cumthidua-manifest.json"
STAGING = ".cumthidua-staging"
FLAT = "flat"  # staging folder of files whose output folder exists, by a hash of their path
TREE = "tree"  # staging folder of the others, at their path


@dataclass
class WriteStats:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    bytes: int = 0


@dataclass
class OutputProblem:
    path: str  # output path concerned
    source: str  # file that produced it, for messages
    message: str


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


Stamp = tuple[int, int]  # (size, mtime in ns) of a file as the build left it


@dataclass
class Manifest:
    """What the last build wrote into the output folder: the file ``.cumthidua-manifest.json`` there, and the
    files' stamps kept beside the build cache (the output itself holds nothing that changes from build to
    build)."""

    files: dict[str, str] = field(default_factory=dict)  # output path → content hash
    digest: str | None = None  # of the manifest file: whether the output is as a build left it
    kept: tuple[array, array] | None = None  # sizes and mtimes of ``files``, in their order (-1: not known)
    text: bytes | None = None  # the manifest file's bytes, when it parsed

    @cached_property
    def stamps(self) -> dict[str, Stamp]:
        """Output path → its file's size and mtime as the build left it (where known)."""
        if self.kept is None:
            return {}
        sizes, mtimes = self.kept
        stamps = dict(zip(self.files, zip(sizes, mtimes, strict=True), strict=True))
        if min(sizes, default=0) < 0:  # some not known
            stamps = {path: stamp for path, stamp in stamps.items() if stamp[0] >= 0}
        return stamps

    def in_place(self, path: str, root: str, stamp: Stamp | None = None) -> bool:
        """The file at ``path`` (below ``root``, the output folder and "/") is the one the last build left there:
        a regular file with its size and mtime, or, where no stamp was kept (the cache deleted, an older version),
        its bytes (one edited by hand is made again, as one deleted by hand is). ``stamp``: the file's kept
        stamp, when the caller has it at hand (else it is looked up)."""
        try:
            info = os.lstat(root + path)
            if not stat.S_ISREG(info.st_mode):
                return False
            if stamp is None:
                stamp = self.stamps.get(path)
            if stamp is not None and stamp[0] >= 0:
                return stamp == (info.st_size, info.st_mtime_ns)
            with open(root + path, "rb") as file:
                return digest(file.read()) == self.files.get(path)
        except (OSError, ValueError):
            return False


def read_manifest(output_dir: Path, stamps_file: Path | None = None) -> Manifest:
    """The last build's manifest; with the stamps in ``stamps_file`` when they were kept for it."""
    try:
        data = (output_dir / MANIFEST).read_bytes()
    except OSError:
        return Manifest()
    digest = _digest_of_manifest(data)
    try:
        files = json.loads(data).get("files", {})  # the paths are checked where acted on
        if not all(type(value) is str for value in files.values()):  # edited by hand
            files = {key: str(value) for key, value in files.items()}
    except (ValueError, AttributeError):
        return Manifest(digest=digest)
    return Manifest(files, digest, _read_stamps(stamps_file, digest, len(files)), data)


STAMPS_FORMAT = "cumthidua stamps 1"


def _read_stamps(stamps_file: Path | None, digest: str, count: int) -> tuple[array, array] | None:
    """The stamps kept for this manifest, in its files' order: two arrays of integers, quick to load where a
    pickled dict of 140,000 paths took a tenth of a second. Kept for it, they also say this tool wrote it (its
    files in path order)."""
    if stamps_file is None:
        return None
    try:
        with open(stamps_file, "rb") as file:
            kept = pickle.load(file)
        form, kept_for, sizes, mtimes = kept
        if form != STAMPS_FORMAT or kept_for != digest:
            return None  # kept for another manifest: a build without them, or an interrupted one, came in between
        size_array, mtime_array = array("q", sizes), array("q", mtimes)
    except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError, AttributeError, ImportError, IndexError):
        return None
    if len(size_array) != count or len(mtime_array) != count:
        return None
    return size_array, mtime_array


def _stamps_data(digest: str, sizes: array, mtimes: array) -> bytes:
    """What :func:`_read_stamps` reads."""
    return pickle.dumps((STAMPS_FORMAT, digest, sizes.tobytes(), mtimes.tobytes()), protocol=5)


def manifest_digest(output_dir: Path) -> str | None:
    """Digest of the output's manifest: whether the output is as a build left it."""
    try:
        return _digest_of_manifest((output_dir / MANIFEST).read_bytes())
    except OSError:
        return None


def _digest_of_manifest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


FilesAhead = tuple[str | None, frozenset[str]]


def files_not_in_place(output_dir: Path, stamps_file: Path | None = None) -> FilesAhead:
    """(digest of the manifest, the files it lists that are not in place): what :meth:`OutputWriter.keep` asks
    of each file, worked out ahead, in another process (see :meth:`OutputWriter.trust`): 140,000 looks take
    a second at 100,000 articles."""
    manifest = read_manifest(output_dir, stamps_file)
    root = str(output_dir.resolve()) + "/"
    if manifest.kept is None:
        return manifest.digest, frozenset(path for path in manifest.files if not manifest.in_place(path, root))
    gone = []
    for path, size, mtime in zip(manifest.files, *manifest.kept, strict=True):
        try:
            info = os.lstat(root + path)
            if info.st_mtime_ns == mtime and info.st_size == size and stat.S_ISREG(info.st_mode):
                continue  # the usual case, decided here (a call per file costs a fifth of a second)
        except (OSError, ValueError):
            pass
        if not manifest.in_place(path, root, (size, mtime)):  # the others, as Manifest.in_place decides
            gone.append(path)
    return manifest.digest, frozenset(gone)


@dataclass
class OutputWriter:
    output_dir: Path
    rewrite_all: bool = False
    previous: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    staged: list[str] = field(default_factory=list)
    _flat: set[str] = field(default_factory=set)  # staged paths that wait in the flat folder
    problems: list[OutputProblem] = field(default_factory=list)
    stats: WriteStats = field(default_factory=WriteStats)
    _created_output: bool = False
    _plain_folders: set[str] = field(default_factory=set)  # output folders known to be real folders
    _staging_folders: set[str] = field(default_factory=set)  # staging folders made (in this process)
    _output_folders: set[str] = field(default_factory=set)  # output folders seen (in this process), see stage()
    _missing_folders: set[str] = field(default_factory=set)  # output folders known not to exist (until commit)

    manifest: str | None = None  # digest of the manifest of the last build, as read
    _root: str = ""  # the output folder's path and "/"
    _not_in_place: frozenset[str] | None = None  # see trust()
    stamps_file: Path | None = None  # where the files' stamps are kept (see Manifest); None: not kept
    _last: Manifest = field(default_factory=Manifest)  # the last build's manifest, for its files' stamps

    def __post_init__(self) -> None:
        self.output_dir = self.output_dir.resolve()
        self._root = str(self.output_dir) + "/"
        self._created_output = not self.output_dir.exists()  # staging creates it; a failed build removes it again
        self._last = read_manifest(self.output_dir, self.stamps_file)
        self.previous, self.manifest = self._last.files, self._last.digest
        shutil.rmtree(self.staging_dir, ignore_errors=True)  # left by an interrupted build

    def trust(self, ahead: FilesAhead) -> None:
        """Take :func:`files_not_in_place` of this output as :meth:`keep`'s look at each file, when it read the
        manifest this writer read."""
        digest, not_in_place = ahead
        if digest is not None and digest == self.manifest:
            self._not_in_place = not_in_place

    @property
    def staging_dir(self) -> Path:
        return self.output_dir / STAGING

    def _staged_file(self, path: str, kind: str) -> str:
        """Where ``path`` waits for the commit: by a hash of its path in the flat folder, or at it in the tree."""
        if kind == FLAT:
            path = hashlib.blake2b(path.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
        return f"{self._root}{STAGING}/{kind}/{path}"

    def _staging_kind(self, folder: str) -> str:
        """FLAT when the output has ``folder`` (a real one or not: :meth:`record` checks), else TREE."""
        if not folder or folder in self._output_folders:
            return FLAT
        if os.path.isdir(self._root + folder):
            self._output_folders.add(folder)
            return FLAT
        return TREE

    def _make_staging_folder(self, folder: str) -> None:
        """Make ``folder`` (below the staging folder) and its parents; workers make theirs, each remembering its own."""
        if folder in self._staging_folders:
            return
        made = f"{self._root}{STAGING}/{folder}"
        try:
            os.mkdir(made)  # usually its parent is there: one call, where makedirs makes two
        except FileNotFoundError:
            os.makedirs(made, exist_ok=True)
        except FileExistsError:
            pass  # made by another worker
        self._staging_folders.add(folder)

    def _check_target(self, path: str, source: str) -> bool:
        def problem(message: str) -> bool:
            self.problems.append(OutputProblem(path, source, message))
            return False

        if not is_safe_path(path) or path.split("/")[0] in (MANIFEST, STAGING):
            return problem(f"refusing to write outside the output folder: {path!r}")
        if path in self.files:
            return problem(f"/{path} is produced twice: by {self.sources.get(path, path)} and by {source}")
        return self._plainly_writable(path) or self._check_links_and_files(path, source, problem)

    def _plainly_writable(self, path: str) -> bool:
        """True in the usual case, cheaply: real folders (each looked at once) down to a missing file or one we wrote.

        Anything else (a link on the way, a file in the way, a file we did not write) is
        left to :meth:`_check_links_and_files`, which says what is wrong.
        """
        root = self._root
        parts = path.split("/")
        for end in range(1, len(parts)):
            folder = "/".join(parts[:end])
            if folder in self._plain_folders:
                continue
            if folder in self._missing_folders:
                return True  # nothing below it exists either: commit makes the folders
            try:
                mode = os.lstat(root + folder).st_mode
            except FileNotFoundError:
                self._missing_folders.add(folder)
                return True
            except OSError:
                return False
            if not stat.S_ISDIR(mode):
                return False
            self._plain_folders.add(folder)
        try:
            mode = os.lstat(root + path).st_mode
        except FileNotFoundError:
            return True
        except OSError:
            return False
        return stat.S_ISREG(mode) and path in self.previous

    def _check_links_and_files(self, path: str, source: str, problem: Callable[[str], bool]) -> bool:
        """The full check, following links: nothing is written outside the output folder or over a stranger's file."""
        target = self.output_dir / path
        try:
            inside = target.resolve().is_relative_to(self.output_dir)
        except (RuntimeError, OSError):  # a link that leads to itself
            return problem(f"refusing to write through a link that loops: {path}")
        if not inside:
            return problem(f"refusing to write through a link that leads outside the output folder: {path}")
        parent = target.parent
        while parent != self.output_dir:
            if parent.exists() and not parent.is_dir():
                return problem(f"cannot create folder {parent.relative_to(self.output_dir)}: a file is in the way")
            parent = parent.parent
        if (target.exists() or target.is_symlink()) and (path not in self.previous or not target.is_file()):
            # Reported at the file in the way: the page's own source may not even exist (site.yaml of the home page).
            self.problems.append(
                OutputProblem(path, str(target), "cumthidua did not write this file, so it will not overwrite it")
            )
            return False
        return True

    def add(self, path: str, content: bytes, source: str = "") -> None:
        """Record one output file; stage it when it differs from what is there."""
        if not self._check_target(path, source):
            return
        content_digest, staged = self.stage(path, content)
        self._account(path, content_digest, len(content) if staged else 0, staged, source)

    def stage(self, path: str, content: bytes) -> tuple[str, str]:
        """Write ``content`` to the staging folder unless the output already holds it: (digest, where it waits:
        FLAT, TREE or "" when not staged).

        Touches only the staging folder, so forked workers may call it; :meth:`record` then checks the target.
        """
        content_digest = digest(content)
        if not is_safe_path(path) or path.split("/")[0] in (MANIFEST, STAGING):
            return content_digest, ""  # record() reports it
        if not self.rewrite_all and self.previous.get(path) == content_digest and self._in_place(path):
            return content_digest, ""
        folder = path.rpartition("/")[0]
        kind = self._staging_kind(folder)
        self._make_staging_folder(f"{TREE}/{folder}" if kind == TREE else FLAT)
        with open(self._staged_file(path, kind), "wb") as file:
            file.write(content)
        return content_digest, kind

    def record(self, path: str, content_digest: str, size: int, staged: str, source: str = "") -> None:
        """Account for a file :meth:`stage` handled, in this process or in a worker."""
        if self._check_target(path, source):
            self._account(path, content_digest, size, staged, source)

    def keep(self, path: str, source: str = "") -> bool:
        """Keep the file the last build wrote, neither read nor rewritten; False when it is not there as it was."""
        content_digest = self.previous.get(path)
        if self.rewrite_all or content_digest is None or not self._in_place(path):
            return False
        if path in self.files:
            self._check_target(path, source)  # reports "produced twice"
            return True
        self._account(path, content_digest, 0, "", source)
        return True

    def keep_many(self, paths: list[str], source_of: Callable[[int], str]) -> list[int]:
        """:meth:`keep` for many files at once (a touch-up keeps 140,000 in one pass, a third of a second faster than
        one by one): the positions in ``paths`` of those not kept. ``source_of(position)``: the file that produced
        one, asked only for messages (a file kept here is named by its path in them)."""
        kept: dict[str, str] = {}
        gone = self._not_in_place
        if not self.rewrite_all and gone is not None and len(set(paths)) == len(paths):
            previous, files = self.previous, self.files
            digests = list(map(previous.get, paths))
            if None in digests or not gone.isdisjoint(paths):  # some the last build did not leave in place
                kept = {path: previous[path] for path in paths if path in previous and path not in gone}
            else:  # the usual case, in C: a touch-up keeps 140,000 at once
                kept = dict(zip(paths, digests, strict=True))
            kept = {path: kept[path] for path in kept.keys() - files.keys()} if files else kept
            files.update(kept)
            self.stats.unchanged += len(kept)
            if len(kept) == len(paths):
                return []
        return [n for n, path in enumerate(paths) if path not in kept and not self.keep(path, source_of(n))]

    def _account(self, path: str, content_digest: str, size: int, staged: str, source: str) -> None:
        self.files[path] = content_digest
        self.sources[path] = source or path
        if not staged:
            self.stats.unchanged += 1
            return
        self.staged.append(path)
        if staged == FLAT:
            self._flat.add(path)
        self.stats.bytes += size

    def _in_place(self, path: str) -> bool:
        """The file the last build wrote is still there as it left it (:meth:`Manifest.in_place`): one look, or
        the one taken ahead (:meth:`trust`).

        Only asked of paths the manifest lists. Keeping writes nothing, so the folders on the way are not looked
        at: a page that changes is written only after :meth:`_check_target` has checked them (no links, nothing
        outside the output folder).
        """
        if self._not_in_place is not None:
            return path not in self._not_in_place
        return self._last.in_place(path, self._root)

    def abort(self) -> None:
        """Forget everything staged; the output folder is as it was before."""
        shutil.rmtree(self.staging_dir, ignore_errors=True)
        if self._created_output:
            with contextlib.suppress(OSError):  # not empty: something else is in there now
                self.output_dir.rmdir()

    def commit(self) -> WriteStats:
        """Move staged files into place, remove files of the last build that are gone."""
        tops = self._free_tops()
        moved: dict[str, bool] = {}  # staged folder → moved whole
        for path in self.staged:
            top = tops.get(path)
            if top is not None and top not in moved:
                moved[top] = self._move_folder(top)
            if top is None or not moved[top]:
                self._move_file(path)
        self.stats.written = len(self.staged)
        for path in sorted(set(self.previous) - set(self.files)):
            if not is_safe_path(path):
                continue  # a manifest edited by hand never makes it delete outside the output folder
            target = self.output_dir / path
            if target.is_file() and not target.is_symlink():
                target.unlink()
                self.stats.removed += 1
                self._prune_empty_parents(target.parent)
        self._write_manifest()
        shutil.rmtree(self.staging_dir, ignore_errors=True)
        return self.stats

    def _free_tops(self) -> dict[str, str]:
        """Path staged in the tree → the topmost folder on its way that the output does not have (paths with none
        left out).

        Worked out before anything moves. Such a folder holds staged files only (the staging tree has nothing
        else), so it can move whole.
        """
        root = self._root
        exists: dict[str, bool] = dict.fromkeys(self._plain_folders, True)
        tops: dict[str, str] = {}
        for path in self.staged:
            if path in self._flat:
                continue
            parts = path.split("/")
            for end in range(1, len(parts)):
                folder = "/".join(parts[:end])
                if folder not in exists:
                    exists[folder] = os.path.lexists(root + folder)
                if not exists[folder]:
                    tops[path] = folder
                    break
        return tops

    def _move_folder(self, folder: str) -> bool:
        """Move a staged folder whole to its free place in the output; False when the place is taken now."""
        target = self._root + folder
        if os.path.lexists(target):
            return False  # made since _free_tops looked (rename would replace an empty folder): file by file
        try:
            os.rename(self._staged_file(folder, TREE), target)
        except OSError:
            return False
        return True

    def _move_file(self, path: str) -> None:
        folder = path.rpartition("/")[0]
        if folder and folder not in self._plain_folders:
            try:
                os.mkdir(self._root + folder)  # usually its parent is there: one call, where makedirs makes two
            except OSError:
                os.makedirs(self._root + folder, exist_ok=True)
            self._plain_folders.add(folder)
        os.replace(self._staged_file(path, FLAT if path in self._flat else TREE), self._root + path)

    def _manifest_files(self) -> tuple[dict[str, str], bool]:
        """This build's files in path order, and whether they are the last manifest's (with stamps): then they
        are its copy with the rewritten files' digests put in, the usual rebuild's case, instead of a sort."""
        last = self._last
        if last.kept is not None and len(self.files) == len(last.files):
            files = dict(last.files)  # in path order, as this writes manifests
            files.update({path: self.files[path] for path in self.staged if path in self.files})
            if len(files) == len(last.files) and files == self.files:
                return files, True
        return {path: self.files[path] for path in sorted(self.files)}, False

    def _new_stamps(self, files: dict[str, str], same: bool) -> tuple[array, array]:
        """The sizes and mtimes of ``files`` (in their order) as this build leaves them: the last ones where a
        file was kept, a look at the others. ``same``: they are the last manifest's files, with stamps."""
        last, root = self._last, self._root
        if same and last.kept is not None:  # the usual rebuild: only a few files moved
            sizes, mtimes = array("q", last.kept[0]), array("q", last.kept[1])
            order = list(last.files)  # in path order, as this writes manifests
            stale = [bisect.bisect_left(order, path) for path in self.staged]
            if min(sizes, default=0) < 0:
                stale += [n for n, size in enumerate(sizes) if size < 0]
        else:
            known, staged = last.stamps, set(self.staged)
            stamps = [(-1, -1) if path in staged else known.get(path, (-1, -1)) for path in files]
            sizes, mtimes = array("q", [size for size, _ in stamps]), array("q", [mtime for _, mtime in stamps])
            order = list(files)
            stale = [n for n, size in enumerate(sizes) if size < 0]
        for n in stale:
            try:
                info = os.lstat(root + order[n])
                sizes[n], mtimes[n] = info.st_size, info.st_mtime_ns
            except OSError:
                sizes[n] = mtimes[n] = -1
        return sizes, mtimes

    def _patched_manifest(self) -> bytes | None:
        """The last manifest's bytes with the rewritten files' digests put in place: what :func:`manifest_text`
        makes of this build's files when they are the last manifest's (digests have one length), without
        encoding 140,000 entries again for the few a touch-up rewrites. None: not that case."""
        last = self._last
        if last.text is None or not last.text.startswith(MANIFEST_START):
            return None
        text = bytearray(last.text)
        for path in self.staged:
            old, new = last.files.get(path), self.files.get(path)
            if old is None or new is None or len(old) != len(new):
                return None
            # An entry's key follows "{" or ","; inside a key both are followed by an escaped quote, never by '"'.
            key = json.dumps(path, ensure_ascii=False).encode("utf-8") + b':"'
            at = text.find(b"," + key, len(MANIFEST_START))
            if at < 0 and text.startswith(key, len(MANIFEST_START)):
                at = len(MANIFEST_START) - 1
            start = at + 1 + len(key)
            if at < 0 or text[start : start + len(old) + 1] != old.encode("utf-8") + b'"':
                return None
            text[start : start + len(new)] = new.encode("utf-8")
        return bytes(text)

    def _prune_empty_parents(self, folder: Path) -> None:
        while folder != self.output_dir and folder.is_relative_to(self.output_dir):
            try:
                folder.rmdir()  # only succeeds when empty
            except OSError:
                return
            folder = folder.parent

    def _write_manifest(self) -> None:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        files, same = self._manifest_files()
        text = self._patched_manifest() if same else None
        if text is None:
            text = manifest_text(files)
        _replace_file(self.output_dir / MANIFEST, text)
        if self.stamps_file is not None:
            with contextlib.suppress(OSError):  # without them, a file edited by hand is not noticed: no more
                _replace_file(self.stamps_file, _stamps_data(_digest_of_manifest(text), *self._new_stamps(files, same)))


MANIFEST_START = b'{"generator":"cumthidua","files":{'


def manifest_text(files: dict[str, str]) -> bytes:
    """The manifest file of these files (output path → content hash)."""
    # One line: with ``indent`` json encodes in Python, 0.6 s for a 100,000-article site's manifest.
    data = {"generator": "cumthidua", "files": files}
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _replace_file(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
