"""cumthidua: a static news-portal generator for Vietnamese newsrooms."""

import sys

__version__ = "0.1.0"

INTERRUPTED = "cumthidua: interrupted"  # what Ctrl-C prints, whenever it comes
EXIT_INTERRUPTED = 130  # and the exit status, as a shell gives a command stopped by SIGINT


def run() -> None:
    """The ``cumthidua`` command. Loading the generator takes a quarter second or more: Ctrl-C then says so in
    one line, as it does later (see ``cli.main``), not with a traceback of the import it stopped."""
    try:
        from .cli import run as run_command
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        raise SystemExit(EXIT_INTERRUPTED) from None
    run_command()
