"""The program's single entry point, above both the GUI and the CLI.

``network-designer [ARGS]``, ``python -m designer [ARGS]`` and ``python main.py [ARGS]`` all
call :func:`launch` (logging, then :func:`main`): a known sub-command (``analyze``, ``build``, ...) or ``-h``/``--help`` runs
the command line (:mod:`designer.cli`); anything else, no arguments included, opens the GUI
(``[PROJECT] [--screenshot FILE.png] [--no-start-page] [--custom-objects FILE.py]...
[--trust-custom-code]``: the custom code files run before the window opens, as on the command
line, where passing them is the user's consent).

Both sides are imported inside :func:`main` only, so the command line never loads Qt. This is
the top of the layering (above ui and cli; see docs/architecture.md), the one module outside
designer/ui that may import it.
"""

from __future__ import annotations

import os
import sys

HELP_FLAGS = ("-h", "--help")
VERBOSE = "--verbose"  # anywhere on the command line: native libraries' logs on the terminal
CUSTOM_OBJECTS, TRUST_CODE = "--custom-objects", "--trust-custom-code"


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
    argv, files, trust = split_code_options(argv)
    from designer.ui.app import parse_gui_args, run_gui

    if not run_code_options(files, parse_gui_args(argv).project if trust else None):
        return 2
    return int(run_gui(argv))


def run_code_options(files: list[str], project: str | None) -> bool:
    """Run the ``--custom-objects`` files, then (with ``--trust-custom-code``) the code files
    that ``project`` lists; False, after saying why on stderr, when one cannot run."""
    from pathlib import Path

    from designer.app.custom_code import listed_files, load_custom_code, peek_project
    from designer.core.errors import ProjectError

    payload = peek_project(Path(project)) if project else None
    listed = listed_files(payload, Path(project)) if payload and project else []
    try:
        for file in [*files, *listed]:
            if not file:
                raise ProjectError(
                    f"{CUSTOM_OBJECTS} expects a Python file: {CUSTOM_OBJECTS} FILE.py"
                )
            load_custom_code(file)
    except ProjectError as exc:  # CustomCodeError: the file, the line and the error
        print(f"error: {exc}", file=sys.stderr)
        return False
    return True


def split_code_options(argv: list[str]) -> tuple[list[str], list[str], bool]:
    """The GUI's arguments without ``--custom-objects FILE.py`` (also ``=FILE.py``) and
    ``--trust-custom-code``; the files named, and whether the flag was given."""
    rest: list[str] = []
    files: list[str] = []
    items = iter(argv)
    for arg in items:
        if arg == CUSTOM_OBJECTS:
            files.append(next(items, ""))
        elif arg.startswith(CUSTOM_OBJECTS + "="):
            files.append(arg.split("=", 1)[1])
        elif arg != TRUST_CODE:
            rest.append(arg)
    return rest, files, TRUST_CODE in argv


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
