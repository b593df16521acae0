"""The application's folders in the user's home, per platform (overridable for tests). No Qt."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_FOLDER = "network-designer"

# kind -> (environment override, macOS folder under ~/Library, XDG variable, XDG default)
_KINDS = {
    "logs": ("ND_LOG_DIR", "Logs", "XDG_DATA_HOME", ".local/share"),
    "cache": ("ND_CACHE_DIR", "Caches", "XDG_CACHE_HOME", ".cache"),
}


def user_folder(kind: str) -> Path:
    """The folder for ``kind`` ("logs" or "cache"): its ND_ variable when set, else the
    platform's place (LOCALAPPDATA, ~/Library/..., or the XDG folder) / network-designer."""
    override, mac, xdg, default = _KINDS[kind]
    if os.environ.get(override):
        return Path(os.environ[override])
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / mac
    else:
        base = Path(os.environ.get(xdg) or Path.home() / default)
    return base / APP_FOLDER
