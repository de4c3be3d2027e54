"""Finding and reading content files: whatever their names and bytes, an error at the file, not a crash."""

from __future__ import annotations

import os

from conftest import SiteDir


def test_a_file_name_that_is_not_utf8_is_an_error_naming_the_file(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    with open(os.path.join(os.fsencode(site.content), b"caf\xe9.md"), "wb") as file:  # a name from an old zip
        file.write("---\ntitle: Bài B\ndate: 2020-01-02\n---\nB.\n".encode())
    for _ in range(2):  # the second run goes through the build cache
        result = site.run("build")
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "content/caf\\xe9.md:1:1: error: the file name is not valid UTF-8: rename the file" in result.stderr
