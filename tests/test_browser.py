"""The sample site as a reader sees it: headless Chromium at desktop and phone widths."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None


def _require_browser() -> None:
    missing = sync_playwright is None or not Path(CHROMIUM).exists()
    if missing:
        if os.environ.get("CUMTHIDUA_REQUIRE_BROWSER"):
            pytest.fail("Chromium or playwright missing, but CUMTHIDUA_REQUIRE_BROWSER is set")
        pytest.skip("needs /usr/bin/chromium and playwright")


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample") / "public"
    command = [sys.executable, "build.py", "--output", str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield out, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def sample_article_path(out: Path) -> str:
    page = next(p for p in (out / "2020/07").rglob("index.html") if "cum-thi-dua-so-4" in str(p))
    return page.parent.relative_to(out).as_posix() + "/"


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_pages_look_right_in_chromium(sample_site, browser, width, height, tmp_path):
    out, base = sample_site
    page = browser.new_page(viewport={"width": width, "height": height})
    failures: list[str] = []
    page.on("requestfailed", lambda request: failures.append(request.url))
    page.on("response", lambda response: response.status >= 400 and failures.append(response.url))
    page.on("request", lambda request: not request.url.startswith(base) and failures.append(request.url))
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    for path in ["", "page/2/", "chuyen-muc/hoat-dong-cum-thi-dua/", sample_article_path(out)]:
        page.goto(base + path)
        page.screenshot(path=str(tmp_path / f"{path.replace('/', '_') or 'home'}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{path} scrolls sideways"
        assert page.locator("h1").first.is_visible()
        nav_links = page.locator("nav a")
        assert nav_links.count() >= 5
        # The stylesheet applied: the body font is not the browser's default serif at 16px.
        assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).display") != "inline"

    title = page.locator("h1").first
    assert "Cụm thi đua số 4 MTTQ" in title.inner_text()
    box = title.bounding_box()
    assert box["y"] < height, "the article title is above the fold"
    assert page.get_by_text("14/07/2020 - 04:29 PM").first.is_visible()
    assert page.get_by_text("Ban Tổ chức").first.is_visible()
    other = page.get_by_role("heading", name="Các tin tức khác")
    other.scroll_into_view_if_needed()
    assert other.is_visible()
    assert failures == [] and errors == []
    page.close()


def test_keyboard_user_can_skip_to_content(sample_site, browser):
    _, base = sample_site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Chuyển đến nội dung chính" in focused
    assert (
        page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
        or page.evaluate("getComputedStyle(document.activeElement).boxShadow") != "none"
    )
    page.close()
