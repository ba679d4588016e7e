"""What every ``rlm`` verb shares: the argument parser's error style and the exit codes."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from engine.errors import ConfigError

EXIT_OK, EXIT_USAGE, EXIT_LIMIT, EXIT_PROVIDER, EXIT_SANDBOX, EXIT_CANCELLED = 0, 2, 3, 4, 5, 130
# `rlm models check`: the model answered the test, but did not drive the analysis.
EXIT_CHECK_FAILED = 1


class UsageError(ConfigError):
    pass


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit 2 with our wording and no traceback."""

    def error(self, message: str) -> Any:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"rlm: error: {message}\n")
