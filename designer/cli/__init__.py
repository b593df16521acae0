"""The command line: ``python main.py COMMAND ...`` (and the ``network-designer`` script)."""

from designer.cli.main import COMMANDS, main

__all__ = ["COMMANDS", "main"]
