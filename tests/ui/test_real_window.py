"""The designer in a real X11 window, driven by real input events (issue 13).

Everything else in tests/ui runs offscreen with synthetic Qt events; this test starts Xvfb and
openbox, opens a copy of the bundled LeNet-5 sample with ``.venv/bin/python main.py
--no-start-page COPY`` on Qt's xcb plugin, and drives it with xdotool (XTest: what a mouse
and a keyboard send): a drag from the Layer Library, a port-to-port link, a block moved and
the move undone (Ctrl+Z), a Tab quick-add, Ctrl+wheel zoom, the wheel over the Properties
fields without focus and with it, Ctrl+S after each step, Alt+F4. The effects are checked
from outside: the saved JSON, the window title, the screenshots, the exit code. The session
itself is scripts/real_window_session.py (also runnable by hand); it waits only on conditions.

Skipped unless Xvfb, xdotool, ImageMagick's ``import`` and openbox are on PATH and Qt's xcb
plugin finds its libraries (docs/linux_libraries.md)::

    sudo apt-get install -y xvfb xdotool imagemagick openbox
    .venv/bin/python -m pytest -m real_window
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.real_window,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 (Xvfb) on Linux only"),
]


def load(name: str):
    """A module of scripts/ (not a package), registered under a name of its own."""
    qualified = f"nd_scripts_{name}"
    spec = importlib.util.spec_from_file_location(qualified, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def session_module():
    checker = load("check_qt_libs")
    session = load("real_window_session")
    missing = session.missing_tools()
    if missing:
        pytest.skip(
            f"the real-window test needs {', '.join(missing)} on PATH: "
            f"sudo apt-get install -y {session.APT_PACKAGES}"
        )
    code, message = checker.check({"DISPLAY": ":0"})  # the xcb plugin, as under Xvfb
    if code:
        pytest.skip(f"Qt's xcb plugin cannot start here:\n{message}")
    return session


def nodes_of(project):
    return {n["id"]: n for n in project["graph"]["nodes"]}


def links_of(project):
    return {tuple(link[:2]) for link in project["graph"]["links"]}


def test_a_short_session_with_real_input_events(session_module, tmp_path):
    report = session_module.run_session(tmp_path / "session")
    # run_session stops at the first step without its effect; these restate what it saw.
    saves = report.saves
    dropped = nodes_of(saves["drop"])
    (new_id,) = set(dropped) - set(nodes_of(saves["opened"]))
    dense = dropped[new_id]
    assert len(dropped) == 10 and dense["type"] == "Dense"  # LeNet-5 and the Dense dragged in
    assert ("n1", dense["id"]) in links_of(saves["connect"])  # input -> dense, port to port
    moved = nodes_of(saves["move"])[dense["id"]]["pos"]
    assert math.dist(moved, dense["pos"]) > 50  # the drag moved the block ...
    assert nodes_of(saves["undo"])[dense["id"]]["pos"] == dense["pos"]  # ... Ctrl+Z back
    added = set(nodes_of(saves["quick-add"])) - set(nodes_of(saves["undo"]))
    assert [nodes_of(saves["quick-add"])[i]["type"] for i in added] == ["Dropout"]
    assert report.zoom[1] > 1.2 * report.zoom[0]  # Ctrl+wheel over the canvas zoomed in
    assert "*" not in report.titles["zoomed"]  # and zooming is not an edit
    assert saves["wheel without focus"]["graph"] == saves["quick-add"]["graph"]
    units = nodes_of(saves["wheel with focus"])[dense["id"]]["params"]["units"]
    assert units == 11  # the control: with focus the wheel does turn the spin box
    assert report.exit_code == 0
    assert report.failures == []
    assert len(report.screenshots) >= 6
    for name, stats in report.screenshots.items():
        assert stats["std"] > 10 and stats["colors"] > 50, (name, stats)
