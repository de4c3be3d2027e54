"""Hostile content, generated: whatever editors (or attackers) put in content/, a build never crashes.

Each example writes a few random article files (odd Unicode, random front-matter shapes and
types, slugs and aliases that try to climb out, Markdown with scripts and ``javascript:``
links, dates in every form and none) into a fresh site and builds it through the Python API.
The build must either succeed or report diagnostics, each ``path:line:col: error: …`` at a
content file; it must write nothing outside its output folder, keep content scripts out of
the pages while ``markdown.html`` is off, give ASCII output paths only and well-formed feeds.
"""

from __future__ import annotations

import os
import re
import tempfile
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from pathlib import Path

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cumthidua.build import BuildRequest, build
from cumthidua.cache import CACHE_DIR

NOW = datetime(2024, 1, 1, tzinfo=UTC)
EXAMPLES = int(os.environ.get("CUMTHIDUA_FUZZ_EXAMPLES", "40"))  # bounded for CI; raise it to hunt locally
DIAGNOSTIC = re.compile(r"^(?P<path>.+):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): (?:error|warning): \S")

# Letters a Vietnamese newsroom types, decomposed (NFD) marks, right-to-left text, control characters, NUL.
ODD_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("aăâbcdđeêghiklmnoôơpqrstuưvxyÀÁẢÃẠĐƯỜNGHàNộiđường "),
        st.sampled_from("\u0300\u0301\u0303\u0309\u0323\u0306\u0302\u031b"),  # combining tone and vowel marks
        st.sampled_from("\u202e\u200f\u05d0\u0627\ufeff\u200b"),  # RTL override, Hebrew, Arabic, BOM, ZWSP
        st.sampled_from("\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u2028"),
        st.sampled_from("<>&\"'`/\\.:#[]{}|*_-!%?=\n\t"),
        st.characters(),
    ),
    max_size=40,
)
SCALAR = st.one_of(
    ODD_TEXT, st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(), st.dates(), st.datetimes()
)
VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ODD_TEXT, inner, max_size=3))
DATES = st.one_of(
    st.sampled_from(["2020-07-14", "2020-07-14T16:29:00+07:00", "2020-07-14T16:29:00", "2020-07-14T09:29:00Z"]),
    st.builds("{:02d}/{:02d}/{:04d}".format, st.integers(0, 40), st.integers(0, 14), st.integers(1, 9999)),
    st.builds("14/07/2020 {:02d}:{:02d}".format, st.integers(0, 30), st.integers(0, 70)),
    st.builds(
        "14/07/2020 - {:02d}:{:02d} {}".format,
        st.integers(0, 15),
        st.integers(0, 61),
        st.sampled_from(["AM", "PM", "pm", "CH", "XX"]),
    ),
    st.datetimes(timezones=st.sampled_from([None, UTC])),
    st.just("2999-01-01"),  # in the future
    VALUE,
)
PATHS = st.one_of(
    st.sampled_from(
        ["../../x", "..", "../", "/etc/passwd", "a/../../b", "..\\..\\x", "\\\\server\\x", "C:\\x", "%2e%2e/x"]
    ),
    st.sampled_from(["x/./y", "a//b", "ĐƯỜNG/đi", "index.html", "404.html", "static/style.css", "tu-khoa/", "/", ""]),
    ODD_TEXT,
)
# Paths an editor might really type, each segment possibly odd.
PATH_LIKE = st.lists(
    st.one_of(st.sampled_from(["2019", "05", "bai-cu", "tin-cũ", "a b", "x.html", "index.php?id=5"]), ODD_TEXT),
    min_size=1,
    max_size=3,
).map("/".join)
# Unquoted values as an editor types them: YAML reads some as timestamps, numbers or tagged values.
RAW_LINE = st.tuples(
    st.sampled_from(["date", "updated", "draft", "tags", "nguon", "slug"]),
    st.one_of(
        st.builds("{:04d}-{:02d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)),
        st.builds("2020-07-14T{:02d}:{:02d}:{:02d}".format, st.integers(0, 25), st.integers(0, 61), st.integers(0, 61)),
        st.sampled_from(["!!int abc", "!!float x", "!!binary ***", "!!timestamp nope", "!!python/object:os.system ls"]),
        st.sampled_from(["&a [*a]", "*undefined", "!!set {a, b}", "!!omap [a: 1]", "0x_", "1e999", ".nan", "~", "no"]),
        ODD_TEXT.map(lambda text: text.replace("\n", " ")),
    ),
)
BODY_PARTS = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "[a](javascript:alert(1))",
        "[b](JaVaScRiPt:alert(1))",
        "<javascript:alert(1)>",
        "![c](javascript:alert(1))",
        "[d](/2020/07/khong-co/)",
        "[e](../../../etc/passwd)",
        '<a href="javascript:alert(1)">f</a>',
        "<!-- <script>x</script> -->",
        "```html\n<script>y</script>\n```",
        "| a | b |\n|---|---|\n| 1 | ~~2~~ |",
        "> " * 30 + "deep quote",
        "[" * 50 + "x",
        "Đoạn văn bình thường về Hà Nội.",
    ]
)
BODY = st.lists(st.one_of(BODY_PARTS, ODD_TEXT), max_size=5).map("\n\n".join)
FIELD_NAMES = st.sampled_from(
    ["title", "date", "category", "categories", "tags", "author", "summary", "image", "slug", "draft", "updated"]
    + ["aliases", "body", "url", "__class__", "extra", "source", "nguon", "title ", "Title"]
)


