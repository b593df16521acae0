"""The program's single entry point, above both the GUI and the CLI.

``network-designer [ARGS]``, ``python -m designer [ARGS]`` and ``python main.py [ARGS]`` all
call :func:`launch` (logging, then :func:`main`): a known sub-command (``analyze``, ``build``, ...) or ``-h``/``--help`` runs
the command line (:mod:`designer.cli`); anything else, no arguments included, opens the GUI
(``[PROJECT] [--screenshot FILE.png] [--no-start-page]``).

Both sides are imported inside :func:`main` only, so the command line never loads Qt. This is
the top of the layering (above ui and cli; see docs/architecture.md), the one module outside
designer/ui that may import it.
"""

from __future__ import annotations

import os
import sys

HELP_FLAGS = ("-h", "--help")
VERBOSE = "--verbose"  # anywhere on the command line: native libraries' logs on the terminal


def wants_cli(argv: list[str]) -> bool:
    """Whether ``argv`` is for the command line (a sub-command or a help flag)."""
    from designer.cli import COMMANDS

    return bool(argv) and (argv[0] in COMMANDS or argv[0] in HELP_FLAGS)


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the CLI when a sub-command is given, else open the GUI; the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if wants_cli(argv):
        from designer.cli import main as cli_main

        try:
            return int(cli_main(argv))
        except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
            code = exc.code
            return code if isinstance(code, int) else (0 if code is None else 2)
    from designer.ui.app import run_gui

    return int(run_gui(argv))


def launch(argv: list[str] | None = None) -> int:
    """The program: set up logging (``--verbose`` keeps TensorFlow's and Qt's own messages on
    the terminal; otherwise they go to the log folder), then :func:`main`."""
    argv = sys.argv[1:] if argv is None else list(argv)
    verbose = VERBOSE in argv
    argv = [arg for arg in argv if arg != VERBOSE]
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from designer.app.logs import setup_logging

    setup_logging(verbose)
    try:
        return main(argv)
    except BrokenPipeError:  # the reader (head, less) stopped reading: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error at exit
        return 0


if __name__ == "__main__":
    sys.exit(launch())
