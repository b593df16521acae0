"""Network Designer: the GUI by default, CLI sub-commands otherwise.

A thin wrapper over :func:`designer.entry.launch`, like ``network-designer`` and
``python -m designer``.
"""

from __future__ import annotations

import sys

from designer.entry import launch

if __name__ == "__main__":
    sys.exit(launch(sys.argv[1:]))
