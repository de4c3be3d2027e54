"""``cumthidua serve``: build, serve on 127.0.0.1, rebuild on change, reload the browser.

The site is built into a private folder (``.cumthidua/serve/`` unless
``--output`` is given), never into ``public/``, and served under the same
path as when published (``/tin-tuc/`` for ``https://example.org/tin-tuc/``).
A failed rebuild leaves that folder as it was (the output writer only
switches on success), so the last good site
keeps being served while the errors show in the terminal and, through the
live-reload script, on top of every open page. The script is added to HTML
responses as they are sent; built files never contain it.
"""

from __future__ import annotations

import errno
import json
import signal
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from html import escape
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .build import BuildRequest, BuildResult, build
from .config import load_config
from .console import Console, build_summary, error_count
from .diagnostics import Diagnostics, UsageError, display_path
from .urls import base_path
from .watch import SiteWatcher
from .workdir import private_output

PREFIX = "/__cumthidua/"
EVENTS_PATH = PREFIX + "events"
STATUS_PATH = PREFIX + "status"
SCRIPT_PATH = PREFIX + "live-reload.js"
SCRIPT_FILE = Path(__file__).resolve().parent / "live-reload.js"
KEEPALIVE = 15.0  # seconds between comments that keep an idle event stream open


class LiveState:
    """The last build as the browser sees it: a build number and the current errors.

    ``build`` counts successful builds; ``version`` changes on every build,
    good or bad, so event streams know when to speak.
    """

    def __init__(self) -> None:
        self.build = 0
        self.errors: list[str] = []
        self.version = 0
        self.stopped = False
        self._condition = threading.Condition()

    def snapshot(self) -> dict[str, Any]:
        with self._condition:
            return {"build": self.build, "errors": list(self.errors), "version": self.version}

    def succeeded(self) -> None:
        with self._condition:
            self.build += 1
            self.errors = []
            self.version += 1
            self._condition.notify_all()

    def failed(self, errors: list[str]) -> None:
        with self._condition:
            self.errors = errors
            self.version += 1
            self._condition.notify_all()

    def stop(self) -> None:
        with self._condition:
            self.stopped = True
            self._condition.notify_all()

    def wait_for_change(self, seen: int, timeout: float) -> dict[str, Any] | None:
        """The state once its version differs from ``seen``; None on timeout or stop."""
        with self._condition:
            self._condition.wait_for(lambda: self.version != seen or self.stopped, timeout)
            if self.stopped or self.version == seen:
                return None
            return {"build": self.build, "errors": list(self.errors), "version": self.version}


def inject_script(html: bytes, build_number: int) -> bytes:
    """Add the live-reload script before ``</body>`` (or at the end)."""
    tag = f'<script src="{SCRIPT_PATH}" data-build="{build_number}"></script>\n'.encode()
    index = html.lower().rfind(b"</body>")
    return html + tag if index < 0 else html[:index] + tag + html[index:]


def not_found_page(path: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8"><title>404</title></head>\n'
        f"<body><h1>404</h1><p>Không có trang <code>{escape(path)}</code> (not found).</p></body></html>\n"
    ).encode()


