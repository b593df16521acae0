"""Files are data, never code: a project cannot run a SavedModel, import a module or exhaust
memory, and a save killed at any moment leaves the old file or the new one."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from designer.app.project import Project, load_project, save_project
from designer.core.errors import ProjectError
from designer.core.graph import LayerGraph
from designer.core.project_file import temporaries_of
from designer.core.weights import attach

ROOT = Path(__file__).resolve().parents[2]


def _main(*argv: str) -> subprocess.CompletedProcess:
    """``main.py ARGV`` in a fresh process (consent given in this one does not carry over)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *argv], capture_output=True, text=True, timeout=300
    )


def test_a_project_naming_a_saved_model_does_not_run_it_without_unsafe(tmp_path: Path) -> None:
    import tensorflow as tf

    from designer.app.files import open_path

    marker = tmp_path / "written-by-the-graph.txt"

    class Writer(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
        def serve(self, x):
            tf.io.write_file(str(marker), "the SavedModel ran")
            return {"out": x * 2.0}

    module = Writer()
    tf.saved_model.save(module, str(tmp_path / "sm"), signatures={"serving_default": module.serve})
    save_project(open_path(tmp_path / "sm"), tmp_path / "evil.json")  # opening a folder: consent
    assert not marker.exists()

    for command in ("analyze", "export"):
        extra = (
            ("--format", "savedmodel", "--out", str(tmp_path / "out"))
            if command == "export"
            else ()
        )
        result = _main(command, str(tmp_path / "evil.json"), *extra)
        assert result.returncode == 2, result.stderr
        assert "TFSMLayer" in result.stderr and "--unsafe" in result.stderr
        assert "Traceback" not in result.stderr and not marker.exists()

    result = _main(
        "export",
        str(tmp_path / "evil.json"),
        "--format",
        "savedmodel",
        "--out",
        str(tmp_path / "out2"),
        "--unsafe",
    )
    assert result.returncode == 0, result.stderr
    assert marker.exists()  # the graph does run once the user allows it: the refusal mattered


def test_a_class_path_never_imports_the_module_it_names(tmp_path: Path, monkeypatch) -> None:
    marker = tmp_path / "imported.txt"
    (tmp_path / "evil_module.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\nclass Thing: pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = LayerGraph()
    graph.add("Input", shape=[4])
    data = Project(name="p", graph=graph)
    save_project(data, tmp_path / "p.json")
    text = (tmp_path / "p.json").read_text().replace('"Input"', '"evil_module:Thing"', 1)
    (tmp_path / "p.json").write_text(text)
    with pytest.raises(ProjectError, match="evil_module:Thing"):
        load_project(tmp_path / "p.json")
    assert not marker.exists() and "evil_module" not in sys.modules


def test_a_zip_bomb_is_refused_with_its_figures_before_it_is_unpacked(tmp_path: Path) -> None:
    good = save_project(Project(name="p"), tmp_path / "p.ndproj")
    bomb = tmp_path / "bomb.ndproj"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("weights/n1.npy", b"\0" * (300 * 2**20))
    assert bomb.stat().st_size < 2 * 2**20
    with pytest.raises(ProjectError, match=r"unpack to [\d,]+ bytes .* times its size"):
        load_project(bomb)


def test_saving_keeps_the_file_mode_and_removes_temporaries_of_killed_saves(tmp_path) -> None:
    path = save_project(Project(name="p"), tmp_path / "net.ndproj")
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()
    os.chmod(path, 0o640)
    dead = tmp_path / ".net.ndproj.999999999-0badf00d.tmp"  # no such process
    older = tmp_path / ".net.ndproj.x1y2z3.tmp"  # an older version's unnamed temporary
    for leftover in (dead, older):
        leftover.write_bytes(b"half a save")
    save_project(Project(name="p2"), path)
    assert path.stat().st_mode & 0o777 == 0o640
    assert temporaries_of(path) == []
    assert load_project(path).name == "p2"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _saver(path: str, conn, first: int) -> None:
    """Save two versions of a largish project over ``path`` in turn, forever."""
    versions = []
    for name, value in (("old", 0.0), ("new", 1.0)):
        graph = LayerGraph()
        node = graph.add("Dense", units=256)
        graph.connect(graph.add("Input", shape=[512]), node)
        attach(graph.node(node), [np.full((512, 256), value, "float32"), np.zeros(256, "float32")])
        versions.append(Project(name=name, graph=graph))
    count = first
    while True:
        save_project(versions[count % 2], path)
        count += 1
        conn.send(count)


def test_a_save_killed_at_any_moment_leaves_the_old_file_or_the_new(tmp_path: Path) -> None:
    path = tmp_path / "net.ndproj"
    rng = random.Random(12)
    context = multiprocessing.get_context("fork")
    seen, saves = set(), 0
    for kill in range(30):
        parent, child_end = context.Pipe()
        child = context.Process(target=_saver, args=(str(path), child_end, kill), daemon=True)
        child.start()
        for _ in range(rng.randint(1, 4)):  # a few whole saves first (waited for, not timed)
            assert parent.poll(120), "the saving process stopped saving"
            saves += parent.recv() > 0
        parent.poll(rng.uniform(0.0, 0.03))  # then a random moment, mid-save or between saves
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        loaded = load_project(path)
        assert loaded.name in ("old", "new")
        weights = loaded.graph.find("dense").weights
        assert weights is not None and float(weights[0][0, 0]) == (loaded.name == "new")
        seen.add(loaded.name)
    save_project(Project(name="after"), path)
    assert temporaries_of(path) == []
    assert seen == {"old", "new"} and saves >= 30