@st.composite
def front_matter(draw: st.DrawFn) -> dict:
    """Mostly plausible articles (title and date present) with hostile values, sometimes anything at all."""
    fields: dict = {}
    if draw(st.integers(0, 7)) > 0:
        fields["title"] = draw(st.one_of(ODD_TEXT, st.sampled_from(["Thông báo", "Hà Nội", "Ha Noi", "HÀ NỘI"])))
        fields["date"] = draw(st.one_of(st.just("2020-07-14"), DATES))
    for name in draw(st.lists(FIELD_NAMES, max_size=5)):
        if name in ("slug", "image"):
            fields[name] = draw(st.one_of(PATHS, VALUE))
        elif name == "aliases":
            fields[name] = draw(st.one_of(st.lists(st.one_of(PATHS, PATH_LIKE), max_size=3), PATHS, VALUE))
        elif name in ("date", "updated"):
            fields[name] = draw(DATES)
        elif name in ("tags", "categories"):
            fields[name] = draw(st.one_of(st.lists(ODD_TEXT, max_size=4), VALUE))
        else:
            fields[name] = draw(VALUE)
    return fields


@st.composite
def article_file(draw: st.DrawFn) -> tuple[str, bytes]:
    """(path below content/, bytes) of one article, Markdown or YAML, in some encoding."""
    folder = draw(st.sampled_from(["", "a/", "a/b/c/", "Thời sự/", ".an/", "_nhap/"]))
    stem = draw(st.text(alphabet="abcđư-_. ", min_size=1, max_size=8))
    is_yaml = draw(st.booleans())
    fields = draw(front_matter())
    body = draw(BODY)
    try:
        dumped = yaml.safe_dump(fields, allow_unicode=draw(st.booleans()), sort_keys=False)
    except yaml.YAMLError:
        dumped = "title: x\n"
    dumped += "".join(f"{name}: {value}\n" for name, value in draw(st.lists(RAW_LINE, max_size=2)))
    dumped = draw(
        st.sampled_from([dumped] * 6 + [dumped.replace(": ", ":", 1), "- " + dumped, dumped[: len(dumped) // 2]])
    )
    if is_yaml:
        text = dumped if "body" in fields else dumped + "body: " + yaml.safe_dump(body).split("\n...")[0]
        name = f"{folder}{stem}.{draw(st.sampled_from(['yaml', 'yml']))}"
    else:
        text = draw(
            st.sampled_from(
                ["---\n{0}---\n{1}\n"] * 6 + ["---\n{0}...\n{1}", "{0}\n{1}", "---\n{0}", "\n---\n{0}---\n{1}"]
            )
        )
        text = text.format(dumped, body)
        name = f"{folder}{stem}.{draw(st.sampled_from(['md', 'markdown']))}"
    encoding = draw(st.sampled_from(["utf-8"] * 4 + ["utf-8-sig", "crlf", "nfd"] * 2 + ["latin-1", "utf-16"]))
    if encoding == "crlf":
        data = text.replace("\n", "\r\n").encode("utf-8", "surrogatepass")
    elif encoding == "nfd":
        import unicodedata

        data = unicodedata.normalize("NFD", text).encode("utf-8", "surrogatepass")
    else:
        data = text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")
    return name, data


def snapshot(root: Path, output: Path) -> dict[str, bytes]:
    """Every file of the site folder except the output folder and the tool's own (cache, lock)."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_relative_to(output) and not path.is_relative_to(root / CACHE_DIR.parent)
    }


def _outside_scripts(html: str) -> list[str]:
    """``<script`` tags other than the page's own JSON-LD and the search page's ``static/search.js``."""
    own = re.compile(r'<script src="(\.\./)*static/search\.js">')
    tags = re.findall(r"<script\b[^>]*>", html, re.IGNORECASE)
    return [tag for tag in tags if "application/ld+json" not in tag and not own.fullmatch(tag)]


@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(files=st.lists(article_file(), min_size=1, max_size=3), html=st.booleans(), cache=st.booleans())
def test_hostile_content_never_crashes_a_build_nor_escapes_the_output(
    files: list[tuple[str, bytes]], html: bool, cache: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "site"
        content, output = root / "content", root / "public"
        content.mkdir(parents=True)
        (root / "site.yaml").write_text(f"title: Tin\nmarkdown: {{html: {str(html).lower()}}}\n", "utf-8")
        for name, data in files:
            path = content / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        before = snapshot(root, output)

        result = build(BuildRequest(content, output, now=NOW, cache=cache, jobs=1))

        assert snapshot(root, output) == before
        for diagnostic in result.diagnostics.items:
            text = diagnostic.format()
            assert DIAGNOSTIC.match(text), text
            where = Path(diagnostic.path)
            where = where if where.is_absolute() else Path.cwd() / where
            assert where.resolve().is_relative_to(content.resolve()) and where.is_file(), text
        event("built" if result.ok else "refused")
        if not result.ok:
            assert not output.exists()
            return
        written = [path.relative_to(output).as_posix() for path in output.rglob("*")]
        assert all(name.isascii() for name in written), [name for name in written if not name.isascii()]
        for path in output.rglob("*.xml"):  # feeds and sitemap stay well-formed whatever the text holds
            ElementTree.fromstring(path.read_bytes())
        if not html:
            for path in output.rglob("*.html"):
                assert not _outside_scripts(path.read_text("utf-8")), path
