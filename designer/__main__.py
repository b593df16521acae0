"""``python -m designer [ARGS]``: the same as ``network-designer`` (see designer/entry.py)."""

import sys

from designer.entry import launch

sys.exit(launch())
