"""``cumthidua check``: every problem a build would find, without touching the site.

For a pre-commit hook or CI. Rather than a second, slightly different
validation path, the check runs the real build into a throwaway folder, so
content, config, templates, URL collisions and internal links are checked by
exactly the code that builds the site, and ``public/`` is never written.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from .build import BuildRequest, BuildResult, Progress, build, no_progress


def check(request: BuildRequest, progress: Progress = no_progress) -> BuildResult:
    """Build into a temporary folder and return the result; the folder is removed."""
    with tempfile.TemporaryDirectory(prefix="cumthidua-check-") as folder:
        # Not clean=True: that would drop the site's build cache, which the check reuses (and does not harm).
        result = build(replace(request, output_dir=Path(folder) / "site", clean=False), progress)
    result.output_dir = request.output_dir
    return result
