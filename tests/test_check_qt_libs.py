"""scripts/check_qt_libs.py: the check `make run` does before the GUI starts.

The tests never depend on what this machine has installed: a fake ``ldd`` on PATH reports the
libraries as missing, or a plugin built here links a library that does not exist.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "check_qt_libs.py"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def load_script():
    spec = importlib.util.spec_from_file_location("check_qt_libs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def checker():
    return load_script()


def fake_ldd(folder: Path, *missing: str) -> Path:
    """An ``ldd`` that reports ``missing`` as not found (and libc as found) for any file."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f'echo "\t{name} => not found"' for name in missing]
    lines.append('echo "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0000000000)"')
    ldd = folder / "ldd"
    ldd.write_text("#!/bin/sh\n" + "\n".join(lines) + "\n")
    ldd.chmod(0o755)
    return folder


def run_script(tmp_path: Path, env_changes: dict[str, str | None], *args: str):
    env = dict(os.environ)
    env.pop("ND_SKIP_QT_CHECK", None)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def x11_env(bin_dir: Path | None = None) -> dict[str, str | None]:
    """An X11 session as Qt sees it (the suite itself runs with QT_QPA_PLATFORM=offscreen)."""
    env: dict[str, str | None] = {
        "DISPLAY": ":99",
        "WAYLAND_DISPLAY": None,
        "XDG_SESSION_TYPE": None,
        "QT_QPA_PLATFORM": None,
    }
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    return env


# ---------------------------------------------------------------------- which platform is checked
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, []),  # no display: the GUI fails for another reason, nothing to check
        ({"DISPLAY": ":0"}, ["xcb"]),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, []),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "minimal"}, []),
        ({"QT_QPA_PLATFORM": "xcb"}, ["xcb"]),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb:nograb"}, ["xcb"]),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland;xcb"}, ["wayland", "xcb"]),
        ({"WAYLAND_DISPLAY": "wayland-0"}, ["wayland"]),
        (
            {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"},
            ["wayland", "xcb"],
        ),
        ({"DISPLAY": ":0", "ND_SKIP_QT_CHECK": "1"}, []),
    ],
)
def test_platforms_to_check(checker, env, expected):
    assert checker.platforms_to_check(env, platform="linux") == expected


def test_nothing_is_checked_outside_linux(checker):
    assert checker.platforms_to_check({"DISPLAY": ":0"}, platform="darwin") == []
    assert checker.platforms_to_check({"DISPLAY": ":0"}, platform="win32") == []


# ---------------------------------------------------------------------- the message
def test_message_names_the_libraries_and_the_apt_command(checker):
    text = checker.message({"xcb": ["libxcb-icccm.so.4", "libxcb-cursor.so.0"]})
    assert "libxcb-icccm.so.4  (package libxcb-icccm4)" in text
    assert "libxcb-cursor.so.0  (package libxcb-cursor0)" in text
    assert "  sudo apt-get install -y libxcb-icccm4 libxcb-cursor0" in text.splitlines()
    assert "docs/linux_libraries.md" in text


def test_message_for_an_unknown_library_has_no_apt_command(checker):
    text = checker.message({"xcb": ["libnd-nothere.so.9"]})
    assert "libnd-nothere.so.9" in text
    assert "apt-get install" not in text
    assert "apt-file search" in text


def test_one_package_appears_once_in_the_command(checker):
    text = checker.message({"xcb": ["libbrotlidec.so.1", "libbrotlicommon.so.1"]})
    assert "  sudo apt-get install -y libbrotli1" in text.splitlines()


@linux_only
@pytest.mark.parametrize(
    ("known", "expected"), [("libglib2.0-0t64", "libglib2.0-0t64"), ("", "libglib2.0-0")]
)
def test_a_renamed_package_is_named_as_apt_knows_it(
    checker, tmp_path, monkeypatch, known, expected
):
    """Debian 13 and Ubuntu 24.04 renamed libglib2.0-0 to libglib2.0-0t64 (time_t)."""
    apt_cache = tmp_path / "apt-cache"
    apt_cache.write_text(f'#!/bin/sh\n[ "$3" = "{known}" ] && echo "Package: $3"\nexit 0\n')
    apt_cache.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert checker.package_for("libglib-2.0.so.0") == expected
    assert checker.package_for("libxcb-icccm.so.4") == "libxcb-icccm4"  # not renamed


def test_every_known_library_maps_to_a_debian_package_name(checker):
    for soname, package in checker.PACKAGES.items():
        assert soname.startswith("lib") and ".so" in soname
        assert package == package.lower() and " " not in package


