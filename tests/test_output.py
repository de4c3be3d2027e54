"""The output folder: a failed build leaves it exactly as it was, even when there was none."""

from __future__ import annotations

import json
import shutil
from functools import partial
from pathlib import Path

from conftest import SiteDir
from cumthidua.output import MANIFEST, STAGING, OutputWriter, files_not_in_place, manifest_text
from cumthidua.parallel import Background


def test_a_build_failing_at_the_link_check_creates_no_output_folder(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01", body="Xem [bài cũ](/2019/01/khong-co/).")
    result = site.run("build")
    assert result.returncode == 1 and "content/a.md:" in result.stderr
    assert not site.output.exists()


def test_a_failing_build_keeps_the_previous_output_byte_for_byte(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    site.build()
    before = site.files()
    site.article("b.md", "Bài B", "2020-01-02", body="Xem [bài cũ](/2019/01/khong-co/).")
    assert site.run("build").returncode == 1
    assert site.files() == before


def test_an_output_folder_the_system_refuses_is_a_usage_error(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    site.write("a-file", "not a folder")
    result = site.run("build", "--output", "a-file/public")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "a-file/public" in result.stderr and "Not a directory" in result.stderr


def test_links_planted_in_the_output_are_never_written_through(site: SiteDir, tmp_path: Path):
    site.article("a.md", "Bài A", "2020-01-01")
    site.build()
    outside = tmp_path / "outside"
    (outside / "01/bai-a").mkdir(parents=True)
    (outside / "01/bai-a/index.html").write_text("của người khác")
    before = site.files()
    shutil.rmtree(site.output / "2020")
    (site.output / "2020").symlink_to(outside, target_is_directory=True)  # a folder the last build wrote
    (site.output / "tu-khoa").rename(site.root / "tu-khoa")
    (site.output / "tu-khoa").symlink_to(site.root / "tu-khoa", target_is_directory=True)
    site.article("a.md", "Bài A", "2020-01-01", body="Đã sửa.")
    errors = site.build_errors("--clean")
    assert any("link that leads outside the output folder: 2020/01/bai-a/index.html" in error for error in errors)
    assert any("tu-khoa/index.html" in error for error in errors)
    assert (outside / "01/bai-a/index.html").read_text() == "của người khác"
    assert (site.root / "tu-khoa/index.html").read_bytes() == before["tu-khoa/index.html"]


def test_a_link_or_a_file_where_the_build_writes_is_not_replaced(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    site.write("public/CNAME", "tin.example.org")
    (site.output / "2020/01").mkdir(parents=True)
    (site.output / "2020/01/bai-a").symlink_to(site.output / "CNAME")  # where a folder of the build goes
    (site.output / "index.html").symlink_to("CNAME")  # where a page goes
    site.write("public/2020/index.html", "của tôi")  # a file of someone else, where a page goes
    errors = site.build_errors()
    assert any("cannot create folder 2020/01/bai-a: a file is in the way" in error for error in errors)
    assert any("did not write this file" in error and "public/index.html" in error for error in errors)
    assert any("did not write this file" in error and "public/2020/index.html" in error for error in errors)
    assert (site.output / "CNAME").read_text() == "tin.example.org" and (site.output / "index.html").is_symlink()
    assert (site.output / "2020/index.html").read_text() == "của tôi"


def test_staged_folders_move_whole_and_files_into_existing_folders(tmp_path: Path):
    """2020 is there: its file and the folder 2020/01 (with everything in it) move in; 2021 moves in whole."""
    output = tmp_path / "public"
    (output / "2020").mkdir(parents=True)
    writer = OutputWriter(output)
    for path in ["index.html", "2020/b.html", "2020/01/a/index.html", "2020/01/b/index.html", "2021/02/c/index.html"]:
        writer.add(path, path.encode())
    writer.commit()
    for path in ["index.html", "2020/b.html", "2020/01/a/index.html", "2020/01/b/index.html", "2021/02/c/index.html"]:
        assert (output / path).read_bytes() == path.encode()
    assert not (output / STAGING).exists()


def test_a_folder_made_by_someone_else_before_the_commit_keeps_its_files(tmp_path: Path):
    output = tmp_path / "public"
    writer = OutputWriter(output)
    writer.add("tin/a/index.html", b"a")
    (output / "tin").mkdir()
    (output / "tin/cua-toi.txt").write_text("của tôi")
    writer.commit()
    assert (output / "tin/a/index.html").read_bytes() == b"a"
    assert (output / "tin/cua-toi.txt").read_text() == "của tôi"


def test_a_manifest_edited_by_hand_never_deletes_outside_the_output(site: SiteDir, tmp_path: Path):
    """The manifest lists the files the last build wrote; paths leading out of the output folder are ignored."""
    import json

    from cumthidua.output import MANIFEST

    site.article("a.md", "Bài A", "2020-01-01")
    site.build()
    precious = site.root / "precious.txt"
    precious.write_text("giữ lại", "utf-8")
    manifest = site.output / MANIFEST
    data = json.loads(manifest.read_text("utf-8"))
    data["files"]["../precious.txt"] = "0" * 64
    data["files"]["/" + str(precious).lstrip("/")] = "0" * 64
    manifest.write_text(json.dumps(data), "utf-8")
    site.article("b.md", "Bài B", "2020-01-02")
    site.build()
    assert precious.read_text("utf-8") == "giữ lại"


def test_files_looked_at_ahead_stand_for_each_files_own_look(tmp_path: Path):
    """``files_not_in_place`` runs in another process while the site loads: the writer keeps what it found in
    place, and takes its word only for the manifest it read itself."""
    output = tmp_path / "public"
    writer = OutputWriter(output)
    for path in ("a/index.html", "b/index.html", "c/index.html"):
        writer.add(path, path.encode())
    writer.commit()
    (output / "a/index.html").unlink()
    (output / "b/index.html").unlink()
    (output / "b/index.html").symlink_to(output / "c/index.html")
    found = Background(partial(files_not_in_place, output)).result()
    assert found is not None and found[1] == {"a/index.html", "b/index.html"}
    writer = OutputWriter(output)
    writer.trust(found)
    assert [writer.keep(path) for path in ("a/index.html", "b/index.html", "c/index.html")] == [False, False, True]
    (output / "c/index.html").unlink()
    writer = OutputWriter(output)
    writer.trust(("another manifest", frozenset()))  # not the manifest it read: each file is looked at
    assert not writer.keep("a/index.html") and not writer.keep("c/index.html")


def test_keeping_many_files_at_once_keeps_what_one_by_one_would(tmp_path: Path):
    """``keep_many`` (a touch-up's 140,000 kept pages) keeps the files in place and hands back the others: gone
    or replaced since, or never written by the last build; one already recorded is reported as produced twice."""
    output = tmp_path / "public"
    writer = OutputWriter(output)
    for path in ("a/index.html", "b/index.html", "c/index.html", "d/index.html"):
        writer.add(path, path.encode())
    writer.commit()
    (output / "b/index.html").unlink()
    (output / "d/index.html").write_bytes(b"by hand")
    paths = ["a/index.html", "b/index.html", "c/index.html", "d/index.html", "new/index.html"]
    for trusted in (True, False):
        writer = OutputWriter(output)
        if trusted:
            writer.trust(Background(partial(files_not_in_place, output)).result())
        writer.add("c/index.html", b"c/index.html", "c.md")
        assert writer.keep_many(paths, lambda n: f"source {n}") == [1, 3, 4]
        assert set(writer.files) == {"a/index.html", "c/index.html"}
        assert [problem.message for problem in writer.problems] == [
            "/c/index.html is produced twice: by c.md and by source 2"
        ]
        assert writer.stats.unchanged == 2  # a, and c (the same bytes as in place)


def test_a_link_looping_where_a_page_was_is_an_error_not_a_crash(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    site.build()
    page = site.output / "2020/01/bai-a/index.html"
    page.unlink()
    page.symlink_to("index.html")  # leads to itself
    site.article("a.md", "Bài A", "2020-01-01", body="Đã sửa.")
    errors = site.build_errors()
    assert any("link that loops: 2020/01/bai-a/index.html" in error for error in errors)
    assert not (site.output / STAGING).exists()


def test_stamps_follow_rewritten_files_and_notice_files_edited_by_hand(tmp_path: Path):
    """A rebuild keeping the same files carries the kept files' stamps over and takes new ones of the files it
    rewrote; a later edit by hand is noticed, and so is one after a change of files."""
    output, stamps = tmp_path / "public", tmp_path / "stamps.pickle"
    paths = ["a/index.html", "b/index.html", "c/index.html"]
    writer = OutputWriter(output, stamps_file=stamps)
    for path in paths:
        writer.add(path, path.encode())
    writer.commit()
    writer = OutputWriter(output, stamps_file=stamps)
    writer.add("b/index.html", b"B, rewritten")  # the others kept: the same set of files
    assert writer.keep_many(["a/index.html", "c/index.html"], str) == []
    writer.commit()
    found = Background(partial(files_not_in_place, output, stamps)).result()
    assert found is not None and found[1] == frozenset()  # b's new stamp was taken, a's and c's carried over
    (output / "c/index.html").write_bytes(b"c, by hand")
    assert Background(partial(files_not_in_place, output, stamps)).result()[1] == {"c/index.html"}
    writer = OutputWriter(output, stamps_file=stamps)  # now another set of files
    writer.add("c/index.html", b"c again")
    writer.add("d/index.html", b"d")
    assert writer.keep_many(["a/index.html", "b/index.html"], str) == []
    writer.commit()
    assert Background(partial(files_not_in_place, output, stamps)).result()[1] == frozenset()
    (output / "a/index.html").write_bytes(b"a, by hand")
    assert Background(partial(files_not_in_place, output, stamps)).result()[1] == {"a/index.html"}


def test_keeping_every_file_in_place_at_once_records_each_with_its_digest(tmp_path: Path):
    """The usual touch-up: every file to keep is in place (looked at ahead); all are kept with the last digests,
    one already recorded by this build excepted."""
    output = tmp_path / "public"
    writer = OutputWriter(output)
    paths = ["a/index.html", "b/index.html", "c/index.html"]
    for path in paths:
        writer.add(path, path.encode())
    writer.commit()
    last = dict(writer.files)
    writer = OutputWriter(output)
    writer.trust(Background(partial(files_not_in_place, output)).result())
    writer.add("b/index.html", b"b, new")
    assert writer.keep_many(paths, str) == []
    assert writer.files == {**last, "b/index.html": writer.files["b/index.html"]} and writer.files != last
    assert writer.stats.unchanged == 2 and [problem.path for problem in writer.problems] == ["b/index.html"]


def test_a_rebuild_rewriting_a_few_files_writes_the_manifest_a_fresh_write_would(tmp_path: Path):
    """A touch-up's manifest is the last one with the rewritten files' digests put in: byte for byte what writing
    all its entries again gives, whatever the paths hold (quotes, commas, the first entry, "generator")."""
    output, stamps = tmp_path / "public", tmp_path / "stamps.pickle"
    paths = ["generator", 'a",b/index.html', 'x"a",b/index.html', "tin-tức/index.html", "z/index.html"]
    writer = OutputWriter(output, stamps_file=stamps)
    for path in paths:
        writer.add(path, path.encode())
    writer.commit()
    for rewritten in (["generator"], ['a",b/index.html', "z/index.html"], ["tin-tức/index.html"], paths):
        writer = OutputWriter(output, stamps_file=stamps)
        for path in rewritten:
            writer.add(path, f"{path} again, {len(rewritten)}".encode())
        assert writer.keep_many([path for path in paths if path not in rewritten], str) == []
        writer.commit()
        manifest = (output / MANIFEST).read_bytes()
        assert manifest == manifest_text(dict(sorted(writer.files.items())))
        assert json.loads(manifest)["files"] == writer.files
        assert all((output / path).read_bytes().startswith(path.encode()) for path in paths)
