"""Unit tests for images.py: image sizes from file headers, and checking ``image:`` fields."""

from __future__ import annotations

import struct
from datetime import datetime
from pathlib import Path

from markupsafe import Markup

from cumthidua.diagnostics import Diagnostics
from cumthidua.images import image_size, resolve_images, static_path
from cumthidua.models import Article
from test_portal import png


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def test_sizes_from_headers():
    assert image_size(png(640, 360)) == (640, 360)
    assert image_size(b"GIF89a" + struct.pack("<HH", 120, 80) + b"\x00" * 8) == (120, 80)
    assert image_size(jpeg(1200, 675)) == (1200, 675)
    vp8x = b"RIFF\x00\x00\x00\x00WEBPVP8X" + b"\x00" * 8 + (799).to_bytes(3, "little") + (449).to_bytes(3, "little")
    assert image_size(vp8x) == (800, 450)
    bits = (300 - 1) | ((200 - 1) << 14)
    vp8l = b"RIFF\x00\x00\x00\x00WEBPVP8L" + b"\x00" * 4 + b"\x2f" + bits.to_bytes(4, "little")
    assert image_size(vp8l) == (300, 200)


def test_unknown_or_cut_files_have_no_size():
    assert image_size(b"<svg xmlns='http://www.w3.org/2000/svg'/>") is None
    assert image_size(jpeg(10, 10)[:8]) is None


def test_static_path_accepts_only_files_below_static():
    assert static_path("static/anh/x.jpg") == "static/anh/x.jpg"
    assert static_path("/static/anh/x.jpg") == "static/anh/x.jpg"
    assert static_path("static/../site.yaml") is None
    assert static_path("content/x.jpg") is None


def article(image: str) -> Article:
    return Article("a.md", "content/a.md", "A", datetime(2020, 7, 1), Markup(""), "", image=image,
                   positions={"image": (5, 8)})  # fmt: skip


def test_resolve_images_records_size_and_reports_missing_files(tmp_path: Path):
    (tmp_path / "anh").mkdir()
    (tmp_path / "anh" / "x.png").write_bytes(png(40, 30))
    found, missing, outside, remote = (
        article("/static/anh/x.png"),
        article("static/y.png"),
        article("../x.png"),
        article("https://example.org/x.jpg"),
    )
    diagnostics = Diagnostics()
    resolve_images([found, missing, outside, remote], [tmp_path], diagnostics)
    assert (found.image, found.image_size) == ("static/anh/x.png", (40, 30))
    assert remote.image_size is None
    assert [d.format() for d in diagnostics.sorted()] == [
        "content/a.md:5:8: error: image '../x.png' must be a file in the static folder (static/...) or an http(s) URL",
        "content/a.md:5:8: error: image 'static/y.png' not found: no file static/y.png",
    ]