class LiveHandler(SimpleHTTPRequestHandler):
    """Static files from the output folder, plus the live-reload endpoints."""

    server: LiveServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = urlsplit(self.path).path
        prefix = self.server.prefix
        if path == EVENTS_PATH:
            self.send_events()
        elif path == STATUS_PATH:
            self.send_bytes(json.dumps(self.server.state.snapshot()).encode(), "application/json")
        elif path == SCRIPT_PATH:
            self.send_bytes(SCRIPT_FILE.read_bytes(), "text/javascript; charset=utf-8")
        elif prefix != "/" and (path == "/" or path + "/" == prefix):
            self.redirect(prefix)
        elif not path.startswith(prefix):
            self.send_not_found(path)
        elif not self.send_html(path):
            super().do_GET()

    def translate_path(self, path: str) -> str:
        """Map the site's base path (``/tin-tuc/`` when it lives there) onto the output folder."""
        path = urlsplit(path).path
        prefix = self.server.prefix
        return super().translate_path("/" + path[len(prefix) :] if path.startswith(prefix) else path)

    def redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_bytes(self, content: bytes, content_type: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def send_html(self, path: str) -> bool:
        """Send an HTML page (or the 404 page) with the script; False for anything else."""
        build_number = self.server.state.snapshot()["build"]  # before reading: never miss a reload
        file = Path(self.translate_path(self.path))
        if file.is_dir():
            if not path.endswith("/"):
                return False  # the base class redirects to the folder's URL
            file = file / "index.html"
        if file.is_file():
            if file.suffix.lower() not in (".html", ".htm"):
                return False
            self.send_bytes(inject_script(file.read_bytes(), build_number), "text/html; charset=utf-8")
            return True
        self.send_not_found(path, build_number)
        return True

    def send_not_found(self, path: str, build_number: int | None = None) -> None:
        """The site's 404 page (or a plain one), with the script: it reloads when the page appears."""
        if build_number is None:
            build_number = self.server.state.snapshot()["build"]
        custom = Path(self.directory) / "404.html"
        page = custom.read_bytes() if custom.is_file() else not_found_page(path)
        self.send_bytes(inject_script(page, build_number), "text/html; charset=utf-8", HTTPStatus.NOT_FOUND)

    def send_events(self) -> None:
        """Server-sent events: the state now, then each time a build finishes (for tools; pages poll)."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        state = self.server.state
        seen = -1
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while not state.stopped:
                snapshot = state.snapshot() if seen == -1 else state.wait_for_change(seen, KEEPALIVE)
                if snapshot is None:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    seen = snapshot["version"]
                    self.wfile.write(f"event: build\ndata: {json.dumps(snapshot)}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            return

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # an editor wants the newest page, always
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        self.server.console.detail(f"{self.address_string()} {format % args}")


class LiveServer(ThreadingHTTPServer):
    daemon_threads = True  # open event streams must not keep the process alive
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], output_dir: Path, state: LiveState, console: Console):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        self.console = console
        self.prefix = "/"  # the site's base path, set once the config is known
        super().__init__(address, partial(LiveHandler, directory=str(output_dir)))


def open_server(host: str, port: int, output_dir: Path, state: LiveState, console: Console) -> LiveServer:
    try:
        return LiveServer((host, port), output_dir, state, console)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is already in use; choose another with --port") from None
        raise UsageError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


class Rebuilder:
    """Runs one build at a time and tells the terminal and the browsers how it went."""

    def __init__(self, request: BuildRequest, state: LiveState, console: Console):
        self.request = request
        self.state = state
        self.console = console

    def run(self, changed: set[Path] | None = None) -> None:
        if changed:
            names = sorted(display_path(p) for p in changed if not p.is_dir()) or ["a folder"]
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            self.console.info(f"Changed: {shown}")
        try:
            progress = self.console.progress()
            result = build(self.request, progress)
            progress.report_timings()
        except UsageError as exc:
            self.fail([f"cumthidua: error: {exc}"])
            return
        except Exception:  # a bug must not stop the server: show it and keep serving
            self.fail(["cumthidua: internal error while building:", *traceback.format_exc().splitlines()])
            return
        self.report(result)

    def report(self, result: BuildResult) -> None:
        if result.ok:
            self.console.diagnostics(result.diagnostics.sorted())  # warnings
            self.console.info(build_summary(result))
            self.state.succeeded()
            return
        self.console.diagnostics(result.diagnostics.sorted())
        self.console.error(f"cumthidua: {error_count(result.diagnostics)}; still serving the last good site")
        self.state.failed([d.format() for d in result.diagnostics.sorted()])

    def fail(self, lines: list[str]) -> None:
        for line in lines:
            self.console.error(line)
        self.state.failed(lines)


@contextmanager
def output_folder(request: BuildRequest, explicit: bool) -> Iterator[Path]:
    """The folder to build into: the one given, or the site's private ``.cumthidua/serve/``."""
    if explicit:
        yield request.output_dir
        return
    with private_output(request.site_root, "serve") as folder:
        yield folder


def _stop_on_sigterm() -> None:
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def site_path(request: BuildRequest) -> str:
    """The path the site lives under (``/tin-tuc/``); served there too, so every link works as published."""
    base_url = request.base_url or load_config(request.config_file, Diagnostics()).base_url
    return base_path(base_url)


def serve(request: BuildRequest, host: str, port: int, console: Console, output_given: bool = False) -> int:
    """Serve until Ctrl-C; returns the exit status (0 for a clean stop)."""
    state = LiveState()
    with output_folder(request, output_given) as output_dir:
        server = open_server(host, port, output_dir, state, console)
        address = f"[{host}]" if ":" in host else host
        server.prefix = site_path(request)
        url = f"http://{address}:{server.server_address[1]}{server.prefix}"
        request = replace(request, output_dir=output_dir, base_url=url)
        rebuilder = Rebuilder(request, state, console)
        thread = threading.Thread(target=server.serve_forever, name="cumthidua-http", daemon=True)
        watcher = None
        try:
            rebuilder.run()
            thread.start()
            root = request.site_root
            watcher = SiteWatcher(
                root,
                [request.content_dir, root / "templates", root / "static"],
                [request.config_file],
                rebuilder.run,
                ignore=[output_dir],
            )
            watcher.start()
            console.info(f"Serving {url} from {display_path(output_dir)} (Ctrl-C to stop)")
            _stop_on_sigterm()
            while True:
                time.sleep(0.5)  # Ctrl-C lands here
        except KeyboardInterrupt:
            pass
        finally:
            if watcher is not None:
                watcher.stop()
            state.stop()
            if thread.is_alive():
                server.shutdown()
            server.server_close()
    console.info("Stopped.")
    return 0
