"""Finding and reading content files: whatever their names and bytes, an error at the file, not a crash."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import SiteDir
from cumthidua.source import content_files


def test_a_file_name_that_is_not_utf8_is_an_error_naming_the_file(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    with open(os.path.join(os.fsencode(site.content), b"caf\xe9.md"), "wb") as file:  # a name from an old zip
        file.write("---\ntitle: Bài B\ndate: 2020-01-02\n---\nB.\n".encode())
    for _ in range(2):  # the second run goes through the build cache
        result = site.run("build")
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "content/caf\\xe9.md:1:1: error: the file name is not valid UTF-8: rename the file" in result.stderr


def test_content_files_lists_articles_at_any_depth_in_path_order_without_hidden_backups_or_linked_folders(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    names = ["b.md", "a/z.yaml", "a/b/c.md", "a/b/c.md~", "a/.#c.md", "_draft.md", ".hidden/x.md", "a/n.txt"]
    for relative in [*names, "a0.md", "a.md", "a-b.md"]:  # around the folder a/ in the order of full paths
        (content / relative).parent.mkdir(parents=True, exist_ok=True)
        (content / relative).write_text("x", "utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "linked.md").write_text("y", "utf-8")
    (content / "linked-folder").symlink_to(elsewhere, target_is_directory=True)
    (content / "linked-file.md").symlink_to(elsewhere / "linked.md")
    (content / "broken-link.md").symlink_to(tmp_path / "missing.md")
    listed = content_files(content)
    assert listed.relatives == sorted(listed.relatives)
    assert listed.relatives == ["a-b.md", "a.md", "a/b/c.md", "a/z.yaml", "a0.md", "b.md", "linked-file.md"]
    assert [path for _, path, _, _ in listed][2] == str(content / "a/b/c.md")
    assert listed.sizes[-1] == 1  # the linked file's own stat
