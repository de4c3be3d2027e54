"""The ``cumthidua`` command: argument parsing and exit codes, nothing more."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .build import BuildRequest, BuildResult, build
from .diagnostics import UsageError, display_path

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 without a traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", "-s", type=Path, default=Path("content"), help="content folder (default: content)")
    parser.add_argument("--output", "-o", type=Path, default=Path("public"), help="output folder (default: public)")
    parser.add_argument("--config", "-c", type=Path, default=None, help="config file (default: site.yaml)")
    parser.add_argument("--base-url", default=None, help="public URL of the site, e.g. https://example.org/tin-tuc/")
    parser.add_argument("--drafts", action="store_true", help="include articles with draft: true")
    parser.add_argument("--future", action="store_true", help="include articles dated in the future")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cumthidua", description="Static news-portal generator for Vietnamese newsrooms.")
    parser.add_argument("--version", action="version", version=f"cumthidua {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    build_parser = commands.add_parser("build", help="build the site into the output folder")
    add_build_arguments(build_parser)
    build_parser.add_argument("--clean", action="store_true", help="rewrite every output file and drop the cache")
    return parser


def request_from(args: argparse.Namespace) -> BuildRequest:
    return BuildRequest(
        content_dir=args.source,
        output_dir=args.output,
        config_path=args.config,
        base_url=args.base_url,
        drafts=args.drafts,
        future=args.future,
        clean=getattr(args, "clean", False),
    )


def report(result: BuildResult) -> int:
    for diagnostic in result.diagnostics.sorted():
        print(diagnostic.format(), file=sys.stderr)
    if not result.ok:
        count = len(result.diagnostics.errors)
        print(f"cumthidua: {count} error{'s' if count != 1 else ''}; the output folder was not changed", file=sys.stderr)
        return EXIT_CONTENT
    stats = result.stats
    print(
        f"Built {result.articles} articles, {result.pages} pages in {result.seconds:.2f} s "
        f"({stats.written} written, {stats.unchanged} unchanged, {stats.removed} removed) → {display_path(result.output_dir)}"
    )
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "build":
            return report(build(request_from(args)))
    except UsageError as exc:
        print(f"cumthidua: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("cumthidua: interrupted", file=sys.stderr)
        return 130
    return EXIT_USAGE
