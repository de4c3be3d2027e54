"""Private build folders under the site's ``.cumthidua/``, for ``serve`` and ``check``.

They build the whole site, but never into ``public/``. A folder kept between
runs lets those builds reuse the incremental build cache (which remembers
pages per output folder), so restarting ``serve`` or re-running ``check`` only
renders what changed. A second process working on the same site at the same
time gets a temporary folder instead of sharing one.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one process at a time is assumed
    fcntl = None  # type: ignore[assignment]

PRIVATE_DIR = ".cumthidua"


@contextmanager
def private_output(site_root: Path, name: str) -> Iterator[Path]:
    """``<site>/.cumthidua/<name>/``, held for this process; a temporary folder when it is taken."""
    folder = site_root / PRIVATE_DIR / name
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{name}.lock", "w", encoding="utf-8") as lock:
        if fcntl is not None:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                with tempfile.TemporaryDirectory(prefix=f"cumthidua-{name}-") as temporary:
                    yield Path(temporary)
                return
        yield folder
