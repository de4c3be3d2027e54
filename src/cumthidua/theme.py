"""Where the default theme and the UI strings live, installed or in a checkout."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent


def default_theme_dir() -> Path:
    """The default theme: bundled in the wheel, or the checkout's top folder."""
    bundled = PACKAGE_DIR / "theme"
    if (bundled / "templates").is_dir():
        return bundled
    return PACKAGE_DIR.parent.parent


def ui_languages() -> list[str]:
    """The languages with a UI strings file (``vi``, ``en``)."""
    return sorted(path.stem for path in (PACKAGE_DIR / "locales").glob("*.yaml"))


@lru_cache(maxsize=8)
def ui_strings(language: str) -> dict[str, str]:
    """UI strings for a language, falling back to Vietnamese for missing keys."""
    locales = PACKAGE_DIR / "locales"
    strings = yaml.safe_load((locales / "vi.yaml").read_text("utf-8"))
    primary = language.split("-")[0]
    path = locales / f"{primary}.yaml"
    if primary != "vi" and path.is_file():
        strings.update(yaml.safe_load(path.read_text("utf-8")) or {})
    return {str(key): str(value) for key, value in strings.items()}
