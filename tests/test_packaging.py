"""Packaging: package data in the wheel, the console script, and the single GUI/CLI entry point."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA_FILES = (
    "designer/resources/samples/lenet5.json",
    "designer/resources/pretrained/digits_cnn.keras",
    "designer/resources/pretrained/digits_cnn.json",
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(args: list[str], cwd: Path = ROOT, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _assert_png(path: Path, result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout[-1000:] + result.stderr[-2000:]
    assert path.is_file() and path.stat().st_size > 1000, result.stderr[-2000:]
    assert path.read_bytes()[:8] == PNG_MAGIC


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip wheel --no-deps --no-build-isolation`` on a copy of the source tree."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    for item in ROOT.iterdir():  # pyproject.toml, README.md (the long description), ...
        if item.is_file():
            shutil.copy2(item, src / item.name)
    shutil.copytree(
        ROOT / "designer", src / "designer", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    out = base / "dist"
    result = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-q",
            "-w",
            str(out),
            ".",
        ],
        cwd=src,
    )
    assert result.returncode == 0, (
        "pip wheel failed (the build backend comes from the venv: pip install -e '.[dev]')\n"
        + result.stdout[-2000:]
        + result.stderr[-3000:]
    )
    wheels = sorted(out.glob("network_designer-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_resources_are_found_inside_the_package() -> None:
    from designer import resources

    assert resources.RESOURCES_DIR == ROOT / "designer" / "resources"
    assert resources.sample_project_path() == resources.SAMPLES_DIR / "lenet5.json"
    assert resources.sample_project_path().is_file()
    assert (resources.PRETRAINED_DIR / "digits_cnn.keras").is_file()
    assert (resources.PRETRAINED_DIR / "digits_cnn.json").is_file()
    assert not (ROOT / "resources").exists(), "resources/ moved to designer/resources/"


def test_wheel_holds_the_data_files_and_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in DATA_FILES:
            assert name in names, f"{name} is not in {wheel.name}"
            assert archive.getinfo(name).file_size > 0
        assert {
            "designer/entry.py",
            "designer/__main__.py",
            "designer/resources/__init__.py",
        } <= names
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        text = archive.read(entry_points).decode()
    assert "[console_scripts]" in text
    assert "network-designer = designer.entry:launch" in text


def test_unpacked_wheel_finds_its_own_resources(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    code = (
        "import designer.resources as r; "
        "print(r.sample_project_path().is_file(), (r.PRETRAINED_DIR / 'digits_cnn.keras').is_file()); "
        "print(r.RESOURCES_DIR)"
    )
    env_path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": env_path, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found, where = result.stdout.strip().splitlines()[-2:]
    assert found == "True True"
    assert Path(where) == site / "designer" / "resources"


def test_help_runs_the_cli_without_qt() -> None:
    code = (
        "import sys, designer.entry as e; code = e.main(['--help']); "
        "assert 'PySide6' not in sys.modules, 'Qt imported'; print('EXIT', code)"
    )
    result = _run([sys.executable, "-c", code])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout and "analyze" in result.stdout
    assert result.stdout.strip().splitlines()[-1] in ("EXIT 0", "EXIT 2")


def test_a_sub_command_runs_the_cli_without_qt() -> None:
    code = (
        "import sys, designer.entry as e; code = e.main(['analyze', sys.argv[1], '--json']); "
        "assert 'PySide6' not in sys.modules, 'Qt imported'; sys.exit(code)"
    )
    result = _run([sys.executable, "-c", code, str(ROOT / DATA_FILES[0])])
    assert result.returncode == 0, result.stderr[-2000:]
    assert '"total_params": 61706' in result.stdout


def test_no_arguments_dispatch_to_the_gui(monkeypatch: pytest.MonkeyPatch) -> None:
    import designer.ui.app
    from designer import entry

    calls: list[list[str]] = []
    monkeypatch.setattr(designer.ui.app, "run_gui", lambda argv: calls.append(argv) or 0)
    assert entry.main([]) == 0
    assert entry.main(["some_project.json"]) == 0
    monkeypatch.setattr(sys, "argv", ["network-designer"])
    assert entry.main() == 0  # argv=None: sys.argv[1:], i.e. no arguments
    assert calls == [[], ["some_project.json"], []]
    assert not entry.wants_cli([]) and entry.wants_cli(["analyze", "x"])
    assert entry.wants_cli(["-h"]) and not entry.wants_cli(["--screenshot", "x.png"])


def test_python_m_designer_opens_the_gui(tmp_path: Path) -> None:
    out = tmp_path / "m.png"
    result = _run([sys.executable, "-m", "designer", "--screenshot", str(out)])
    _assert_png(out, result)


def test_entry_function_opens_the_gui(tmp_path: Path) -> None:
    out = tmp_path / "entry.png"
    code = "import sys, designer.entry as e; sys.exit(e.main(['--screenshot', sys.argv[1]]))"
    result = _run([sys.executable, "-c", code, str(out)])
    _assert_png(out, result)


def test_installed_console_script_runs_the_cli() -> None:
    script = Path(sys.executable).parent / (
        "network-designer" + (".exe" if os.name == "nt" else "")
    )
    if not script.exists():
        pytest.skip("network-designer is not installed in this environment")
    result = _run([str(script), "--help"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "analyze" in result.stdout
    # The GUI side: an outdated install (designer.cli:main) would reject --screenshot here.
    text = script.read_text(encoding="utf-8", errors="replace")
    assert "designer.entry" in text, "stale console script: reinstall with pip install -e '.[dev]'"


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["zoo", "list"], ["zoo", "list", "--json"], ["data", "inspect", "{csv}"]],
    ids=["help", "zoo-list", "zoo-list-json", "data-inspect-csv"],
)
def test_light_commands_do_not_import_tensorflow(argv: list[str], tmp_path: Path) -> None:
    table = tmp_path / "table.csv"
    table.write_text("a,b,label\n1,2,x\n3,4,y\n5,6,x\n")
    argv = [a.replace("{csv}", str(table)) for a in argv]
    code = (
        "import sys, designer.entry as e; code = e.main(sys.argv[1:]); "
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'keras', 'tensorflow'}); "
        "assert not heavy, f'imported {heavy}'; sys.exit(code)"
    )
    result = _run([sys.executable, "-c", code, *argv])
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()
