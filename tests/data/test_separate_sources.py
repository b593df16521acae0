"""Separate validation/test data: compatibility checks, the pipeline and a project's training run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from designer.app.project import load_project
from designer.data.arrays import NumpyConfig, open_numpy
from designer.data.images import ImageFolderConfig, ImageFolderStore
from designer.data.segmentation import SegmentationConfig, SegmentationStore, mask_colours
from designer.data.splits import SplitConfig, check_compatible
from designer.data.summary import DataError
from designer.data.synthetic import write_image_folder
from tests.data.conftest import save
from tests.fixtures import edit_sections

SAMPLE = Path(__file__).resolve().parents[2] / "designer" / "resources" / "samples" / "lenet5.json"


def _npz(path: Path, n: int, features: int, labels: list[str]) -> str:
    rng = np.random.default_rng(n)
    np.savez(
        path,
        x=rng.normal(size=(n, features)).astype(np.float32),
        y=np.array([labels[i % len(labels)] for i in range(n)]),
    )
    return str(path)


def test_check_compatible_names_the_differing_classes(tmp_path) -> None:
    write_image_folder(tmp_path / "train", 30, size=16)
    write_image_folder(tmp_path / "val", 20, size=16, seed=3)
    train = ImageFolderStore(ImageFolderConfig(str(tmp_path / "train")))
    check_compatible(train, ImageFolderStore(ImageFolderConfig(str(tmp_path / "val"))))
    (tmp_path / "val" / "9").rename(tmp_path / "val" / "nine")
    other = ImageFolderStore(ImageFolderConfig(str(tmp_path / "val")))
    with pytest.raises(DataError, match=r"lacks \['9'\] and has extra \['nine'\]"):
        check_compatible(train, other)


def test_check_compatible_refuses_other_shapes_and_tasks(tmp_path) -> None:
    train = open_numpy(NumpyConfig(_npz(tmp_path / "a.npz", 12, 4, ["x", "y"])))
    check_compatible(train, open_numpy(NumpyConfig(_npz(tmp_path / "b.npz", 6, 4, ["y", "x"]))))
    wide = open_numpy(NumpyConfig(_npz(tmp_path / "c.npz", 6, 5, ["x", "y"])))
    with pytest.raises(DataError, match=r"test samples of shape \(4,\) .* received \(5,\)"):
        check_compatible(train, wide, "test")
    np.savez(tmp_path / "d.npz", x=np.zeros((6, 4), np.float32), y=np.linspace(0, 1, 6))
    regression = open_numpy(NumpyConfig(str(tmp_path / "d.npz"), task="regression"))
    with pytest.raises(DataError, match="task of the training data \\(classification\\)"):
        check_compatible(train, regression)


def test_project_run_validates_on_the_separate_folder(tmp_path) -> None:
    from designer.app.project_run import prepare_run

    write_image_folder(tmp_path / "train", 40, size=28)
    write_image_folder(tmp_path / "val", 20, size=28, seed=5)
    project = load_project(SAMPLE)
    val = ImageFolderConfig(str(tmp_path / "val")).to_dict()
    edit_sections(
        project,
        data={
            "source": ImageFolderConfig(str(tmp_path / "train")).to_dict(),
            "split": SplitConfig(mode="separate", validation_source=val).to_dict(),
        },
    )
    run = prepare_run(project, epochs=1)
    assert (run.data.num_train, run.data.num_validation) == (40, 20)
    assert run.validation_store is not None and run.validation_store.config.path == str(
        tmp_path / "val"
    )
    assert len(run.validation_indices) == 20
    batches = sum(int(x.shape[0]) for x, _ in run.data.validation)
    assert batches == 20


def test_colour_masks_with_a_chosen_colour_map_and_unknown_colours(tmp_path) -> None:
    colours = ((10, 10, 10), (200, 30, 90), (40, 220, 250))
    labels = np.zeros((12, 12), np.uint8)
    labels[:, 4:8], labels[:, 8:] = 1, 2
    for i in range(2):
        save(tmp_path / "images" / f"s{i}.png", np.full((12, 12, 3), 90, np.uint8))
        mask = np.array(colours, np.uint8)[labels]
        if i == 1:
            mask[0, 0] = (1, 2, 3)  # not in the colour map
        save(tmp_path / "masks" / f"s{i}.png", mask)
    config = SegmentationConfig(
        str(tmp_path / "images"), str(tmp_path / "masks"), ("bg", "a", "b"), colormap=colours
    )
    store = SegmentationStore(config)
    np.testing.assert_array_equal(store.load_mask(0), labels)
    summary = store.summary()
    assert summary.class_counts == {"bg": 2 * 48, "a": 2 * 48, "b": 2 * 48}
    [problem] = summary.problems
    assert problem.code == "unknown-colour" and "(1, 2, 3)" in problem.message
    assert problem.path.endswith("s1.png")
    assert mask_colours(config, 3) == list(colours)
    assert mask_colours(config, 4)[1] == (230, 25, 75)  # wrong length: the default map
