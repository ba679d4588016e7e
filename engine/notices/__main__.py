"""``python -m engine.notices OUTPUT``: write the third-party notices file (the build script's
step), or print them when OUTPUT is ``-``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.errors import ConfigError
from engine.notices import notices_text, write_notices


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m engine.notices",
        description="Write the third-party notices of the installed packages rlm-desktop "
        "runs on.")
    parser.add_argument("output", help="the file to write (- prints them)")
    args = parser.parse_args(argv)
    try:
        if args.output == "-":
            sys.stdout.write(notices_text())
        else:
            write_notices(Path(args.output))
    except (ConfigError, OSError) as exc:
        print(f"The notices could not be written: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
