"""The data/network check shared by the Analysis dock and Train (issue 13), without Qt."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from designer.app.consistency import (
    CLASSES_CODE,
    class_mismatch,
    data_classes,
    data_network_issues,
    remember_classes,
)
from designer.app.project import Project, load_project
from designer.app.project_run import ProjectRunError, prepare_run
from designer.core.analysis import analyze
from designer.core.graph import LayerGraph
from designer.data.arrays import NumpyConfig
from designer.data.builtin import SklearnDigitsConfig, SyntheticConfig
from designer.data.images import ImageFolderConfig
from designer.data.kerasdatasets import KerasDatasetConfig
from designer.data.registry import open_datastore

SAMPLE = Path(__file__).resolve().parents[2] / "designer" / "resources" / "samples" / "lenet5.json"
DIGITS = [str(i) for i in range(10)]


def _sample(units: int) -> Project:
    """The bundled LeNet-5 on 100 synthetic digits, its output giving ``units`` values."""
    project = load_project(SAMPLE)
    data = project.settings.data
    source = dataclasses.replace(data.source, num_samples=100)
    project.settings = project.settings.replace(data=dataclasses.replace(data, source=source))
    project.graph.set_params(project.graph.find("output").id, units=units)
    return project


def test_the_sentence_names_the_classes_the_output_and_the_fix() -> None:
    text = class_mismatch("dense_1", 3, DIGITS)
    assert text is not None
    assert text.startswith("The data have 10 classes (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)")
    assert "the network's output 'dense_1' gives 3 values" in text
    assert text.endswith("give the last layer 10 units")
    many = class_mismatch("out", 5, [f"c{i}" for i in range(100)])
    assert many is not None and "(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, ...)" in many


def test_matching_counts_and_a_binary_sigmoid_are_fine() -> None:
    assert class_mismatch("out", 10, DIGITS) is None
    assert class_mismatch("out", 1, ["cat", "dog"]) is None  # one sigmoid for two classes
    assert class_mismatch("out", None, DIGITS) is None  # the output's size is not known
    assert class_mismatch("out", 3, []) is None


def test_classes_known_from_the_kind_of_data(tmp_path: Path) -> None:
    assert data_classes(None) is None
    assert data_classes(SyntheticConfig()) == tuple(DIGITS)
    assert data_classes(SyntheticConfig(charset="letters")) == tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert data_classes(SyntheticConfig(target="angle")) is None  # a regression
    assert data_classes(SklearnDigitsConfig()) == tuple(DIGITS)
    cifar = data_classes(KerasDatasetConfig(name="cifar10"))
    assert cifar is not None and len(cifar) == 10 and cifar[0] == "airplane"
    for name in ("dog", "cat", ".thumbnails"):
        (tmp_path / name).mkdir()
    (tmp_path / "notes.txt").write_text("not a class")
    assert data_classes(ImageFolderConfig(path=str(tmp_path))) == ("cat", "dog")
    chosen = ImageFolderConfig(path=str(tmp_path), class_names=("dog",))
    assert data_classes(chosen) == ("dog",)
    assert data_classes(ImageFolderConfig(path=str(tmp_path / "missing"))) is None


def test_classes_of_other_data_are_known_once_opened(tmp_path: Path) -> None:
    x = np.zeros((12, 4), np.float32)
    y = np.arange(12) % 3
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    config = NumpyConfig(path=str(tmp_path / "x.npy"), y_path=str(tmp_path / "y.npy"))
    assert data_classes(config) is None  # not read yet: the check stays quiet
    store = open_datastore(config)
    remember_classes(config, store)
    assert data_classes(config) == tuple(store.class_names) and len(store.class_names) == 3


def test_a_project_whose_output_does_not_fit_its_data_gets_a_warning() -> None:
    project = _sample(3)
    issues = data_network_issues(project, analyze(project.graph))
    out = project.graph.find("output").id
    assert [(i.severity, i.node, i.code) for i in issues] == [("warning", out, CLASSES_CODE)]
    assert "The data have 10 classes" in issues[0].message
    assert "'output' gives 3 values" in issues[0].message
    project.graph.set_params(out, units=10)
    assert data_network_issues(project, analyze(project.graph)) == []


def test_no_warning_without_data_or_with_several_outputs() -> None:
    project = _sample(3)
    project.settings = project.settings.replace(
        data=dataclasses.replace(project.settings.data, source=None)
    )
    assert data_network_issues(project, analyze(project.graph)) == []
    graph = LayerGraph()
    a = graph.add("Input", shape=[4])
    for units in (3, 5):
        graph.connect(a, graph.add("Dense", units=units))
    two = Project(graph=graph)
    two.settings = _sample(3).settings
    assert data_network_issues(two, analyze(graph)) == []


def test_train_refuses_with_the_sentence_the_analysis_shows() -> None:
    project = _sample(3)
    shown = data_network_issues(project, analyze(project.graph))[0].message
    with pytest.raises(ProjectRunError) as refused:
        prepare_run(project, epochs=1)
    assert str(refused.value) == shown
