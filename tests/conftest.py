"""Shared fixtures: mini-sites built from a dict in a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SiteDir:
    """A site folder in tmp: ``content/``, optional ``site.yaml``, output ``public/``."""

    root: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def output(self) -> Path:
        return self.root / "public"

    def write(self, relative: str, text: str | bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def article(
        self, name: str, title: str, date: str = "14/07/2020 - 04:29 PM", body: str = "Nội dung.", **fields
    ) -> Path:
        """Write content/<name> as Markdown with front matter built from keyword fields."""
        lines = ["---", f"title: {yaml_quote(title)}", f"date: {yaml_quote(date)}"]
        for key, value in fields.items():
            if isinstance(value, list):
                lines.append(f"{key}: [{', '.join(yaml_quote(v) for v in value)}]")
            elif isinstance(value, bool):
                lines.append(f"{key}: {'true' if value else 'false'}")
            else:
                lines.append(f"{key}: {yaml_quote(str(value))}")
        lines += ["---", body, ""]
        return self.write(f"content/{name}", "\n".join(lines))

    def run(self, *args: str, check: bool | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``python -m cumthidua ARGS`` in the site folder, as a user would."""
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
        result = subprocess.run(
            [sys.executable, "-m", "cumthidua", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check is True:
            assert result.returncode == 0, result.stderr
        return result

    def build_errors(self, *args: str) -> list[str]:
        """Build, expect content errors (exit 1, no traceback) and return the ``error:`` lines."""
        result = self.run("build", *args)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        return [line for line in result.stderr.splitlines() if ": error: " in line]

    def build(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Build and assert success."""
        return self.run("build", *args, check=True)

    def page(self, url_path: str) -> BeautifulSoup:
        """Parse the output page for a site-relative URL path such as ``2020/07/x/``."""
        path = self.output / url_path
        if url_path == "" or url_path.endswith("/"):
            path = path / "index.html"
        return BeautifulSoup(path.read_text("utf-8"), "html.parser")

    def files(self) -> dict[str, bytes]:
        """Every output file (except the manifest) and its bytes."""
        return {
            p.relative_to(self.output).as_posix(): p.read_bytes()
            for p in sorted(self.output.rglob("*"))
            if p.is_file() and not p.name.startswith(".cumthidua")
        }


def yaml_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture
def site(tmp_path: Path) -> SiteDir:
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    return SiteDir(root)
