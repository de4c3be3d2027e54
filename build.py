"""Build the sample site from a checkout: ``python build.py [--serve] [build options]``.

Works without installing the package, so a fresh clone can build straight away.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from cumthidua.cli import main  # noqa: E402

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--serve" in args:
        args = ["serve", *(a for a in args if a != "--serve")]
    elif not args or args[0].startswith("-"):
        args = ["build", *args]
    sys.exit(main(args))
