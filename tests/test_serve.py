"""``cumthidua serve`` driven for real: a subprocess on a free port, files changed under it.

Every wait is bounded, so a broken server fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, SiteDir
from test_browser import browser  # noqa: F401  (the shared headless Chromium fixture)

WAIT = 30.0  # seconds: generous for a loaded CI machine; never reached when things work


def wait_for(condition: Callable[[], object], what: str, timeout: float = WAIT) -> object:
    """Poll until ``condition()`` is truthy and return it; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


class Server:
    """``python -m cumthidua serve --port 0`` in a site folder, with its output collected."""

    def __init__(self, site: SiteDir, *args: str):
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cumthidua", "serve", "--port", "0", *args],
            cwd=site.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, lines in ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr)):
            threading.Thread(target=self._collect, args=(stream, lines), daemon=True).start()
        found = wait_for(lambda: re.search(r"Serving (http://\S+) from (.+) \(", self.out), "the server to start")
        self.url, self.output_dir = found.group(1), site.root / found.group(2)  # shown relative to the site

    @staticmethod
    def _collect(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    @property
    def out(self) -> str:
        return "".join(self.stdout)

    @property
    def err(self) -> str:
        return "".join(self.stderr)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def status(self) -> dict:
        return json.loads(self.get("__cumthidua/status")[1])

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=WAIT)
            pytest.fail("serve did not stop on Ctrl-C")


class EventListener:
    """A browser's view of the reload channel: every ``build`` event it receives.

    The stream ends when the server stops (closing it from here would block until the next keep-alive).
    """

    def __init__(self, url: str):
        self.events: list[dict] = []
        self.response = urllib.request.urlopen(url + "__cumthidua/events", timeout=WAIT)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self.response:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("data: "):
                    self.events.append(json.loads(line[len("data: ") :]))
        except (OSError, ValueError):
            return


@pytest.fixture
def serve(site: SiteDir):
    servers: list[Server] = []

    def start(*args: str) -> Server:
        servers.append(Server(site, *args))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def page_title(html: str) -> str:
    heading = BeautifulSoup(html, "html.parser").select_one("h1.article-title")
    return heading.get_text() if heading else ""


def test_serve_rebuilds_on_change_and_signals_open_pages(site: SiteDir, serve) -> None:
    article = site.article("tin-a.md", "Tin A", body="Nội dung đầu tiên.")
    site.article("tin-b.md", "Tin B", date="15/07/2020 - 09:00 AM")
    server = serve()
    status, html = server.get("2020/07/tin-a/")
    assert status == 200 and page_title(html) == "Tin A"
    assert 'src="/__cumthidua/live-reload.js" data-build="1"' in html
    built = (server.output_dir / "2020/07/tin-a/index.html").read_text("utf-8")
    assert "Tin A" in built and "__cumthidua" not in built  # injected when served, never written

    listener = EventListener(server.url)
    wait_for(lambda: listener.events, "the first reload event")
    assert listener.events[0]["build"] == 1 and listener.events[0]["errors"] == []

    article.write_text(article.read_text("utf-8").replace("Nội dung đầu tiên.", "Nội dung đã sửa."), "utf-8")
    wait_for(lambda: "Nội dung đã sửa." in server.get("2020/07/tin-a/")[1], "the changed page")
    wait_for(lambda: any(e["build"] >= 2 for e in listener.events), "a reload signal for the new build")

    site.article("tin-c.md", "Tin C mới", date="16/07/2020 - 10:00 AM")
    wait_for(lambda: server.get("2020/07/tin-c-moi/")[0] == 200, "the new article's page")
    wait_for(lambda: "Tin C mới" in server.get("")[1], "the home page to list it")  # listings follow too


def test_serve_rebuilds_on_template_static_and_config_changes(site: SiteDir, serve) -> None:
    site.article("tin-a.md", "Tin A")
    site.write("site.yaml", "title: Tin cũ\n")
    server = serve()
    site.write("site.yaml", "title: Bản tin mới\n")
    wait_for(lambda: "Bản tin mới" in server.get("")[1], "the new site title")
    site.write("static/ghi-chu.txt", "xin chào")  # static/ did not exist when serve started
    wait_for(lambda: server.get("static/ghi-chu.txt") == (200, "xin chào"), "the new static file")
    site.write(
        "templates/article.html",
        "{% extends 'base.html' %}{% block content %}<p id=mau>{{ article.title }}</p>{% endblock %}",
    )
    wait_for(lambda: "<p id=mau>Tin A</p>" in server.get("2020/07/tin-a/")[1], "the new template")


