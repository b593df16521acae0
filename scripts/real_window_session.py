#!/usr/bin/env python3
"""A short session with the designer in a real X11 window, driven by real input events.

What it does: starts Xvfb (on a display number it picks itself, ``-displayfd``) and openbox,
opens a copy of the bundled LeNet-5 sample with ``.venv/bin/python main.py --no-start-page
COPY`` (``QT_QPA_PLATFORM`` unset, so Qt loads its xcb plugin, settings in a fresh HOME) and,
with xdotool (XTest: the same events a mouse and a keyboard make):

1. drags *Dense* from the Layer Library onto the canvas, to the right of the input block;
2. connects ``input`` to it by dragging from the output port to the new block's input port;
3. selects and moves the new block, then undoes the move with Ctrl+Z;
4. adds a Dropout with the Tab quick-add popup (Tab over the canvas, type, Enter);
5. zooms in with Ctrl+wheel over the canvas (the view changes, the document does not);
6. turns the wheel over every field of the Properties panel without focus (nothing may
   change), then, as a control, clicks into the ``units`` spin box and turns the wheel once
   (10 -> 11);
7. closes the window with Alt+F4 (the window manager's close).

After every step Ctrl+S saves and the saved JSON is read back and checked: the layer count,
the types, positions, links, parameters. Screenshots (ImageMagick ``import -window root``)
must not be blank, and the process must exit with code 0. Nothing waits on a clock: every
wait polls a condition (the file replaced, the window there or gone, the view redrawn as
expected) with a generous cap.

Where to click is read from the screenshots, since the app has no geometry hook: output ports
are the solid #555 discs; fitting them to the saved node positions (checked by each block's
category colour strip) gives the canvas transform; the Layer Library's rows are found from its
category header colours; the Properties fields are what turns white when a layer is selected.

Usage (needs ``apt-get install -y xvfb xdotool imagemagick openbox`` and Qt's xcb libraries,
see docs/linux_libraries.md)::

    .venv/bin/python scripts/real_window_session.py [--out DIR]

It prints the steps with their times and exits 0 when every check passed. The pytest form is
tests/ui/test_real_window.py (``pytest -m real_window``).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from scipy import ndimage  # noqa: E402

# Cheap imports (no Keras): block geometry, categories and their colours, the library order.
from designer.core import catalog  # noqa: E402
from designer.core.layout import BLOCK_H, BLOCK_W  # noqa: E402
from designer.resources import sample_project_path  # noqa: E402
from designer.ui.canvas.style import CATEGORY_COLORS  # noqa: E402

TOOLS = ("Xvfb", "xdotool", "import", "openbox")
APT_PACKAGES = "xvfb xdotool imagemagick openbox"
SCREEN = (1680, 1050)
PORT_OUT_RGB = (0x55, 0x55, 0x55)  # the fill of an output port (designer/ui/canvas/items.py)
SELECTED_RGB = (0x1E, 0x88, 0xE5)  # a selected block's border
CAP = 90.0  # seconds: the most any single wait may take (a cold start of TensorFlow included)

T = TypeVar("T")


class SessionError(AssertionError):
    """A step of the session did not have the effect it should have."""


def missing_tools() -> list[str]:
    """The programs this session needs that are not on PATH."""
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def hex_rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return (int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16))


def category_of(type_name: str) -> str:
    curated = catalog.CURATED.get(type_name)
    return curated.category if curated else catalog.OTHER


def library_rows() -> list[tuple[str, str | None]]:
    """The Layer Library's rows in order, as LibraryPanel fills its tree from
    ``catalog.library()``: ``(category, None)`` for a header, ``(category, label)`` for an
    entry. Built from the catalog's constants, which needs no Keras; the saved project tells
    whether the row dragged was the layer intended."""
    entries = [(c, label) for c, label, _t, _p, _h in catalog.LIBRARY_PRESETS]
    entries += [
        (cur.category, name)
        for name, cur in catalog.CURATED.items()
        if name not in ("Input", "Model")
    ]
    order = {c: i for i, c in enumerate(catalog.CATEGORIES)}
    entries.sort(key=lambda e: order[e[0]])
    rows: list[tuple[str, str | None]] = []
    for category, label in entries:
        if not rows or rows[-1][0] != category:
            rows.append((category, None))
        rows.append((category, label))
    return rows


def wait_for(
    condition: Callable[[], T | None],
    what: str,
    timeout: float = CAP,
    proc: subprocess.Popen | None = None,
    interval: float = 0.05,
) -> T:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds or
    when ``proc`` exits first. The interval only paces the polling."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value is not None and value is not False:
            return value
        if proc is not None and proc.poll() is not None:
            raise SessionError(
                f"the application exited ({proc.returncode}) while waiting for {what}"
            )
        if time.monotonic() > deadline:
            raise SessionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------------- screen geometry
@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px < self.x + self.w and self.y <= py < self.y + self.h


@dataclass(frozen=True)
class View:
    """Scene -> screen: ``screen = scale * scene + (tx, ty)`` (a QGraphicsView's zoom and
    scroll; the designer never rotates or shears)."""

    scale: float
    tx: float
    ty: float
    matched: tuple[str, ...] = ()  # node ids whose output port was seen where predicted

    def point(self, x: float, y: float) -> tuple[int, int]:
        return round(self.scale * x + self.tx), round(self.scale * y + self.ty)


def near(pixel: np.ndarray, rgb: tuple[int, int, int], tol: int) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - np.array(rgb)) <= tol))


def port_discs(img: np.ndarray, win: Rect) -> list[tuple[float, float]]:
    """Centres of the solid #555 discs (output ports) inside the window."""
    sub = img[win.y : win.y + win.h, win.x : win.x + win.w].astype(np.int16)
    mask = np.abs(sub - np.array(PORT_OUT_RGB)).max(axis=2) <= 6
    labels, _count = ndimage.label(mask)
    centres = []
    for index, sl in enumerate(ndimage.find_objects(labels), start=1):
        h, w = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        if not (5 <= w <= 60 and 5 <= h <= 60 and abs(w - h) <= 2):
            continue
        area = int((labels[sl] == index).sum())
        if area < 0.6 * w * h:  # a disc fills ~0.79 of its box; text strokes much less
            continue
        ys, xs = np.nonzero(labels[sl] == index)
        centres.append((win.x + sl[1].start + xs.mean(), win.y + sl[0].start + ys.mean()))
    return centres


