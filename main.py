"""Network Designer entry point: the GUI by default, CLI sub-commands otherwise."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv: list[str]) -> int:
    """Dispatch to the CLI when a sub-command is given, else open the GUI."""
    from designer.cli import COMMANDS

    if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help")):
        from designer.cli import main as cli_main

        return cli_main(argv)
    from designer.ui.app import run_gui

    return run_gui(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
