"""The sample site served under a sub-path, in headless Chromium: assets, 404 at any depth, alias redirects.

The server behaves like a real one configured with ``error_page 404 /tin-tuc/404.html``:
any missing URL gets the 404 page's bytes with status 404.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT
from test_browser import browser  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.browser
PREFIX = "/tin-tuc/"


class _SubPathHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / PREFIX.strip("/") / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The sample site built for https://example.org/tin-tuc/ and served at http://127.0.0.1:PORT/tin-tuc/."""
    www = tmp_path_factory.mktemp("www")
    out = www / PREFIX.strip("/")
    command = [sys.executable, "build.py", "--output", str(out), "--base-url", "https://example.org/tin-tuc/"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_SubPathHandler, directory=str(www)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield out, f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    server.shutdown()
    server.server_close()
    shutil.rmtree(www, ignore_errors=True)


def open_page(browser, url: str):  # noqa: F811
    page = browser.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on(
        "response",
        lambda response: failed.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    response = page.goto(url)
    page.wait_for_load_state("load")
    return page, response, failed


def test_listing_under_sub_path_loads_every_asset_and_image(served, browser):  # noqa: F811
    out, base = served
    page, response, failed = open_page(browser, base + "chuyen-muc/mat-tran-to-quoc/")
    assert response.status == 200 and failed == []
    image = page.locator(".article-item img").first
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert image.get_attribute("loading") == "lazy"
    border = page.evaluate("getComputedStyle(document.querySelector('.site-header')).borderTopWidth")
    assert border == "5px"  # the stylesheet applied
    page.close()


@pytest.mark.parametrize("missing", ["khong-co/", "2020/07/bai-da-xoa/", "a/b/c/d/e.html"])
def test_404_page_works_at_any_depth(served, browser, missing):  # noqa: F811
    out, base = served
    page, response, failed = open_page(browser, base + missing)
    assert response.status == 404
    assert failed == [f"404 {base}{missing}"]  # only the page itself; its stylesheet and icon load
    assert page.locator("h1").inner_text().casefold() == "không tìm thấy trang"
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).borderTopWidth") == "5px"
    page.get_by_role("link", name="Về trang chủ").click()
    page.wait_for_load_state("load")
    assert page.url == base
    page.close()


def test_alias_redirects_in_the_browser(served, browser):  # noqa: F811
    out, base = served
    page, response, failed = open_page(browser, base + "ngay-hoi-dai-doan-ket-toan-dan-toc-2020.html")
    page.wait_for_url("**/2020/11/**")
    assert page.url.startswith(base + "2020/11/ngay-hoi-dai-doan-ket-toan-dan-toc-nam-2020")
    assert "Ngày hội Đại đoàn kết" in page.locator("h1").inner_text()
    page.close()
