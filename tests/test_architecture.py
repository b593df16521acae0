"""Structure rules of DESIGN.md section 2, checked on the source files themselves."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _package_files(exclude_ui: bool) -> list[Path]:
    files = sorted((ROOT / "designer").rglob("*.py"))
    return [f for f in files if not (exclude_ui and "ui" in f.relative_to(ROOT).parts)]


def test_no_qt_outside_ui() -> None:
    offenders = []
    for path in _package_files(exclude_ui=True):
        for name in _imports(path):
            if name.split(".")[0] in QT_MODULES:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "Qt outside designer/ui:\n" + "\n".join(offenders)


def test_core_imports_no_other_package() -> None:
    offenders = []
    for path in sorted((ROOT / "designer" / "core").rglob("*.py")):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "designer" and len(parts) > 1 and parts[1] != "core":
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


ENTRY_POINTS = ("designer/entry.py", "designer/__main__.py")  # the top: above ui and cli


def test_nothing_imports_ui() -> None:
    offenders = []
    for path in _package_files(exclude_ui=True):
        if str(path.relative_to(ROOT)) in ENTRY_POINTS:
            continue
        for name in _imports(path):
            if name.startswith("designer.ui"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_checker_sees_a_qt_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from PySide6 import QtCore\nimport pyqtgraph as pg\n")
    assert {"PySide6", "pyqtgraph"} <= _imports(sample)


def test_modules_stay_small() -> None:
    big = [
        f"{p.relative_to(ROOT)}: {n}"
        for p in _package_files(exclude_ui=False)
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600
    ]
    assert not big, "modules over 600 lines (split them):\n" + "\n".join(big)