def fit_view(img: np.ndarray, win: Rect, nodes: list[dict[str, Any]]) -> View | None:
    """The scene -> screen transform that puts every output-port disc on the screenshot onto
    a node's output port, checked by the category colour of each matched block's left strip;
    None while the screenshot does not show the project (not painted yet, or still the
    previous state)."""
    discs = np.array(port_discs(img, win))
    if len(discs) < 2:
        return None
    ports = np.array([(n["pos"][0] + BLOCK_W / 2, n["pos"][1] + BLOCK_H) for n in nodes])
    colors = [hex_rgb(CATEGORY_COLORS.get(category_of(n["type"]), "#95a5a6")) for n in nodes]
    best: tuple[int, float, View] | None = None
    tried: set[tuple[float, float, float]] = set()
    for j, k in itertools.combinations(range(len(discs)), 2):
        d_screen = discs[k] - discs[j]
        for a, b in itertools.permutations(range(len(ports)), 2):
            d_scene = ports[b] - ports[a]
            length = float(np.hypot(*d_scene))
            if length < 1:
                continue
            scale = float(np.hypot(*d_screen)) / length
            if not 0.2 <= scale <= 5 or np.hypot(*(d_screen - scale * d_scene)) > 2.5:
                continue
            tx, ty = discs[j] - scale * ports[a]
            key = (round(scale, 3), round(float(tx)), round(float(ty)))
            if key in tried:
                continue
            tried.add(key)
            predicted = scale * ports + np.array([tx, ty])
            dist = np.hypot(*(discs[:, None, :] - predicted[None, :, :]).transpose(2, 0, 1))
            nearest = dist.argmin(axis=1)
            if dist[np.arange(len(discs)), nearest].max() > 3 or len(set(nearest)) < len(discs):
                continue  # a disc that no node explains: not this transform
            strips_ok = True
            for i in nearest:
                sx = scale * (nodes[i]["pos"][0] + 4) + tx
                sy = scale * (nodes[i]["pos"][1] + BLOCK_H / 2) + ty
                if not win.contains(sx, sy) or not near(img[round(sy), round(sx)], colors[i], 24):
                    strips_ok = False
                    break
            if not strips_ok:
                continue
            residual = float(dist[np.arange(len(discs)), nearest].sum())
            view = View(scale, float(tx), float(ty), tuple(nodes[i]["id"] for i in nearest))
            if best is None or (len(nearest), -residual) > (best[0], -best[1]):
                best = (len(nearest), residual, view)
    return best[2] if best else None


