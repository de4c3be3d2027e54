"""The ``cumthidua`` command: argument parsing and exit codes, nothing more."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from . import EXIT_INTERRUPTED, INTERRUPTED, __version__
from .build import BuildRequest, BuildResult, build
from .console import Console, build_summary, error_count
from .diagnostics import Diagnostics, UsageError, display_path

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 without a traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """--quiet/--verbose, accepted before or after the command name."""
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument("--quiet", "-q", action="store_true", default=argparse.SUPPRESS, help="show errors only")
    loudness.add_argument(
        "--verbose", "-v", action="store_true", default=argparse.SUPPRESS, help="also show how long each stage takes"
    )


def add_build_arguments(parser: argparse.ArgumentParser, output: bool = True) -> None:
    parser.add_argument("--source", "-s", type=Path, default=Path("content"), help="content folder (default: content)")
    if output:
        parser.add_argument("--output", "-o", type=Path, default=Path("public"), help="output folder (default: public)")
    parser.add_argument("--config", "-c", type=Path, default=None, help="config file (default: site.yaml)")
    parser.add_argument("--base-url", default=None, help="public URL of the site, e.g. https://example.org/tin-tuc/")
    parser.add_argument("--drafts", action="store_true", help="include articles with draft: true")
    parser.add_argument("--future", action="store_true", help="include articles dated in the future")
    parser.add_argument(
        "--jobs", "-j", type=_positive, default=None, metavar="N", help="worker processes (default: all cores)"
    )


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cumthidua", description="Static news-portal generator for Vietnamese newsrooms.")
    parser.add_argument("--version", action="version", version=f"cumthidua {__version__}")
    add_output_arguments(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    build_parser = commands.add_parser("build", help="build the site into the output folder")
    add_build_arguments(build_parser)
    build_parser.add_argument("--clean", action="store_true", help="rewrite every output file and drop the cache")
    add_editor_commands(commands)
    for command in commands.choices.values():
        add_output_arguments(command)
    return parser


def add_editor_commands(commands: argparse._SubParsersAction) -> None:
    """serve, new, check and import: the editor's day."""
    serve_parser = commands.add_parser("serve", help="build, serve on 127.0.0.1, rebuild and reload on every change")
    add_build_arguments(serve_parser, output=False)
    serve_parser.add_argument(
        "--output", "-o", type=Path, default=None, help="build into this folder (default: .cumthidua/serve, not public)"
    )
    serve_parser.add_argument("--port", "-p", type=int, default=8000, help="port to serve on (default: 8000)")
    serve_parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default: 127.0.0.1)")
    new_parser = commands.add_parser("new", help="create a new article file with its front matter filled in")
    new_parser.add_argument("title", help='the title, e.g. "Hội nghị sơ kết 6 tháng đầu năm"')
    new_parser.add_argument("--category", help="category; the file goes in content/<category-slug>/")
    new_parser.add_argument("--source", "-s", type=Path, default=Path("content"), help="content folder")
    new_parser.add_argument("--config", "-c", type=Path, default=None, help="config file (default: site.yaml)")
    check_parser = commands.add_parser("check", help="check content, config, templates, links; never writes public/")
    add_build_arguments(check_parser, output=False)
    import_parser = commands.add_parser("import", help="turn old portal pages (.txt dumps, saved .html) into articles")
    import_parser.add_argument("inputs", nargs="+", type=Path, metavar="FILE_OR_DIR", help="pages or folders of pages")
    import_parser.add_argument("--to", type=Path, default=Path("content"), help="where articles go (default: content)")
    import_parser.add_argument("--category", help="category to give every imported article")


def request_from(args: argparse.Namespace) -> BuildRequest:
    return BuildRequest(
        content_dir=args.source,
        output_dir=getattr(args, "output", None) or Path("public"),
        config_path=args.config,
        base_url=args.base_url,
        drafts=args.drafts,
        future=args.future,
        clean=getattr(args, "clean", False),
        jobs=getattr(args, "jobs", None),
    )


def _positive(text: str) -> int:
    """A whole number of at least 1, for ``--jobs``."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return int(text)


def finish(result: BuildResult, console: Console, failure: str, success: str) -> int:
    """Print the diagnostics, then one closing line; the exit status says which."""
    console.diagnostics(result.diagnostics.sorted())
    if not result.ok:
        console.error(f"cumthidua: {error_count(result.diagnostics)}{failure}")
        return EXIT_CONTENT
    console.info(success)
    return EXIT_OK


def report(result: BuildResult, console: Console | None = None) -> int:
    summary = f"{build_summary(result)} → {display_path(result.output_dir)}" if result.ok else ""
    return finish(result, console or Console(), "; the output folder was not changed", summary)


def run_build(args: argparse.Namespace, console: Console) -> int:
    gc.disable()  # for good: the process ends with the build; resuming would walk the whole site once more
    progress = console.progress()
    result = build(request_from(args), progress)
    progress.report_timings()
    return report(result, console)


def run_serve(args: argparse.Namespace, console: Console) -> int:
    from .serve import serve  # watchdog and http.server load only when serving

    return serve(request_from(args), args.host, args.port, console, output_given=args.output is not None)


def run_check(args: argparse.Namespace, console: Console) -> int:
    from .check import check

    progress = console.progress()
    result = check(request_from(args), progress)
    progress.report_timings()
    summary = f"No problems: {result.articles} articles, {result.pages} pages checked in {result.seconds:.2f} s"
    return finish(result, console, "", summary)


def run_new(args: argparse.Namespace, console: Console) -> int:
    from .config import load_config
    from .new import ArticleExists, new_article

    if not args.source.is_dir():
        raise UsageError(f"content folder not found: {args.source}")
    diagnostics = Diagnostics()
    config = load_config(args.config or args.source.resolve().parent / "site.yaml", diagnostics)
    if diagnostics:
        console.diagnostics(diagnostics.sorted())
        return EXIT_CONTENT
    try:
        path = new_article(args.source, config, args.title, datetime.now(UTC), args.category)
    except ArticleExists as exc:
        console.error(f"cumthidua: error: {display_path(exc.path)} already exists; edit it or choose another title")
        return EXIT_CONTENT
    console.info(f"Created {display_path(path)}")
    return EXIT_OK


def run_import(args: argparse.Namespace, console: Console) -> int:
    from .importer import describe, import_pages

    result = import_pages(args.inputs, args.to, args.category)
    for line in describe(result):
        console.info(line)
    console.diagnostics(result.failed)
    console.info(f"Imported {len(result.imported)}, skipped {len(result.skipped)}, failed {len(result.failed)}")
    return EXIT_CONTENT if result.failed else EXIT_OK


COMMANDS = {"build": run_build, "serve": run_serve, "check": run_check, "new": run_new, "import": run_import}


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    console = Console(quiet=getattr(args, "quiet", False), verbose=getattr(args, "verbose", False))
    try:
        if args.command in COMMANDS:
            return COMMANDS[args.command](args, console)
    except UsageError as exc:
        console.error(f"cumthidua: error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_USAGE


def run() -> None:
    """The ``cumthidua`` command: :func:`main`, then a quick exit.

    A build leaves a site's worth of objects behind; Python would free them one by one at exit (0.2 s at 10,000
    articles, more than a one-article rebuild renders), where the system takes the memory back at once.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