def test_serve_coalesces_a_burst_of_changes_into_few_rebuilds(site: SiteDir, serve) -> None:
    site.article("tin-a.md", "Tin A")
    server = serve()
    for number in range(30):  # like a git pull: many files at once
        site.article(f"tin-{number:02d}.md", f"Tin số {number}", date="15/07/2020 - 09:00 AM")
    wait_for(lambda: server.get("2020/07/tin-so-29/")[0] == 200, "the last article of the burst")
    wait_for(lambda: server.status()["build"] >= 2 and not server.status()["errors"], "the rebuild")
    assert 2 <= server.status()["build"] < 30


def test_serve_shows_errors_and_keeps_the_last_good_site(site: SiteDir, serve) -> None:
    article = site.article("tin-a.md", "Tin A")
    server = serve()
    listener = EventListener(server.url)
    good = article.read_text("utf-8")
    article.write_text(good.replace("14/07/2020 - 04:29 PM", "ngày mai"), "utf-8")

    errors = wait_for(lambda: server.status()["errors"], "the build error")
    assert re.match(r"content/tin-a\.md:3:7: error: `date`: cannot read date", errors[0])
    wait_for(lambda: "content/tin-a.md:3:7: error:" in server.err, "the error in the terminal")
    wait_for(lambda: any(e["errors"] for e in listener.events), "the error to reach the page's overlay")
    status, html = server.get("2020/07/tin-a/")
    assert status == 200 and page_title(html) == "Tin A"  # the last good page is still served
    assert server.status()["build"] == 1

    article.write_text(good.replace("Tin A", "Tin A đã sửa"), "utf-8")
    wait_for(lambda: not server.status()["errors"], "the error to clear")
    assert server.status()["build"] == 2
    wait_for(lambda: any(e["build"] == 2 and not e["errors"] for e in listener.events), "the clear signal")
    assert page_title(server.get("2020/07/tin-a-da-sua/")[1]) == "Tin A đã sửa"


def test_serve_removes_the_pages_of_deleted_and_renamed_articles(site: SiteDir, serve) -> None:
    site.article("tin-a.md", "Tin A")
    old = site.article("tin-b.md", "Tin B")
    server = serve()
    assert server.get("2020/07/tin-a/")[0] == 200
    (site.content / "tin-a.md").unlink()
    wait_for(lambda: server.get("2020/07/tin-a/")[0] == 404, "the deleted article's page to go")
    status, html = server.get("2020/07/tin-a/")
    assert 'src="/__cumthidua/live-reload.js"' in html  # a 404 page reloads too when the page comes back

    old.write_text(old.read_text("utf-8").replace('"Tin B"', '"Tin B đổi tên"'), "utf-8")
    old.rename(site.content / "tin-b-doi-ten.md")
    wait_for(lambda: server.get("2020/07/tin-b-doi-ten/")[0] == 200, "the renamed article's page")
    wait_for(lambda: server.get("2020/07/tin-b/")[0] == 404, "the old page to go")  # same build, removed last


def test_serve_stops_cleanly_on_ctrl_c_and_never_writes_public(site: SiteDir, serve) -> None:
    site.article("tin-a.md", "Tin A")
    server = serve()
    assert server.output_dir.is_dir()
    EventListener(server.url)  # an open event stream must not keep the server alive
    code = server.stop()
    assert code in (0, 130)
    assert "Traceback" not in server.err
    assert "Stopped." in server.out
    assert server.output_dir == site.root / ".cumthidua" / "serve"  # private, kept for a fast restart
    assert not site.output.exists()  # public/ is only written by `build`


def test_site_under_a_sub_path_is_served_there(site: SiteDir, serve) -> None:
    """A site published at https://example.org/tin-tuc/ is previewed at http://127.0.0.1:PORT/tin-tuc/."""
    site.write("site.yaml", 'base_url: "https://example.org/tin-tuc/"\n')
    site.article("tin-a.md", "Tin A", body="Xem [trang chủ](/).")  # site-absolute, as editors write links
    server = serve()
    assert server.url.endswith("/tin-tuc/")
    status, html = server.get("2020/07/tin-a/")
    assert status == 200 and page_title(html) == "Tin A"
    canonical = BeautifulSoup(html, "html.parser").select_one("link[rel=canonical]")["href"]
    assert canonical == server.url + "2020/07/tin-a/"
    root = server.url.removesuffix("tin-tuc/")
    with urllib.request.urlopen(root, timeout=10) as response:  # the bare host leads to the site
        assert response.url == server.url
    status, html = server.get("khong-co-trang-nay/")
    assert status == 404
    stylesheet = BeautifulSoup(html, "html.parser").select_one("link[rel=stylesheet]")["href"]
    assert stylesheet.startswith("/tin-tuc/")
    with urllib.request.urlopen(root + stylesheet.lstrip("/"), timeout=10) as response:  # the 404 page is styled
        assert response.status == 200


