"""Featured images: check that a local ``image:`` exists and read its size.

``image:`` is either an ``http(s)://`` URL (not checked) or a path below the
site's ``static/`` folder, written ``static/anh/x.jpg`` or ``/static/anh/x.jpg``;
static files are published as they are, so the page can point at it. Width
and height come from the file's header (PNG, JPEG, GIF, WebP) so browsers
reserve the space before the image arrives.
"""

from __future__ import annotations

import struct
from pathlib import Path

from .diagnostics import Diagnostics
from .models import Article

STATIC = "static/"


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the first bytes of a PNG, GIF, JPEG or WebP file."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", data[6:10])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the JPEG segments to the first start-of-frame marker."""
    position = 2
    while position + 9 < len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        position += 2 + length
    return None


def is_remote(image: str) -> bool:
    return image.startswith(("http://", "https://"))


def static_path(image: str) -> str | None:
    """The site-relative path of a local image, or None when it is not under static/."""
    path = image.lstrip("/")
    parts = path.split("/")
    if not path.startswith(STATIC) or any(part in ("", ".", "..") for part in parts[1:]) or "\\" in path:
        return None
    return path


def resolve_images(articles: list[Article], static_dirs: list[Path], diagnostics: Diagnostics) -> None:
    """Point each local ``image:`` at its published path and record its size; a missing file is an error."""
    for article in articles:
        if not article.image or is_remote(article.image):
            continue
        line, col = article.position("image")
        path = static_path(article.image)
        if path is None:
            message = f"image {article.image!r} must be a file in the static folder (static/...) or an http(s) URL"
            diagnostics.error(article.source_path, line, col, message)
            continue
        found = next((d / path[len(STATIC) :] for d in static_dirs if (d / path[len(STATIC) :]).is_file()), None)
        if found is None:
            diagnostics.error(article.source_path, line, col, f"image {article.image!r} not found: no file {path}")
            continue
        with found.open("rb") as file:
            article.image_size = image_size(file.read(64 * 1024))
        article.image = path
