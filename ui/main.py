"""The ``studio`` console script: subcommands go to the core CLI, otherwise the window opens."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from studio.cli import SUBCOMMANDS

    first = next((a for a in args if a not in ("-v", "--verbose")), None)
    if first in SUBCOMMANDS or first in ("--version", "-h", "--help") and "--screenshot" not in args:
        from studio.cli import main as cli_main
        from ui import startup_done

        startup_done(freeze=False)  # no window: the collector's default threshold
        return cli_main(args)
    from ui.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