def test_two_servers_on_one_site_do_not_share_a_folder(site: SiteDir, serve) -> None:
    site.article("tin-a.md", "Tin A")
    first, second = serve(), serve()
    assert first.output_dir == site.root / ".cumthidua" / "serve"
    assert second.output_dir != first.output_dir
    assert first.get("2020/07/tin-a/")[0] == second.get("2020/07/tin-a/")[0] == 200
    second.stop()
    assert not second.output_dir.exists()  # the temporary folder of the second one is removed


def test_serve_with_output_builds_there(site: SiteDir, serve) -> None:
    site.article("tin-a.md", "Tin A")
    server = serve("--output", "xem-truoc")
    assert (site.root / "xem-truoc/2020/07/tin-a/index.html").is_file()
    server.stop()
    assert (site.root / "xem-truoc/2020/07/tin-a/index.html").is_file()  # the user's folder is kept


def test_serve_refuses_a_port_in_use(site: SiteDir, serve) -> None:
    site.article("tin-a.md", "Tin A")
    server = serve()
    port = server.url.rsplit(":", 1)[1].strip("/")
    result = site.run("serve", "--port", port)
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


def test_build_py_serve_maps_to_serve() -> None:
    """``python build.py --serve`` from a checkout serves the sample site."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "build.py", "--serve", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    errors: list[str] = []
    threading.Thread(target=Server._collect, args=(process.stdout, lines), daemon=True).start()
    threading.Thread(target=Server._collect, args=(process.stderr, errors), daemon=True).start()
    try:
        found = wait_for(lambda: re.search(r"Serving (http://\S+)", "".join(lines)), "the sample site to be served")
        assert "Built " in "".join(lines), "".join(errors)
        with urllib.request.urlopen(found.group(1), timeout=10) as response:
            assert "Cụm thi đua" in response.read().decode("utf-8")
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=WAIT) in (0, 130)


@pytest.mark.browser
def test_open_page_reloads_and_shows_build_errors_in_chromium(site: SiteDir, serve, browser) -> None:  # noqa: F811
    """The live-reload script in a real browser: reload on change, overlay on error, cleared by the fix."""
    article = site.article("tin-a.md", "Tin A", body="Nội dung đầu tiên.")
    good = article.read_text("utf-8")
    server = serve()
    page = browser.new_page()
    page.goto(server.url + "2020/07/tin-a/")
    assert page.locator("h1.article-title").inner_text() == "Tin A"

    with page.expect_navigation(timeout=WAIT * 1000):  # the page reloads itself
        article.write_text(good.replace("Nội dung đầu tiên.", "Nội dung mới."), "utf-8")
    assert "Nội dung mới." in page.locator(".article-body").inner_text()

    article.write_text(good.replace("14/07/2020 - 04:29 PM", "ngày mai"), "utf-8")
    overlay = page.locator("#cumthidua-errors")
    overlay.wait_for(state="visible", timeout=WAIT * 1000)
    assert "content/tin-a.md:3:7: error: `date`" in overlay.inner_text()
    assert overlay.get_attribute("role") == "alert"

    with page.expect_navigation(timeout=WAIT * 1000):
        article.write_text(good.replace("Nội dung đầu tiên.", "Đã sửa lỗi."), "utf-8")
    assert page.locator("#cumthidua-errors").count() == 0
    assert "Đã sửa lỗi." in page.locator(".article-body").inner_text()
    page.close()


@pytest.mark.browser
def test_many_open_tabs_all_load_and_reload(site: SiteDir, serve, browser) -> None:  # noqa: F811
    """Browsers allow six connections to one server: open pages must not hold one each."""
    article = site.article("tin-a.md", "Tin A")
    server = serve()
    context = browser.new_context()
    tabs = []
    for _ in range(8):
        tab = context.new_page()
        tab.goto(server.url + "2020/07/tin-a/", timeout=WAIT * 1000)
        tabs.append(tab)
    article.write_text(article.read_text("utf-8").replace("Nội dung.", "Nội dung mới."), "utf-8")
    for tab in tabs:
        tab.locator(".article-body", has_text="Nội dung mới.").wait_for(timeout=WAIT * 1000)
    context.close()
