"""``cumthidua check``: every problem a build would find, without touching the site.

For a pre-commit hook or CI. Rather than a second, slightly different
validation path, the check runs the real build into the site's private
``.cumthidua/check/`` folder, so content, config, templates, URL collisions
and internal links are checked by exactly the code that builds the site, and
``public/`` is never written. The folder is kept so the next check is
incremental, like the next build.
"""

from __future__ import annotations

from dataclasses import replace

from .build import BuildRequest, BuildResult, Progress, build, no_progress
from .workdir import private_output


def check(request: BuildRequest, progress: Progress = no_progress) -> BuildResult:
    """Build into the private check folder and return the result."""
    with private_output(request.site_root, "check") as folder:
        # Not clean=True: that would drop the site's build cache, which the check reuses (and does not harm).
        result = build(replace(request, output_dir=folder, clean=False), progress)
    result.output_dir = request.output_dir
    return result
