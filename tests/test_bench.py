"""The benchmark's own parts on a tiny corpus: no time is asserted, only that it runs and is deterministic."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402
import run  # noqa: E402


def test_corpus_is_deterministic_and_hugo_shaped(tmp_path: Path) -> None:
    first = corpus.write_corpus(tmp_path / "a", 30)
    second = corpus.write_corpus(tmp_path / "b", 30)
    files = sorted(p.relative_to(first).as_posix() for p in first.rglob("*.md"))
    assert files == sorted(p.relative_to(second).as_posix() for p in second.rglob("*.md"))
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)
    text = (first / files[0]).read_text("utf-8")
    front = yaml.safe_load(text.split("---")[1])
    assert isinstance(front["categories"], list) and front["categories"][0] in corpus.CATEGORIES
    assert front["date"].utcoffset() is not None  # a date with offset, as Hugo reads it
    sizes = [len((first / f).read_bytes()) for f in files]
    assert 5500 < sum(sizes) / len(sizes) < 7500
    assert len(corpus.TAGS) == 200 and len(corpus.CATEGORIES) == 12


def test_every_article_of_the_biggest_corpus_is_already_published() -> None:
    """Future-dated articles are left out of builds: a 100,000-article corpus must not stretch past today."""
    _, text = corpus.article_text(99_999)
    newest = yaml.safe_load(text.split("---")[1])["date"]
    assert newest.year <= 2024


def test_benchmark_runs_on_a_small_corpus(tmp_path: Path, capsys) -> None:
    run.main(["--sizes", "40", "--repeats", "1", "--work", str(tmp_path), "--no-hugo", "--jobs", "2"])
    table = capsys.readouterr().out
    for figure in [*run.FIGURES, "output files", "output bytes"]:
        assert f"| {figure} |" in table
