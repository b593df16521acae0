#!/usr/bin/env python3
"""Check, before the GUI starts, that Qt's platform plugin finds its system libraries.

On a bare Linux machine PySide6's ``xcb`` plugin (X11) fails to load when some system
libraries are missing, and Qt only says "Could not load the Qt platform plugin "xcb" ...
This application failed to start because no Qt platform plugin could be initialized".
``make run`` calls this script first: it runs ``ldd`` on the plugin Qt will use (and the Qt
libraries the designer loads), and when something is missing it prints the libraries and the
Debian/Ubuntu command that installs them, and exits 1. Otherwise it prints nothing and exits 0.

Nothing is checked (exit 0) outside Linux, without a display (neither ``DISPLAY`` nor
``WAYLAND_DISPLAY``), when ``QT_QPA_PLATFORM`` names a platform that needs no window system
(``offscreen``, ``minimal``, ``vnc``, ...), when PySide6 is not installed, or when
``ND_SKIP_QT_CHECK=1``. The full list of libraries: docs/linux_libraries.md.

Usage: ``python scripts/check_qt_libs.py [--force] [--plugin FILE ...]``; ``--plugin`` checks
the given shared objects instead of PySide6's (for another Qt, and for the tests), ``--force``
checks even where the environment says the plugin will not be used. Standard library only.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

SKIP_ENV = "ND_SKIP_QT_CHECK"

# Shared library (soname) -> the Debian/Ubuntu package that ships it. These are every library
# outside the C/C++ runtime that `ldd` lists for PySide6 6.11's libqxcb.so, libqwayland.so,
# libQt6Widgets and libQt6Svg (Qt's "Qt for X11 Requirements" page lists the xcb ones).
PACKAGES: dict[str, str] = {
    # X11 / xcb: the ones a minimal or container image usually lacks
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    # OpenGL / EGL (linked by Qt GUI even when nothing is drawn with OpenGL)
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    # fonts, D-Bus, GLib
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libpng16.so.16": "libpng16-16",
    "libexpat.so.1": "libexpat1",
    "libbrotlidec.so.1": "libbrotli1",
    "libbrotlicommon.so.1": "libbrotli1",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libpcre2-8.so.0": "libpcre2-8-0",
    "libz.so.1": "zlib1g",
    "libzstd.so.1": "libzstd1",
    # Wayland
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libffi.so.8": "libffi8",
}

# Packages renamed by the 64-bit time_t transition (Debian 13, Ubuntu 24.04): the new name
# first; the one apt knows here is used.
RENAMED: dict[str, tuple[str, ...]] = {
    "libglib2.0-0": ("libglib2.0-0t64", "libglib2.0-0"),
    "libpng16-16": ("libpng16-16t64", "libpng16-16"),
}

# The files whose dependencies decide whether a platform starts, relative to PySide6/Qt/.
# ldd follows the dependencies recursively (libqxcb.so -> libQt6XcbQpa -> libQt6Gui -> ...).
PLATFORM_FILES: dict[str, list[str]] = {
    "xcb": ["plugins/platforms/libqxcb.so", "lib/libQt6Widgets.so.6", "lib/libQt6Svg.so.6"],
    "wayland": [
        "plugins/platforms/libqwayland.so",
        "lib/libQt6Widgets.so.6",
        "lib/libQt6Svg.so.6",
    ],
}
# What to dlopen when there is no ldd (a glibc system always has it; a trimmed image may not).
FALLBACK_SONAMES: dict[str, list[str]] = {
    "xcb": [name for name, pkg in PACKAGES.items() if "wayland" not in pkg and pkg != "libffi8"],
    "wayland": [
        name
        for name, pkg in PACKAGES.items()
        if not name.startswith(("libxcb", "libX"))
        and pkg not in ("libxkbcommon-x11-0", "libglx0", "libgl1")
    ],
}
NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")


def platforms_to_check(env: Mapping[str, str], platform: str = sys.platform) -> list[str]:
    """The platform plugins Qt will try, in order, of those this script knows (xcb, wayland);
    empty when the GUI will not need a window system's libraries."""
    if not platform.startswith("linux") or env.get(SKIP_ENV, "") not in ("", "0"):
        return []
    requested = env.get("QT_QPA_PLATFORM", "").strip()
    if requested:  # "xcb", "wayland;xcb", "xcb:option=value", ...
        names = [part.split(":")[0].strip() for part in requested.split(";") if part.strip()]
        if names and names[0] not in PLATFORM_FILES:
            return []  # offscreen, minimal, vnc, eglfs, ...: no X11 or Wayland client libraries
        return [name for name in names if name in PLATFORM_FILES]
    names = []
    if env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland":
        names.append("wayland")  # Qt prefers Wayland in a Wayland session, then falls back
    if env.get("DISPLAY"):
        names.append("xcb")
    elif env.get("WAYLAND_DISPLAY") and "wayland" not in names:
        names.append("wayland")
    return names


