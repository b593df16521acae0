"""Project files: round trip with weights, byte-identical re-save, atomic save, bad files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from designer.app.files import UnsafeModelError, open_path
from designer.app.project import (
    Project,
    ProjectError,
    load_project,
    project_bytes,
    save_project,
)
from designer.core.build import build_model, graph_from_model
from designer.data.builtin import SyntheticConfig
from designer.training.options import TrainingOptions


def _trained_project() -> tuple[Project, keras.Model]:
    x = keras.Input((6,), name="x")
    h = keras.layers.Dense(4, name="hidden")(x)
    y = keras.layers.Dense(2, activation="softmax", name="out")(h)
    model = keras.Model(x, y)
    graph = graph_from_model(model)
    graph.set_trainable(graph.find("hidden").id, False)
    graph.move(graph.find("out").id, (12.5, 300))
    project = Project.from_sections(
        graph, "demo", data={"source": {"kind": "synthetic"}}, training={"max_epochs": 3}
    )
    return project, model


def test_save_load_keeps_everything_and_resave_is_identical(tmp_path: Path) -> None:
    project, model = _trained_project()
    path = save_project(project, tmp_path / "demo.ndproj")
    loaded = load_project(path)
    assert loaded.graph == project.graph
    assert loaded.name == "demo" and loaded.settings.data.source == SyntheticConfig()
    assert loaded.settings.training == TrainingOptions(max_epochs=3)
    assert not loaded.graph.find("hidden").trainable
    assert loaded.graph.find("out").pos == (12.5, 300.0)
    rebuilt = build_model(loaded.graph)
    x = np.random.default_rng(0).random((3, 6)).astype("float32")
    np.testing.assert_array_equal(model(x), rebuilt(x))  # the weights came back
    save_project(loaded, tmp_path / "again.ndproj")
    assert (tmp_path / "again.ndproj").read_bytes() == path.read_bytes()
    assert project_bytes(loaded) == project_bytes(project)


def test_file_is_plain_json_and_npy_never_pickle(tmp_path: Path) -> None:
    project, _ = _trained_project()
    path = save_project(project, tmp_path / "p.ndproj")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        meta = json.loads(archive.read("project.json"))
    assert names[0] == "project.json"
    assert all(n.endswith(".npy") for n in names[1:])
    assert meta["format"] == "network-designer-project" and meta["version"] == 2


def test_json_project_without_weights(tmp_path: Path, lenet) -> None:
    graph, _ = lenet
    path = save_project(Project(graph=graph, name="lenet"), tmp_path / "lenet.json")
    assert load_project(path).graph == graph
    project, _ = _trained_project()
    with pytest.raises(ProjectError, match="cannot hold weights"):
        save_project(project, tmp_path / "weights.json")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"PK\x03\x04 broken zip", "damaged"),
        (b"{not json", "damaged"),
        (b"[1, 2]", "not a project file"),
        (b'{"format": "something-else", "version": 1}', "not a Network Designer project"),
        (b'{"format": "network-designer-project", "version": 99}', "newer Network Designer"),
        (
            b'{"format": "network-designer-project", "version": 1, "graph": {"nodes": [{"id": 1}]}}',
            "damaged",
        ),
    ],
)
def test_bad_files_are_refused_and_the_good_one_is_untouched(
    tmp_path: Path, content: bytes, message: str
) -> None:
    project, _ = _trained_project()
    good = save_project(project, tmp_path / "good.ndproj")
    before = good.read_bytes()
    bad = tmp_path / "bad.ndproj"
    bad.write_bytes(content)
    with pytest.raises(ProjectError, match=message):
        load_project(bad)
    assert good.read_bytes() == before


def test_save_into_a_missing_folder_is_refused(tmp_path: Path) -> None:
    project, _ = _trained_project()
    with pytest.raises(ProjectError, match="does not exist"):
        save_project(project, tmp_path / "missing" / "p.ndproj")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_cleans_up_its_temporary_file(tmp_path: Path, monkeypatch) -> None:
    project, _ = _trained_project()
    path = save_project(project, tmp_path / "p.ndproj")
    before = path.read_bytes()

    def refuse(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("designer.core.project_file.os.replace", refuse)
    project.graph.add("Dense", name="extra")
    with pytest.raises(ProjectError, match="No space left"):
        save_project(project, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.ndproj"]


def test_open_path_imports_keras_and_h5_models_laid_out(tmp_path: Path) -> None:
    _, model = _trained_project()
    for suffix in (".keras", ".h5"):
        file = tmp_path / f"m{suffix}"
        model.save(file)
        project = open_path(file)
        assert project.path is None and project.name == "m"
        assert len({n.pos for n in project.graph.nodes}) == len(project.graph)
        rebuilt = build_model(project.graph)
        x = np.ones((1, 6), "float32")
        np.testing.assert_allclose(model(x), rebuilt(x), atol=1e-6)


def test_lambda_model_needs_consent(tmp_path: Path) -> None:
    x = keras.Input((3,))
    model = keras.Model(x, keras.layers.Lambda(lambda t: t * 2)(x))
    model.save(tmp_path / "lam.keras")
    with pytest.raises(UnsafeModelError, match="Lambda"):
        open_path(tmp_path / "lam.keras")


def test_open_path_refuses_unknown_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ProjectError, match="expected a project"):
        open_path(tmp_path / "notes.txt")
    with pytest.raises(ProjectError, match="no such file"):
        open_path(tmp_path / "nothing.ndproj")


def test_savedmodel_folder_opens_as_an_opaque_block_with_a_note(tmp_path: Path) -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d")])
    model.export(tmp_path / "exported", format="tf_saved_model", verbose=False)
    project = open_path(tmp_path / "exported")
    types = [n.type for n in project.graph.nodes]
    assert types == ["Input", "TFSMLayer"]
    assert any("SavedModel graph" in note for note in project.import_notes)
    rebuilt = build_model(project.graph)
    x = np.random.default_rng(0).random((2, 4)).astype("float32")
    out = keras.tree.flatten(rebuilt(x))[0]
    np.testing.assert_allclose(np.asarray(out), np.asarray(model(x)), atol=1e-6)


def test_generic_layers_survive_a_save_and_a_load_in_a_fresh_process(tmp_path: Path) -> None:
    import subprocess
    import sys

    model = keras.applications.ConvNeXtTiny(weights=None, input_shape=(32, 32, 3), classes=3)
    project = Project(graph=graph_from_model(model), name="convnext")
    assert any(n.type.endswith(":LayerScale") for n in project.graph.nodes)
    path = save_project(project, tmp_path / "convnext.ndproj")
    script = (
        "import sys; from designer.app.project import load_project; "
        "from designer.core.analysis import analyze; from designer.core.build import "
        "build_model; p = load_project(sys.argv[1]); r = analyze(p.graph); "
        "assert r.ok, [i.message for i in r.errors]; "
        "print(build_model(p.graph).count_params())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip().splitlines()[-1]) == model.count_params()
