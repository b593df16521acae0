"""Network Designer entry point: the GUI by default, CLI sub-commands otherwise.

A thin wrapper over :func:`designer.entry.main`, like ``network-designer`` and
``python -m designer``.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before anything imports TensorFlow


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the CLI when a sub-command is given, else open the GUI."""
    from designer.entry import main as entry_main

    return entry_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