# ---------------------------------------------------------------------- the script, end to end
@linux_only
def test_missing_libraries_are_reported_with_the_install_command(tmp_path):
    plugin = tmp_path / "libqfake.so"
    plugin.write_bytes(b"not read by the fake ldd")
    bin_dir = fake_ldd(tmp_path / "bin", "libxcb-icccm.so.4", "libxcb-keysyms.so.1")
    result = run_script(tmp_path, x11_env(bin_dir), "--plugin", str(plugin))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "libxcb-icccm.so.4" in result.stderr and "libxcb-keysyms.so.1" in result.stderr
    assert "sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1" in result.stderr
    assert "libc.so.6" not in result.stderr  # found libraries are not listed


@linux_only
def test_nothing_missing_is_silent(tmp_path):
    plugin = tmp_path / "libqfake.so"
    plugin.write_bytes(b"")
    bin_dir = fake_ldd(tmp_path / "bin")  # reports only libc, found
    result = run_script(tmp_path, x11_env(bin_dir), "--plugin", str(plugin))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@linux_only
@pytest.mark.parametrize(
    "changes",
    [
        {"QT_QPA_PLATFORM": "offscreen"},  # tests, screenshots, CI
        {"DISPLAY": None},  # no display at all
        {"ND_SKIP_QT_CHECK": "1"},  # the user asked to skip
    ],
)
def test_no_check_where_the_plugin_is_not_used(tmp_path, changes):
    plugin = tmp_path / "libqfake.so"
    plugin.write_bytes(b"")
    bin_dir = fake_ldd(tmp_path / "bin", "libxcb-icccm.so.4")
    result = run_script(tmp_path, {**x11_env(bin_dir), **changes}, "--plugin", str(plugin))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@linux_only
def test_force_checks_without_a_display(tmp_path):
    plugin = tmp_path / "libqfake.so"
    plugin.write_bytes(b"")
    bin_dir = fake_ldd(tmp_path / "bin", "libxcb-cursor.so.0")
    changes = {**x11_env(bin_dir), "DISPLAY": None, "QT_QPA_PLATFORM": "offscreen"}
    result = run_script(tmp_path, changes, "--force", "--plugin", str(plugin))
    assert result.returncode == 1
    assert "sudo apt-get install -y libxcb-cursor0" in result.stderr


@linux_only
@pytest.mark.skipif(
    shutil.which("cc") is None or shutil.which("ldd") is None, reason="needs cc and ldd"
)
def test_a_real_plugin_linking_a_library_that_is_not_there(tmp_path):
    """Built here: a shared object that needs libndmissing.so.1, which is then deleted; the
    system's own ldd reports it."""
    lib_src, plugin_src = tmp_path / "m.c", tmp_path / "p.c"
    lib_src.write_text("int nd_missing(void) { return 1; }\n")
    plugin_src.write_text("int nd_missing(void);\nint plugin(void) { return nd_missing(); }\n")
    lib = tmp_path / "libndmissing.so"
    plugin = tmp_path / "libqfake.so"
    cc = shutil.which("cc")
    subprocess.run(
        [cc, "-shared", "-fPIC", "-Wl,-soname,libndmissing.so.1", "-o", lib, lib_src],
        check=True,
        timeout=120,
    )
    subprocess.run(
        [cc, "-shared", "-fPIC", "-o", plugin, plugin_src, f"-L{tmp_path}", "-lndmissing"],
        check=True,
        timeout=120,
    )
    lib.unlink()
    result = run_script(tmp_path, x11_env(), "--plugin", str(plugin))
    assert result.returncode == 1
    assert "libndmissing.so.1" in result.stderr
    assert "apt-get install" not in result.stderr  # no Debian package is known for it


def test_without_ldd_the_known_libraries_are_opened(checker, monkeypatch):
    monkeypatch.setattr(checker, "missing_by_ldd", lambda files: None)
    monkeypatch.setitem(checker.FALLBACK_SONAMES, "xcb", ["libnd-does-not-exist.so.9"])
    assert checker.find_missing("xcb", [Path("unused.so")]) == ["libnd-does-not-exist.so.9"]
    assert checker.missing_by_dlopen(["libnd-does-not-exist.so.9"]) == ["libnd-does-not-exist.so.9"]


@linux_only
def test_the_installed_pyside6_plugin_is_found(checker):
    """Whatever this machine lacks, the check finds PySide6's xcb plugin and reads it."""
    base = checker.qt_dir()
    if base is None:
        pytest.skip("PySide6 is not installed")
    assert (base / checker.PLATFORM_FILES["xcb"][0]).is_file()
    missing = checker.find_missing("xcb")
    assert isinstance(missing, list)
    assert all(".so" in name for name in missing)
