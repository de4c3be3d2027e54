"""Write a deterministic synthetic Vietnamese news corpus for benchmarks.

The same seed and size always give the same bytes. Each article is Markdown
with Hugo-compatible YAML front matter (``categories: ["…"]``, ``tags``, a
``date`` with offset), so one folder builds with both cumthidua and Hugo.

    python bench/corpus.py 10000 /tmp/corpus-10k
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from cumthidua.vietnamese import slugify  # noqa: E402

CATEGORIES = [
    "Mặt trận Tổ quốc", "Hoạt động cụm thi đua", "Đoàn thể chính trị - xã hội", "An sinh xã hội",
    "Gương điển hình", "Kinh tế", "Giáo dục", "Y tế", "Văn hóa", "Thể thao", "Pháp luật", "Đời sống",
]  # fmt: skip
_TAG_HEADS = [
    "Hà Nội", "Đà Nẵng", "Huế", "Cần Thơ", "Hải Phòng", "Quảng Ninh", "Nghệ An", "Thanh Hóa", "Bình Định", "Lào Cai",
    "Đại hội", "Thi đua", "Khen thưởng", "Người nghèo", "Khuyến học", "Bầu cử", "Giám sát", "Phản biện",
    "Nông thôn mới", "Chuyển đổi số",
]  # fmt: skip
_TAG_TAILS = ["", " năm 2024", " cơ sở", " khu dân cư", " thanh niên", " phụ nữ", " cựu chiến binh", " công đoàn",
              " nông dân", " học sinh"]  # fmt: skip
TAGS = [head + tail for tail in _TAG_TAILS for head in _TAG_HEADS]  # 200 tags
AUTHORS = ["Minh Anh", "Ngọc Lan", "Quốc Hưng", "Thu Hà", "Đức Thắng", "Phương Thảo", "Hoàng Long", "Bảo Ngọc"]

_SUBJECTS = [
    "Ủy ban MTTQ Việt Nam thành phố", "Hội Liên hiệp Phụ nữ", "Đoàn Thanh niên", "Hội Cựu chiến binh",
    "Liên đoàn Lao động", "Hội Nông dân", "Cụm thi đua số 4", "Ban Công tác Mặt trận khu dân cư",
    "các đoàn thể chính trị - xã hội", "chính quyền địa phương", "người dân trong tổ dân phố",
]  # fmt: skip
_VERBS = [
    "đã tổ chức", "tích cực triển khai", "phối hợp thực hiện", "đẩy mạnh tuyên truyền về", "tổng kết",
    "phát động", "vận động ủng hộ", "giám sát việc thực hiện", "trao tặng", "biểu dương",
]  # fmt: skip
_OBJECTS = [
    "phong trào thi đua yêu nước", "cuộc vận động “Ngày vì người nghèo”", "quỹ khuyến học của phường",
    "chương trình xây dựng nông thôn mới", "các hoạt động an sinh xã hội dịp Tết", "mô hình tự quản ở khu dân cư",
    "công tác phòng, chống thiên tai", "việc lấy ý kiến cử tri nơi cư trú", "nhà Đại đoàn kết cho hộ nghèo",
    "hội nghị giao ban quý III", "ngày hội Đại đoàn kết toàn dân tộc", "học bổng cho học sinh vượt khó",
]  # fmt: skip
_TAILS = [
    "với sự tham gia của hàng trăm đoàn viên, hội viên", "nhằm nâng cao đời sống vật chất và tinh thần của nhân dân",
    "góp phần giữ vững an ninh trật tự ở cơ sở", "trong không khí phấn khởi, đoàn kết",
    "theo đúng kế hoạch đã đề ra từ đầu năm", "và nhận được sự đồng tình, hưởng ứng của đông đảo người dân",
    "tại hội trường trụ sở Ủy ban nhân dân phường", "bảo đảm công khai, minh bạch, đúng đối tượng",
]  # fmt: skip
_HEADLINE_PREFIXES = ["Sôi nổi", "Hiệu quả từ", "Tổng kết", "Triển khai", "Lan tỏa", "Đẩy mạnh", "Ấm áp", "Chung tay"]

ARTICLE_BYTES = 6500
TZ = timezone(timedelta(hours=7))
VERSION = 2  # bump when the same arguments give other bytes (bench/run.py rewrites corpora of older versions)
FIRST_DATE = datetime(2015, 1, 1, 7, 0, tzinfo=TZ)
MINUTES_APART = 47  # 100,000 articles end in 2023: all published (future-dated articles are left out of builds)


def _sentence(rng: random.Random) -> str:
    text = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}, {rng.choice(_TAILS)}."
    return text[0].upper() + text[1:]


def _paragraph(rng: random.Random) -> str:
    sentences = [_sentence(rng) for _ in range(rng.randint(3, 5))]
    if rng.random() < 0.3:
        sentences[1] = f"**{sentences[1]}**"
    return " ".join(sentences)


def _body(rng: random.Random, target: int) -> str:
    parts: list[str] = []
    size = 0
    while size < target:
        roll = rng.random()
        if roll < 0.08 and parts:
            part = "## " + rng.choice(_OBJECTS).capitalize()
        elif roll < 0.14 and parts:
            part = "\n".join(f"- {rng.choice(_OBJECTS).capitalize()}" for _ in range(3))
        else:
            part = _paragraph(rng)
        length = len(part.encode("utf-8")) + 2
        if parts and size + length > target + 200:
            break
        parts.append(part)
        size += length
    return "\n\n".join(parts) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def article_text(number: int, seed: int = 0) -> tuple[str, str]:
    """(relative path, file text) of article ``number``; the same inputs give the same bytes."""
    rng = random.Random(f"{seed}:{number}")
    category = CATEGORIES[rng.randrange(len(CATEGORIES))]
    tags = rng.sample(TAGS, rng.randint(2, 5))
    title = f"{rng.choice(_HEADLINE_PREFIXES)} {rng.choice(_OBJECTS)} ({number})"
    date = FIRST_DATE + timedelta(minutes=MINUTES_APART * number + rng.randrange(MINUTES_APART // 2))
    summary = _sentence(rng)
    front = [
        "---",
        f"title: {_quote(title)}",
        f"date: {date.isoformat()}",
        f"categories: [{_quote(category)}]",
        f"tags: [{', '.join(_quote(t) for t in tags)}]",
        f"author: {_quote(rng.choice(AUTHORS))}",
        f"summary: {_quote(summary)}",
        "---",
        "",
    ]
    head = "\n".join(front)
    body = _body(rng, ARTICLE_BYTES - len(head.encode("utf-8")))
    return f"{slugify(category)}/{number:06d}-{slugify(title)[:60]}.md", head + body


SITE_YAML = """\
title: "Cổng thông tin"
base_url: "https://example.vn/"
language: vi
timezone: Asia/Ho_Chi_Minh
per_page: 20
other_news: 10
"""


def write_corpus(root: Path, count: int, seed: int = 0) -> Path:
    """Write ``count`` articles under ``root/content`` plus ``root/site.yaml``; returns the content folder."""
    content = root / "content"
    content.mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(SITE_YAML, "utf-8")
    for number in range(count):
        relative, text = article_text(number, seed)
        path = content / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return content


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="number of articles")
    parser.add_argument("folder", type=Path, help="site folder to create (content/ and site.yaml)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    write_corpus(args.folder, args.count, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