def qt_dir() -> Path | None:
    """PySide6's Qt folder (plugins/, lib/), found without importing PySide6."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "Qt"
    return folder if folder.is_dir() else None


def missing_by_ldd(files: Iterable[Path]) -> list[str] | None:
    """Sonames that ``ldd`` reports as not found for any of ``files`` (recursively); None
    when ldd is not available or cannot read a file."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    missing: list[str] = []
    for path in files:
        try:
            result = subprocess.run(
                [ldd, str(path)], capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if result.returncode != 0 and "not found" not in result.stdout:
            return None  # not a dynamic object ldd can read (wrong architecture, ...)
        for line in result.stdout.splitlines():
            match = NOT_FOUND.match(line)
            if match and match.group(1) not in missing:
                missing.append(match.group(1))
    return missing


def missing_by_dlopen(sonames: Iterable[str]) -> list[str]:
    """Sonames the dynamic loader cannot open (used when there is no ldd)."""
    missing = []
    for name in sonames:
        try:
            ctypes.CDLL(name)
        except OSError:
            missing.append(name)
    return missing


def find_missing(platform_name: str, files: list[Path] | None = None) -> list[str]:
    """The libraries missing for ``platform_name``: ldd on ``files`` (default: PySide6's plugin
    and Qt libraries), or dlopen of the known list when ldd cannot tell."""
    if files is None:
        base = qt_dir()
        if base is None:
            return []  # no PySide6 here: the install step reports that, not this check
        files = [base / rel for rel in PLATFORM_FILES[platform_name] if (base / rel).exists()]
    missing = missing_by_ldd(files) if files else None
    if missing is None:
        missing = missing_by_dlopen(FALLBACK_SONAMES[platform_name])
    return missing


def package_for(soname: str) -> str | None:
    """The Debian/Ubuntu package that ships ``soname``, under the name this system's apt
    knows (None when unknown)."""
    package = PACKAGES.get(soname)
    names = RENAMED.get(package or "", ())
    apt_cache = shutil.which("apt-cache")
    if names and apt_cache:
        for name in names:
            try:
                found = subprocess.run(
                    [apt_cache, "show", "--no-all-versions", name],
                    capture_output=True,
                    timeout=30,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired):
                break
            if found.returncode == 0 and found.stdout.strip():
                return name
    return package


def message(missing: dict[str, list[str]]) -> str:
    """What to tell the user: the missing libraries per platform and the apt-get command."""
    lines: list[str] = []
    packages: list[str] = []
    unknown: list[str] = []
    for platform_name, names in missing.items():
        lines.append(
            f'Qt\'s "{platform_name}" platform plugin cannot start: '
            f"{'this system library is' if len(names) == 1 else 'these system libraries are'}"
            " missing:"
        )
        for name in names:
            package = package_for(name)
            lines.append(f"  {name}" + (f"  (package {package})" if package else ""))
            if package and package not in packages:
                packages.append(package)
            elif not package and name not in unknown:
                unknown.append(name)
    if packages:
        lines += ["Install them on Debian or Ubuntu with:", "", "  sudo apt-get install -y "]
        lines[-1] += " ".join(packages)
        lines.append("")
    if unknown:
        lines.append(
            "Find the package of "
            + ", ".join(unknown)
            + " with `apt-file search NAME` (or your distribution's equivalent)."
        )
    lines += [
        "Other distributions: install the packages that provide these files; the full list is",
        f"in docs/linux_libraries.md. To skip this check: {SKIP_ENV}=1.",
    ]
    return "\n".join(lines)


def check(
    env: Mapping[str, str], plugins: list[Path] | None = None, force: bool = False
) -> tuple[int, str]:
    """The exit code and the message (empty when nothing is missing). ``plugins`` replaces
    PySide6's files (they stand for the first platform Qt will try); ``force`` checks the xcb
    platform even where the environment says no platform plugin is needed."""
    names = platforms_to_check(env)
    if not names and force:
        names = ["xcb"]
    if plugins is not None:
        names = names[:1]
    missing: dict[str, list[str]] = {}
    for name in names:
        found = find_missing(name, plugins)
        if not found:
            return 0, ""  # Qt tries the platforms in order; this one starts
        missing[name] = found
    if not missing:
        return 0, ""
    return 1, message(missing)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--plugin",
        action="append",
        type=Path,
        metavar="FILE",
        help="check these shared objects instead of PySide6's platform plugin (repeatable)",
    )
    parser.add_argument(
        "--force", action="store_true", help="check even when the environment needs no plugin"
    )
    args = parser.parse_args(argv)
    code, text = check(os.environ, args.plugin, force=args.force)
    if text:
        print(text, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
