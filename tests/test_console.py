"""What the terminal shows: --quiet, --verbose, colour only on a terminal, a progress bar on slow builds."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import time

import pytest

from conftest import ROOT, SiteDir
from cumthidua.console import BuildProgress, Console
from cumthidua.diagnostics import Diagnostic


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def run_on_terminal(site: SiteDir, *args: str, no_color: bool) -> str:
    """Run cumthidua with stdout and stderr on a pseudo-terminal; return what it printed."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update({"PYTHONPATH": str(ROOT / "src"), "TERM": "xterm", **({"NO_COLOR": "1"} if no_color else {})})
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "cumthidua", *args], cwd=site.root, env=env, stdout=follower, stderr=follower
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_errors_are_coloured_on_a_terminal_but_not_with_no_color(site: SiteDir) -> None:
    site.article("sai.md", "Sai", date="hôm qua")
    coloured = run_on_terminal(site, "build", no_color=False)
    assert "\x1b[1;31merror\x1b[0m" in coloured
    plain = run_on_terminal(site, "build", no_color=True)
    assert "content/sai.md:3:7: error: `date`" in plain
    assert "\x1b[" not in plain


def test_nothing_is_coloured_when_output_is_not_a_terminal(site: SiteDir) -> None:
    site.article("sai.md", "Sai", date="hôm qua")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    result = subprocess.run(
        [sys.executable, "-m", "cumthidua", "build"],
        cwd=site.root,
        env={**env, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "\x1b[" not in result.stderr + result.stdout


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_shows_errors_only(site: SiteDir, where: str) -> None:
    site.article("tin.md", "Tin")
    args = ["--quiet", "build"] if where == "before" else ["build", "--quiet"]
    result = site.run(*args, check=True)
    assert result.stdout == "" and result.stderr == ""
    site.article("sai.md", "Sai", date="hôm qua")
    result = site.run(*args)
    assert result.returncode == 1
    assert "content/sai.md:3:7: error:" in result.stderr


def test_verbose_shows_each_stage_and_the_summary(site: SiteDir) -> None:
    site.article("tin.md", "Tin")
    result = site.run("build", "--verbose", check=True)
    for stage in ("reading articles", "assembling the site", "rendering pages", "writing files"):
        assert stage in result.stdout
    assert result.stdout.splitlines()[-1].startswith("Built 1 articles, ")
    assert "→ public" in result.stdout


def test_verbose_names_the_stages_of_a_rebuild_that_reuses_the_last_site(site: SiteDir) -> None:
    site.article("tin.md", "Tin", slug="tin")
    site.run("build", check=True)
    site.article("tin.md", "Tin đã sửa", slug="tin")
    result = site.run("build", "--verbose", check=True)
    for stage in ("loading the last build's site", "finding the pages to render", "rendering pages"):
        assert stage in result.stdout
    assert "reading articles" not in result.stdout


def test_quiet_and_verbose_together_are_refused(site: SiteDir) -> None:
    result = site.run("build", "--quiet", "--verbose")
    assert result.returncode == 2


def feed(progress: BuildProgress, pages: int = 50) -> None:
    """The calls a build makes."""
    progress("config", 0, 1)
    for done in range(pages):
        progress("read", done, pages)
    progress("assemble", 0, 1)
    for done in range(pages):
        progress("render", done, pages)
    progress("write", 0, 1)
    progress("done", 1, 1)


def test_progress_bar_is_drawn_on_a_terminal_when_the_build_is_slow() -> None:
    terminal = Terminal()
    progress = BuildProgress(Console(err=terminal), delay=0.0)  # as if a second had passed
    progress("read", 50, 50)
    progress("render", 10, 50)
    deadline = time.monotonic() + 30
    while "rendering pages:  20%" not in terminal.getvalue() and time.monotonic() < deadline:
        time.sleep(0.05)
    progress("done", 1, 1)
    assert "rendering pages:  20%" in terminal.getvalue()
    assert "10/50" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r")  # the bar is cleared before the summary line
    assert set(progress.timings) == {"read", "render"}


def test_no_progress_bar_for_quick_builds_pipes_or_quiet() -> None:
    quick, piped, quiet = Terminal(), io.StringIO(), Terminal()
    feed(BuildProgress(Console(err=quick), delay=3600.0))
    feed(BuildProgress(Console(err=piped), delay=0.0))
    feed(BuildProgress(Console(err=quiet, quiet=True), delay=0.0))
    assert quick.getvalue() == piped.getvalue() == quiet.getvalue() == ""


def test_diagnostics_are_painted_only_on_a_terminal(monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    problem = Diagnostic("content/a.md", 3, 7, "bad date")
    terminal, pipe = Terminal(), io.StringIO()
    Console(err=terminal).diagnostics([problem])
    Console(err=pipe).diagnostics([problem])
    assert terminal.getvalue() == "content/a.md:3:7: \x1b[1;31merror\x1b[0m: bad date\n"
    assert pipe.getvalue() == "content/a.md:3:7: error: bad date\n"
