"""Version-1 project files of every layout load as typed settings (format version 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from designer.app.data_settings import effective_preprocess
from designer.app.project import load_project, save_project
from designer.app.project_run import prepare_run
from designer.core.project_file import VERSION, ProjectError
from designer.data.builtin import SyntheticConfig
from designer.data.images import ImageFolderConfig
from designer.data.splits import SplitConfig
from designer.training.options import TrainingOptions
from tests.conftest import make_lenet


def _v1_file(tmp_path: Path, name: str = "old.json", **sections) -> Path:
    """A version-1 project file holding LeNet-5 and the given sections, as version 1 wrote them."""
    graph, _ = make_lenet()
    payload = {
        "format": "network-designer-project",
        "version": 1,
        "name": "old",
        "graph": graph.to_dict(),
        **sections,
    }
    path = tmp_path / name
    path.write_text(json.dumps(payload))
    return path


def test_hand_written_sample_layout_gets_its_validation_share(tmp_path: Path) -> None:
    # Version 1: the GUI read 30 % validation from this, training refused it with a DataError.
    path = _v1_file(
        tmp_path,
        data={"kind": "synthetic_digits", "samples": 100, "seed": 3, "validation_split": 0.3},
    )
    project = load_project(path)
    data = project.settings.data
    assert data.source == SyntheticConfig(charset="digits", num_samples=100, seed=3)
    assert data.split == SplitConfig(validation_percent=30.0, seed=3)
    run = prepare_run(project, epochs=1)  # training reads the same settings as the GUI
    assert (run.data.num_train, run.data.num_validation) == (70, 30)


def test_bare_datastore_config_with_its_split_beside_it(tmp_path: Path) -> None:
    path = _v1_file(
        tmp_path,
        data={
            "kind": "image-folder",
            "path": "/data/cats",
            "split": {"validation_percent": 10, "seed": 4},
        },
    )
    data = load_project(path).settings.data
    assert data.source == ImageFolderConfig(path="/data/cats")
    assert data.split == SplitConfig(validation_percent=10, seed=4)


def test_gui_layout_with_full_preprocessing_and_old_option_names(tmp_path: Path) -> None:
    path = _v1_file(
        tmp_path,
        data={"source": {"kind": "synthetic", "num_samples": 50}, "split": {"test_percent": 5}},
        preprocessing={
            "kind": "preprocess",
            "image_size": [64, 64],
            "channels": 3,
            "resize_mode": "crop",
            "rescale": "symmetric",
            "preprocess_module": None,
        },
        training={"learning_rate": 0.05, "batch_size": 16, "solver": "adam"},
        augmentation={"kind": "augment", "flip_x": True},
    )
    project = load_project(path)
    settings = project.settings
    assert settings.data.split.test_percent == 5
    assert settings.training == TrainingOptions(
        initial_learn_rate=0.05, mini_batch_size=16, solver="adam"
    )
    assert settings.augmentation.flip_x
    # The user's choices survive; size and channels follow the network's 28x28x1 Input.
    config, _ = effective_preprocess(project)
    assert (config.resize_mode, config.rescale) == ("crop", "symmetric")
    assert (config.image_size, config.channels) == ((28, 28), 1)


def test_zoo_module_under_either_old_key(tmp_path: Path) -> None:
    for key in ("module", "preprocess_module"):
        path = _v1_file(
            tmp_path,
            f"{key}.json",
            preprocessing={key: "mobilenet_v2", "rescale": "preprocess_input"},
        )
        assert load_project(path).settings.preprocessing.module == "mobilenet_v2"


def test_empty_and_missing_sections_are_the_defaults(tmp_path: Path) -> None:
    settings = load_project(_v1_file(tmp_path, data={}, training={})).settings
    assert settings.data.source is None and settings.training == TrainingOptions()
    assert settings.results.empty


def test_migrated_file_saves_as_the_current_version_and_reloads_equal(tmp_path: Path) -> None:
    project = load_project(
        _v1_file(tmp_path, data={"kind": "synthetic_digits"}, training={"batch_size": 8})
    )
    saved = save_project(project, tmp_path / "new.json")
    payload = json.loads(saved.read_text())
    assert payload["version"] == VERSION == 2
    assert set(payload["writer"]) == {"application", "version", "keras_version"}
    again = load_project(saved)
    assert again.settings == project.settings and again.graph == project.graph


@pytest.mark.parametrize("version", [0, -1, True, "1"])
def test_versions_that_never_existed_are_refused(tmp_path: Path, version: object) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"format": "network-designer-project", "version": version}))
    with pytest.raises(ProjectError):
        load_project(path)


def test_a_section_that_does_not_fit_is_refused_with_its_name(tmp_path: Path) -> None:
    path = _v1_file(tmp_path, training={"solver": "sgd"})
    with pytest.raises(ProjectError, match="training options.*solver"):
        load_project(path)
    path = _v1_file(
        tmp_path, "split.json", data={"source": None, "split": {"validation_percent": 150}}
    )
    with pytest.raises(ProjectError, match="data split"):
        load_project(path)