def text_rows(mask: np.ndarray, min_pixels: int = 2) -> list[tuple[int, int, int]]:
    """Runs of consecutive rows with at least ``min_pixels`` set: (top, bottom, left x)."""
    rows = np.nonzero(mask.sum(axis=1) >= min_pixels)[0]
    runs: list[tuple[int, int, int]] = []
    for _key, group in itertools.groupby(enumerate(rows), lambda t: t[1] - t[0]):
        ys = [y for _i, y in group]
        left = int(np.nonzero(mask[ys[0] : ys[-1] + 1].any(axis=0))[0].min())
        runs.append((ys[0], ys[-1], left))
    return runs


def library_row_point(img: np.ndarray, win: Rect, label: str) -> tuple[int, int]:
    """Where the Layer Library shows ``label``: from the rows of the first two category
    headers (bold text in the category colour) the row height, then the row of ``label``."""
    rows = library_rows()
    region = Rect(win.x, win.y, int(win.w * 0.2), int(win.h * 0.6))
    sub = img[region.y : region.y + region.h, region.x : region.x + region.w].astype(np.int16)
    headers = [i for i, (_c, lab) in enumerate(rows) if lab is None][:2]
    found = []
    for i in headers:
        rgb = np.array(hex_rgb(CATEGORY_COLORS[rows[i][0]]))
        runs = text_rows(np.abs(sub - rgb).max(axis=2) <= 16)
        if not runs:
            raise SessionError(f"the Layer Library header {rows[i][0]!r} is not on the screen")
        top, bottom, left = runs[0]  # the topmost: the overview under the library comes later
        found.append(((top + bottom) / 2, left))
    (y0, left0), (y1, _left1) = found
    row_h = (y1 - y0) / (headers[1] - headers[0])
    if not 10 <= row_h <= 60:
        raise SessionError(f"Layer Library rows {row_h:.1f} px apart: not the library")
    target = rows.index((category_of(label), label))
    return region.x + left0 + 30, round(region.y + y0 + (target - headers[0]) * row_h)


