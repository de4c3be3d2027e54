"""YAML mappings with positions: hostile input is an error at its place, never a crash."""

from __future__ import annotations

from conftest import SiteDir
from cumthidua.diagnostics import Diagnostics
from cumthidua.yamldoc import MAX_DEPTH, load_mapping


def test_positions_count_the_lines_before_the_text() -> None:
    fields = load_mapping("title: x\ndate: 2020-07-14\n", "a.md", Diagnostics(), line_offset=1)
    assert (fields["date"].line, fields["date"].col) == (3, 7)


def test_deeply_nested_lists_are_an_error_not_a_crash() -> None:
    # 50,000 levels segfault libyaml's composer; 5,000 overflow PyYAML's constructor.
    for depth in (MAX_DEPTH + 1, 5_000, 50_000):
        diagnostics = Diagnostics()
        text = "title: x\nx: " + "[" * depth + "]" * depth + "\n"
        assert load_mapping(text, "a.md", diagnostics, line_offset=1) is None
        [error] = diagnostics.errors
        assert (error.line, error.col) == (3, 3 + MAX_DEPTH)  # the article itself is the first level
        assert "nested more than" in error.message


def test_deep_block_mappings_are_an_error_too() -> None:
    diagnostics = Diagnostics()
    text = "x:\n" + "".join(" " * level + "a:\n" for level in range(1, 3_000))
    assert load_mapping(text, "a.yaml", diagnostics) is None
    assert "nested more than" in diagnostics.errors[0].message


def test_ordinary_nesting_and_many_colons_load() -> None:
    diagnostics = Diagnostics()
    text = "summary: '" + "giờ: 10:30 - " * 200 + "'\nx: " + "[" * 20 + "]" * 20 + "\n"
    fields = load_mapping(text, "a.yaml", diagnostics)
    assert not diagnostics.errors
    assert fields is not None and "x" in fields


def test_impossible_timestamps_are_kept_as_written_for_the_field_check() -> None:
    diagnostics = Diagnostics()
    text = "date: 2020-07-14T24:00:00\nupdated: !!timestamp nope\nn: !!int abc\nlist: [2021-02-29]\nok: 1\n"
    fields = load_mapping(text, "a.md", diagnostics, line_offset=1)
    assert fields is not None
    assert (fields["date"].value, fields["updated"].value, fields["n"].value) == (
        "2020-07-14T24:00:00",
        "nope",
        "abc",
    )
    [error] = diagnostics.errors
    assert (error.line, error.col) == (5, 7) and "`list` holds an impossible value" in error.message


def test_an_impossible_date_is_one_error_at_the_date(site: SiteDir) -> None:
    site.article("a.md", "Bài A", "2020-01-01")
    site.write("content/b.md", "---\ntitle: B\ndate: 2021-02-29\n---\nx\n")
    errors = site.build_errors()
    assert len(errors) == 1 and errors[0].startswith(
        "content/b.md:3:7: error: `date`: date '2021-02-29' does not exist"
    )
