"""The named damaged project files: each is refused with one ProjectError sentence (or loads
with a visible note), never a traceback, and a good file beside it is not touched."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from designer.app.project import Project, load_project, save_project
from designer.core.errors import ProjectError
from designer.core.graph import LayerGraph
from designer.core.weights import attach


def _project(weights: bool = True) -> Project:
    graph = LayerGraph()
    dense = graph.add("Dense", units=3)
    graph.connect(graph.add("Input", shape=[4]), dense)
    if weights:
        attach(graph.node(dense), [np.ones((4, 3), "float32"), np.zeros(3, "float32")])
    return Project(name="p", graph=graph)


def _json(tmp_path: Path, change) -> Path:
    path = save_project(_project(weights=False), tmp_path / "p.json")
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def _set(key: str, value: Any):
    return lambda data: data.__setitem__(key, value)


def _deep(data: dict) -> None:
    nested: Any = 0
    for _ in range(50_000):
        nested = [nested]
    data["extra"] = nested


JSON_CASES = {
    "graph is a list": _set("graph", []),
    "version 0": _set("version", 0),
    "version -1": _set("version", -1),
    "version true": _set("version", True),
    "port as a float": lambda d: d["graph"]["links"][0].__setitem__(2, 0.5),
    "trainable as text": lambda d: d["graph"]["nodes"][1].__setitem__("trainable", "false"),
    "5000-digit integer": lambda d: d["graph"]["nodes"][1]["params"].__setitem__("units", 10**5000),
}


@pytest.mark.parametrize("case", sorted(JSON_CASES))
def test_a_damaged_json_project_is_refused_in_one_sentence(tmp_path: Path, case: str) -> None:
    import sys

    sys.set_int_max_str_digits(0)  # so that the test can write the 5,000 digits
    try:
        path = _json(tmp_path, JSON_CASES[case])
    finally:
        sys.set_int_max_str_digits(4300)
    with pytest.raises(ProjectError) as refused:
        load_project(path)
    assert "\n" not in str(refused.value) and path.name in str(refused.value)


def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"version": 2, "graph": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ProjectError, match="nest"):
        load_project(path)


def _zip_with(tmp_path: Path, edit) -> Path:
    good = save_project(_project(), tmp_path / "good.ndproj")
    bad = tmp_path / "bad.ndproj"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(
                info, edit(info.filename, data) if info.filename.endswith(".npy") else data
            )
    return bad


def _header(declared: str):
    def edit(name: str, data: bytes) -> bytes:
        return data.replace(b"'shape': (4, 3)", declared.encode()) if b"(4, 3)" in data else data

    return edit


NPY_CASES = {
    "4 TB declared": _header("'shape': (1000000, 1000000)"),
    "malformed header": _header("'shape': (4, 3"),
    "wrong shape": _header("'shape': (3, 4)"),
    "NaN weights": lambda name, data: data[:-4] + np.float32("nan").tobytes(),
}


@pytest.mark.parametrize("case", sorted(NPY_CASES))
def test_damaged_weights_are_refused_or_reported(tmp_path: Path, case: str) -> None:
    bad = _zip_with(tmp_path, NPY_CASES[case])
    good_bytes = (tmp_path / "good.ndproj").read_bytes()
    try:
        project = load_project(bad)
    except ProjectError as exc:
        assert "\n" not in str(exc)
    else:
        assert project.import_notes, "weights dropped without a word"
    assert (tmp_path / "good.ndproj").read_bytes() == good_bytes