def blank(img: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> bool:
    """Whether a screen box is canvas background only (white)."""
    box = img[max(y0, 0) : y1, max(x0, 0) : x1]
    return box.size > 0 and bool((box == 255).all())


def white_fields(selected: np.ndarray, plain: np.ndarray, win: Rect) -> list[Rect]:
    """Input fields of the Properties panel: white with a layer selected, panel grey with
    nothing selected (the canvas is white in both, so it drops out)."""
    x0 = win.x + win.w // 2
    a = selected[win.y : win.y + win.h, x0 : win.x + win.w].astype(np.int16)
    b = plain[win.y : win.y + win.h, x0 : win.x + win.w].astype(np.int16)
    b_grey = (b.max(axis=2) - b.min(axis=2) <= 3) & (b.min(axis=2) >= 200) & (b.max(axis=2) <= 250)
    mask = (a == 255).all(axis=2) & b_grey
    labels, _count = ndimage.label(mask)
    fields = []
    for index, sl in enumerate(ndimage.find_objects(labels), start=1):
        h, w = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        if w >= 40 and 12 <= h <= 45 and (labels[sl] == index).sum() >= 0.6 * w * h:
            fields.append(Rect(x0 + sl[1].start, win.y + sl[0].start, w, h))
    return sorted(fields, key=lambda r: (r.y, r.x))


def is_spin_box(img: np.ndarray, rect: Rect) -> bool:
    """A spin box shows two arrows (up above the middle, down below) at its right end; a
    combo box one arrow across the middle, a line edit none."""
    box = img[rect.y - 2 : rect.y + rect.h + 2, rect.x + rect.w - 20 : rect.x + rect.w + 24]
    dark_rows = np.nonzero((box.astype(int).max(axis=2) < 110).sum(axis=1) >= 2)[0]
    middle = (box.shape[0] - 1) / 2
    above = (dark_rows < middle - 1.5).any()
    below = (dark_rows > middle + 1.5).any()
    across = (np.abs(dark_rows - middle) <= 1.5).any()
    return bool(above and below and not across)


def selected_border(img: np.ndarray, view: View, node: dict[str, Any], win: Rect) -> bool:
    """Whether the block of ``node`` has the blue border of a selected block, seen on its top
    or bottom edge between the left strip and the port (either may be scrolled out of view)."""
    x, y = node["pos"]
    hits = 0
    for edge in (y, y + BLOCK_H):
        for frac in (0.2, 0.3, 0.4):
            px, py = view.point(x + BLOCK_W * frac, edge)
            if not (win.contains(px - 2, py - 3) and win.contains(px + 2, py + 3)):
                continue
            box = img[py - 2 : py + 3, px - 1 : px + 2].astype(int)
            hits += bool((np.abs(box - np.array(SELECTED_RGB)).max(axis=2) <= 30).any())
    return hits >= 2


def not_blank(path: Path) -> dict[str, float]:
    """Statistics showing that a screenshot holds a picture (not one flat colour)."""
    img = np.asarray(Image.open(path).convert("RGB"))
    colors = len(np.unique(img.reshape(-1, 3)[:: max(1, img.size // 3 // 200_000)], axis=0))
    return {
        "std": float(img.std()),
        "colors": colors,
        "width": img.shape[1],
        "height": img.shape[0],
    }


# ---------------------------------------------------------------------- the session
@dataclass
class Report:
    """What the session saw: the checks passed, the saved projects, the times."""

    out: Path
    steps: list[tuple[str, float]] = field(default_factory=list)
    saves: dict[str, dict[str, Any]] = field(default_factory=dict)
    screenshots: dict[str, dict[str, float]] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # checks that failed without stopping
    fields: list[Rect] = field(default_factory=list)  # the Properties fields found
    exit_code: int | None = None
    titles: dict[str, str] = field(default_factory=dict)
    zoom: tuple[float, float] = (0.0, 0.0)
    move_offset: tuple[int, int] = (0, 0)  # moved block vs release point, in pixels
    view_shift: tuple[float, float] = (0.0, 0.0)  # how far the canvas scrolled by the move
    seconds: float = 0.0


class Session:
    """Xvfb + openbox + the application, and the xdotool/ImageMagick helpers to drive them."""

    def __init__(self, out: Path, python: str | None = None) -> None:
        self.out = out
        self.out.mkdir(parents=True, exist_ok=True)
        venv = ROOT / ".venv" / "bin" / "python"
        self.python = python or (str(venv) if venv.exists() else sys.executable)
        self.procs: list[subprocess.Popen] = []
        self.logs: list[Any] = []
        self.display = ""
        self.app: subprocess.Popen | None = None
        self.window = ""
        self.win = Rect(0, 0, 0, 0)
        self.home = out / "home"
        self.report = Report(out)
        self._t0 = time.monotonic()
        self._shots = 0

    # -------------------------------------------------------------- processes
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "XDG_", "WAYLAND"))}
        runtime = self.out / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env.update(
            DISPLAY=self.display,
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_RUNTIME_DIR=str(runtime),
            ND_RECOVERY_DIR=str(self.out / "recovery"),
            ND_LOG_DIR=str(self.out / "logs"),
        )
        env.pop("SESSION_MANAGER", None)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        return env

    def _spawn(self, args: list[str], log: str, **kwargs: Any) -> subprocess.Popen:
        handle = open(self.out / log, "wb")  # noqa: SIM115 - closed in close()
        self.logs.append(handle)
        proc = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, **kwargs)
        self.procs.append(proc)
        return proc

    def start_x(self) -> None:
        """Xvfb on a display number it chooses (``-displayfd``), then openbox, ready when its
        ``--startup`` command has run."""
        self.home.mkdir(parents=True, exist_ok=True)
        read_fd, write_fd = os.pipe()
        width, height = SCREEN
        self._spawn(
            [
                "Xvfb",
                "-displayfd",
                str(write_fd),
                "-screen",
                "0",
                f"{width}x{height}x24",
                "-nolisten",
                "tcp",
            ],
            "xvfb.log",
            pass_fds=(write_fd,),
        )
        os.close(write_fd)
        number = b""
        deadline = time.monotonic() + CAP
        while not number.endswith(b"\n"):
            ready, _w, _x = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_fd, 16) if ready else b""
            if not chunk:
                raise SessionError(
                    f"Xvfb did not start: {(self.out / 'xvfb.log').read_text()[-500:]}"
                )
            number += chunk
        os.close(read_fd)
        self.display = f":{int(number)}"
        started = self.out / "openbox-started"
        wm = self._spawn(
            ["openbox", "--sm-disable", "--startup", f"touch {shlex.quote(str(started))}"],
            "openbox.log",
            env=self.env(),
        )
        wait_for(started.exists, "openbox to start", proc=wm)

    def launch(self, project: Path) -> None:
        self.app = self._spawn(
            [self.python, "main.py", "--no-start-page", str(project)],
            "app.log",
            cwd=ROOT,
            env=self.env(),
        )

    def close(self) -> None:
        """Stop what this session started (each by its own process), newest first."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=20)
        for handle in self.logs:
            handle.close()

    # -------------------------------------------------------------- X helpers
    def xdo(self, *args: Any, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["xdotool", *map(str, args)], capture_output=True, text=True, env=self.env(), timeout=60
        )
        if check and result.returncode != 0:
            raise SessionError(f"xdotool {' '.join(map(str, args))}: {result.stderr.strip()}")
        return result

    def grab(self, name: str | None = None) -> np.ndarray:
        """A screenshot of the whole screen (kept under ``out`` when named)."""
        result = subprocess.run(
            ["import", "-window", "root", "png:-"], capture_output=True, env=self.env(), timeout=60
        )
        if result.returncode != 0:
            raise SessionError(f"import -window root: {result.stderr.decode()[-300:]}")
        if name:
            self._shots += 1
            path = self.out / f"{self._shots:02d}-{name}.png"
            path.write_bytes(result.stdout)
            self.report.screenshots[path.name] = not_blank(path)
        return np.asarray(Image.open(BytesIO(result.stdout)).convert("RGB"))

    def grab_until(self, ready: Callable[[np.ndarray], bool], what: str) -> np.ndarray:
        """The first screenshot for which ``ready`` holds."""
        return wait_for(
            lambda: (lambda img: img if ready(img) else None)(self.grab()),
            what,
            proc=self.app,
            interval=0.1,
        )

    def title(self) -> str:
        return self.xdo("getwindowname", self.window).stdout.strip()

    def find_window(self) -> str | None:
        """The main window: the largest visible window whose title ends in Network Designer."""
        found = self.xdo("search", "--onlyvisible", "--name", "Network Designer$", check=False)
        best = None
        for wid in found.stdout.split():
            geo = self.xdo("getwindowgeometry", "--shell", wid, check=False).stdout
            values = dict(line.split("=", 1) for line in geo.split() if "=" in line)
            if {"X", "Y", "WIDTH", "HEIGHT"} <= values.keys():
                rect = Rect(*(int(values[k]) for k in ("X", "Y", "WIDTH", "HEIGHT")))
                if (
                    rect.w > 400
                    and rect.h > 300
                    and (best is None or rect.w * rect.h > best[1].w * best[1].h)
                ):
                    best = (wid, rect)
        if best is None:
            return None
        self.window, self.win = best
        return self.window

    def park(self) -> None:
        """The pointer off the window (no hover highlight, no tooltip), in the screen corner
        farthest from it."""
        width, height = SCREEN
        x = 3 if self.win.x > width - (self.win.x + self.win.w) else width - 3
        y = 3 if self.win.y > height - (self.win.y + self.win.h) else height - 3
        self.xdo("mousemove", x, y)

    def drag(self, start: tuple[int, int], end: tuple[int, int], steps: int = 12) -> None:
        """Press, move in steps (past Qt's drag distance), linger over the target, release."""
        args: list[Any] = ["mousemove", *start, "mousedown", "1"]
        for i in range(1, steps + 1):
            f = i / steps
            args += [
                "mousemove",
                round(start[0] + f * (end[0] - start[0])),
                round(start[1] + f * (end[1] - start[1])),
            ]
        args += ["mousemove", end[0] + 1, end[1], "mousemove", *end, "mouseup", "1"]
        self.xdo(*args)

    def wheel(
        self, point: tuple[int, int], button: int, clicks: int = 1, ctrl: bool = False
    ) -> None:
        args: list[Any] = ["mousemove", *point]
        if ctrl:
            args += ["keydown", "ctrl"]
        args += ["click", "--repeat", clicks, "--delay", 30, button]
        if ctrl:
            args += ["keyup", "ctrl"]
        self.xdo(*args)

    # -------------------------------------------------------------- project checks
    def stat(self, path: Path) -> tuple[int, int, int]:
        st = path.stat()
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def save(self, path: Path, step: str) -> dict[str, Any]:
        """Ctrl+S, wait until the file is replaced (saves are atomic: a new inode), read it."""
        before = self.stat(path)
        self.xdo("key", "--clearmodifiers", "ctrl+s")
        wait_for(
            lambda: self.stat(path) != before,
            f"{path.name} to be saved after {step}",
            proc=self.app,
        )
        data = json.loads(path.read_text())
        self.report.saves[step] = data
        return data

    def wait_view(
        self,
        project: dict[str, Any],
        what: str,
        must_match: tuple[str, ...] = (),
        differs: View | None = None,
    ) -> View:
        """A screenshot that shows ``project`` (a consistent transform, with ``must_match``
        among the ports seen, and a different zoom from ``differs`` when given)."""
        self.park()
        nodes = project["graph"]["nodes"]

        def attempt() -> View | None:
            view = fit_view(self.grab(), self.win, nodes)
            if view is None or not set(must_match) <= set(view.matched):
                return None
            if differs is not None and abs(view.scale - differs.scale) < 0.02 * differs.scale:
                return None
            return view

        return wait_for(attempt, f"the canvas to show {what}", proc=self.app, interval=0.1)

    def step(self, name: str) -> None:
        now = time.monotonic()
        self.report.steps.append((name, round(now - self._t0, 2)))
        self._t0 = now

    def check(self, ok: bool, text: str, fatal: bool = True) -> None:
        """Record a check; a failed one stops the session, unless it is not ``fatal`` (the
        steps after it do not depend on it): then it is reported at the end."""
        if ok:
            self.report.checks.append(text)
        elif fatal:
            raise SessionError(f"{text} (screenshots and logs in {self.out})")
        else:
            self.report.failures.append(text)


def node_by_id(project: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in project["graph"]["nodes"] if n["id"] == node_id)


def graph_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs between two saved graphs, one line per node or link set."""
    old = {n["id"]: n for n in before["graph"]["nodes"]}
    new = {n["id"]: n for n in after["graph"]["nodes"]}
    lines = [
        f"{i}: {old.get(i)} -> {new.get(i)}"
        for i in sorted(old.keys() | new.keys())
        if old.get(i) != new.get(i)
    ]
    if before["graph"]["links"] != after["graph"]["links"]:
        lines.append(f"links: {before['graph']['links']} -> {after['graph']['links']}")
    return lines


def new_nodes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    known = {n["id"] for n in before["graph"]["nodes"]}
    return [n for n in after["graph"]["nodes"] if n["id"] not in known]


def run_session(out: Path, python: str | None = None) -> Report:
    """The whole session (see the module docstring); raises SessionError at the first step
    whose effect is not the expected one."""
    if missing_tools():
        raise SessionError(
            f"missing {', '.join(missing_tools())}: apt-get install -y {APT_PACKAGES}"
        )
    started = time.monotonic()
    session = Session(out, python)
    report = session.report
    project = out / "lenet5.json"
    shutil.copyfile(sample_project_path(), project)
    original = json.loads(project.read_text())
    report.saves["opened"] = original
    try:
        session.start_x()
        session.launch(project)
        wait_for(session.find_window, "the main window", proc=session.app, interval=0.1)
        session.xdo("windowactivate", "--sync", session.window)
        report.titles["opened"] = session.title()
        session.check("*" not in report.titles["opened"], "the sample opens unmodified")
        view = session.wait_view(original, "the sample", must_match=("n1", "n2"))
        session.grab("opened")
        session.step("start Xvfb, openbox and the app; window shown")
        by_name = {n["name"]: n for n in original["graph"]["nodes"]}
        source = by_name["input"]

        # 1. Dense from the Layer Library onto the canvas, right of the input block.
        img = session.grab()
        start = library_row_point(img, session.win, "Dense")
        target_scene = (
            source["pos"][0] + BLOCK_W + 60 + BLOCK_W / 2,
            source["pos"][1] + BLOCK_H / 2,
        )
        tx, ty = view.point(*target_scene)
        half_w, half_h = round(view.scale * BLOCK_W / 2) + 8, round(view.scale * BLOCK_H / 2) + 8
        session.check(
            blank(img, tx - half_w, ty - half_h, tx + half_w, ty + half_h),
            "free canvas right of the input block",
        )
        session.drag(start, (tx, ty), steps=16)
        saved = session.save(project, "drop")
        added = new_nodes(original, saved)
        session.check(
            len(saved["graph"]["nodes"]) == 10 and len(added) == 1, "the drop added one layer"
        )
        dense = added[0]
        session.check(
            dense["type"] == "Dense", f"the layer dropped is a Dense (got {dense['type']})"
        )
        expected = (target_scene[0] - BLOCK_W / 2, target_scene[1] - BLOCK_H / 2)
        session.check(
            math.dist(dense["pos"], expected) <= 3 / view.scale + 1,
            f"Dense dropped where the pointer released it ({dense['pos']} vs {expected})",
        )
        view = session.wait_view(saved, "the dropped Dense", must_match=(source["id"], dense["id"]))
        session.grab("dropped")
        session.step("drag Dense from the Layer Library onto the canvas")

        # 2. Connect input -> dense: from the output port to the input port.
        out_port = view.point(source["pos"][0] + BLOCK_W / 2, source["pos"][1] + BLOCK_H)
        in_port = view.point(dense["pos"][0] + BLOCK_W / 2, dense["pos"][1])
        session.drag(out_port, in_port)
        saved = session.save(project, "connect")
        links = [tuple(link[:2]) for link in saved["graph"]["links"]]
        session.check((source["id"], dense["id"]) in links, "the port drag linked input -> dense")
        session.check(len(links) == len(original["graph"]["links"]) + 1, "one link more")
        view = session.wait_view(saved, "the link", must_match=(dense["id"],))
        session.step("connect input -> dense by dragging between ports")

        # 3. Select and move the block, then Ctrl+Z.
        before_move = node_by_id(saved, dense["id"])["pos"]
        grip = view.point(before_move[0] + BLOCK_W * 0.45, before_move[1] + BLOCK_H * 0.55)
        # Left and down, inside the scene's present bounds: a drag that makes the scene grow
        # sideways scrolls the centred canvas under the pointer (see move_offset/view_shift).
        dx, dy = -40, 96
        release = (grip[0] + dx, grip[1] + dy)
        session.drag(grip, release, steps=8)
        saved = session.save(project, "move")
        moved = node_by_id(saved, dense["id"])["pos"]
        want = (before_move[0] + dx / view.scale, before_move[1] + dy / view.scale)
        session.check(
            math.dist(moved, want) <= 2 / view.scale + 0.5,
            f"the block moved with the pointer ({before_move} -> {moved}, expected {want})",
        )
        session.check(
            all(node_by_id(saved, n["id"])["pos"] == n["pos"] for n in original["graph"]["nodes"]),
            "only the dragged block moved",
        )
        before_view = view
        view = session.wait_view(saved, "the moved block", must_match=(dense["id"],))
        under = view.point(moved[0] + BLOCK_W * 0.45, moved[1] + BLOCK_H * 0.55)
        report.move_offset = (under[0] - release[0], under[1] - release[1])
        report.view_shift = (round(view.tx - before_view.tx, 1), round(view.ty - before_view.ty, 1))
        session.check(
            math.dist(under, release) <= 3,
            f"the grabbed point of the block is under the pointer ({under} vs {release})",
        )
        session.grab("moved")
        session.xdo("key", "--clearmodifiers", "ctrl+z")
        saved = session.save(project, "undo")
        session.check(
            node_by_id(saved, dense["id"])["pos"] == before_move, "Ctrl+Z put the block back"
        )
        session.check(
            (source["id"], dense["id"]) in [tuple(lk[:2]) for lk in saved["graph"]["links"]],
            "Ctrl+Z undid the move only",
        )
        view = session.wait_view(saved, "the block back in place", must_match=(dense["id"],))
        session.grab("undone")
        session.step("select and move the block, Ctrl+Z")

        # 4. Tab quick-add: a Dropout below the Dense.
        img = session.grab()
        spot_scene = (before_move[0], before_move[1] + 3 * 140)
        sx, sy = view.point(*spot_scene)
        session.check(
            blank(
                img,
                sx - 6,
                sy - 6,
                sx + round(view.scale * BLOCK_W) + 6,
                sy + round(view.scale * BLOCK_H) + 6,
            ),
            "free canvas below the Dense for the quick-add",
        )
        session.xdo("mousemove", sx, sy, "key", "Tab")
        session.xdo("type", "--delay", 40, "Dropout")
        session.xdo("key", "Return")
        before = saved
        saved = session.save(project, "quick-add")
        added = new_nodes(before, saved)
        session.check(
            len(added) == 1 and added[0]["type"] == "Dropout",
            f"Tab, 'Dropout', Enter added a Dropout ({added})",
        )
        session.check(
            math.dist(added[0]["pos"], spot_scene) <= 3 / view.scale + 1,
            f"the Dropout is at the pointer ({added[0]['pos']} vs {spot_scene})",
        )
        dropout = added[0]
        view = session.wait_view(saved, "the Dropout", must_match=(dropout["id"],))
        session.step("Tab quick-add a Dropout")

        # 5. Ctrl+wheel over the canvas: zoom in around a blank point beside the Dense.
        title_before = session.title()
        # Right of the Dense, level with its middle: it stays in view as the canvas grows.
        anchor = view.point(before_move[0] + BLOCK_W + 30, before_move[1] + BLOCK_H / 2)
        session.check(
            blank(session.grab(), anchor[0] - 4, anchor[1] - 4, anchor[0] + 4, anchor[1] + 4),
            "blank canvas right of the Dense",
        )
        session.wheel(anchor, 4, clicks=2, ctrl=True)
        zoomed = session.wait_view(
            saved, "the zoomed view", must_match=(dense["id"],), differs=view
        )
        report.zoom = (view.scale, zoomed.scale)
        session.check(
            zoomed.scale > view.scale * 1.2,
            f"Ctrl+wheel up zoomed in ({view.scale:.3f} -> {zoomed.scale:.3f})",
        )
        session.grab("zoomed")
        report.titles["zoomed"] = session.title()
        session.check(
            title_before == report.titles["zoomed"] and "*" not in report.titles["zoomed"],
            "zooming is not an edit",
        )
        view = zoomed
        session.step("Ctrl+wheel zoom over the canvas")

        # 6. The wheel over the Properties fields without focus changes nothing.
        body = view.point(before_move[0] + BLOCK_W * 0.45, before_move[1] + BLOCK_H * 0.55)
        blank_spot = view.point(before_move[0] + BLOCK_W + 30, before_move[1] + BLOCK_H / 2)
        session.xdo("mousemove", *blank_spot, "click", 1)
        session.park()
        nodes = saved["graph"]["nodes"]
        plain = session.grab_until(
            lambda im: not any(selected_border(im, view, n, session.win) for n in nodes),
            "nothing selected",
        )
        session.xdo("mousemove", *body, "click", 1)
        session.park()
        selected = session.grab_until(
            lambda im: selected_border(im, view, node_by_id(saved, dense["id"]), session.win),
            "the Dense selected",
        )
        Image.fromarray(selected).save(out / "properties-selected.png")
        fields = white_fields(selected, plain, session.win)
        spins = [f for f in fields if is_spin_box(selected, f)]
        report.fields = fields
        session.check(
            len(fields) >= 3 and spins,
            f"the Properties panel shows fields and a spin box ({fields}, spins {spins})",
        )
        before = saved
        # Wheel *up*: the panel is scrolled to its top, so the scroll area the guard hands the
        # wheel to does not move and every field stays where it was seen.
        for rect in fields:
            session.wheel((rect.x + rect.w // 2, rect.y + rect.h // 2), 4, clicks=2)
        saved = session.save(project, "wheel without focus")
        session.check(
            saved["graph"] == before["graph"],
            "the wheel over unfocused Properties fields changed nothing; it changed "
            + "; ".join(graph_changes(before, saved)),
            fatal=False,
        )
        report.titles["after wheel"] = session.title()
        session.step("wheel over the Properties fields without focus")

        # ... and with focus it does (the control: the widest spin box is units).
        units = max(spins, key=lambda r: (r.w, -r.y))
        point = (units.x + 12, units.y + units.h // 2)
        value = node_by_id(saved, dense["id"])["params"].get("units", 10)
        session.xdo("mousemove", *point, "click", 1)
        session.wheel(point, 4, clicks=1)
        saved = session.save(project, "wheel with focus")
        params = node_by_id(saved, dense["id"])["params"]
        session.check(
            params.get("units") == value + 1,
            f"the wheel over the focused units box: {value} -> {value + 1} (got {params.get('units')})",
        )
        session.grab("units-changed")
        session.step("wheel over the focused units spin box")

        # 7. Close with Alt+F4: saved, so no question; the process exits 0.
        session.xdo("key", "--clearmodifiers", "alt+F4")
        app = session.app
        wait_for(lambda: app.poll() is not None, "the application to exit")
        report.exit_code = app.returncode
        session.check(
            report.exit_code == 0, f"the application exited with code 0 (got {report.exit_code})"
        )
        session.check(
            not session.xdo(
                "search", "--onlyvisible", "--name", "Network Designer$", check=False
            ).stdout.strip(),
            "no window left",
        )
        final = json.loads(project.read_text())
        session.check(final == saved, "the file on disk is the last save")
        session.step("Alt+F4 closes the window, exit code 0")
        for name, stats in report.screenshots.items():
            session.check(
                stats["std"] > 10 and stats["colors"] > 50,
                f"screenshot {name} is not blank ({stats})",
            )
        if report.failures:
            raise SessionError(
                f"{len(report.failures)} check(s) failed: " + " | ".join(report.failures)
            )
    except SessionError as exc:
        exc.report = report  # type: ignore[attr-defined]
        raise
    finally:
        if session.app is not None and session.app.poll() is None:
            with contextlib.suppress(SessionError, OSError, subprocess.SubprocessError):
                session.grab("at-failure")
        session.close()
    report.seconds = round(time.monotonic() - started, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("real-window-session"),
        help="screenshots, logs, the project",
    )
    parser.add_argument(
        "--python", help="the interpreter that runs main.py (default .venv/bin/python)"
    )
    args = parser.parse_args(argv)
    try:
        report = run_session(args.out.resolve(), args.python)
    except SessionError as exc:
        for name, seconds in getattr(exc, "report", Report(args.out)).steps:
            print(f"{seconds:7.2f} s  {name}")
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    for name, seconds in report.steps:
        print(f"{seconds:7.2f} s  {name}")
    print(
        f"canvas scrolled by {report.view_shift} px during the move; block off the pointer by {report.move_offset} px"
    )
    print(f"{len(report.checks)} checks passed in {report.seconds} s; screenshots in {report.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
