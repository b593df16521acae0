"""Image-folder and CSV-regression datastores on files the tests write."""

from __future__ import annotations

import numpy as np
import pytest

from designer.data.images import (
    ImageFolderConfig,
    ImageFolderStore,
    ImageRegressionConfig,
    ImageRegressionStore,
)
from designer.data.summary import DataError
from tests.data.conftest import save


def test_folder_reads_every_format_recursively_and_skips_corrupt(mixed_folder) -> None:
    store = ImageFolderStore(ImageFolderConfig(str(mixed_folder)))
    assert store.class_names == ["cat", "dog"]
    assert len(store) == 11
    s = store.summary()
    assert s.class_counts == {"cat": 6, "dog": 5}
    assert s.corrupt_files == [str(mixed_folder / "dog" / "broken.png")]
    assert "broken.png" in s.format_table()
    assert sum(s.image_sizes.values()) == 11
    exts = {p.rsplit(".", 1)[1] for p in store.file_paths}
    assert exts == {"png", "jpg", "bmp", "tiff", "gif", "jpeg"}
    x, y = store.get(0)
    assert x.dtype == np.uint8 and x.ndim == 3 and x.shape[-1] == 3 and y == 0


def test_gif_first_frame_and_grey_channels(tmp_path) -> None:
    from PIL import Image

    frames = [Image.fromarray(np.full((8, 8), v, np.uint8)) for v in (10, 200)]
    (tmp_path / "a").mkdir()
    frames[0].save(tmp_path / "a" / "anim.gif", save_all=True, append_images=frames[1:])
    save(tmp_path / "b" / "g.png", np.full((8, 8), 99, np.uint8))
    store = ImageFolderStore(ImageFolderConfig(str(tmp_path)))
    assert store.channels == 1
    x, _ = store.get(0)
    assert x.shape == (8, 8, 1) and abs(int(x.mean()) - 10) <= 1


def test_imbalance_warning_and_empty_class(tmp_path) -> None:
    for i in range(8):
        save(tmp_path / "big" / f"{i}.png", np.zeros((4, 4), np.uint8))
    save(tmp_path / "small" / "0.png", np.zeros((4, 4), np.uint8))
    (tmp_path / "empty").mkdir()
    s = ImageFolderStore(ImageFolderConfig(str(tmp_path))).summary()
    assert s.imbalance_warning and "'big' has 8" in s.imbalance_warning
    assert any(p.code == "empty-class" and "'empty'" in p.message for p in s.problems)


def test_folder_errors_name_the_path(tmp_path) -> None:
    with pytest.raises(DataError, match="no such folder"):
        ImageFolderStore(ImageFolderConfig(str(tmp_path / "nope")))
    save(tmp_path / "loose.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(DataError, match="one subfolder per class"):
        ImageFolderStore(ImageFolderConfig(str(tmp_path)))
    save(tmp_path / "a" / "x.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(DataError, match=r"class folders \['zebra'\]"):
        ImageFolderStore(ImageFolderConfig(str(tmp_path), class_names=("a", "zebra")))


def _regression_files(tmp_path, rows: list[str]) -> str:
    for i in range(3):
        save(tmp_path / f"im{i}.png", np.full((6, 6, 3), i * 40, np.uint8))
    csv = tmp_path / "targets.csv"
    csv.write_text("file,angle,size\n" + "\n".join(rows) + "\n")
    return str(csv)


def test_regression_csv(tmp_path) -> None:
    csv = _regression_files(
        tmp_path, ["im0.png,1.5,2", "im1.png,-3,4", "im2.png,0,6", "gone.png,1,1"]
    )
    store = ImageRegressionStore(ImageRegressionConfig(csv))
    assert len(store) == 3 and store.target_names == ["angle", "size"]
    x, y = store.get(1)
    assert x.shape == (6, 6, 3) and y.tolist() == [-3.0, 4.0]
    s = store.summary()
    assert s.task == "regression" and any(p.code == "missing-file" for p in s.problems)
    one = ImageRegressionStore(ImageRegressionConfig(csv, target_columns=("size",)))
    assert one.targets.shape == (3, 1)


def test_regression_csv_missing_and_text_values(tmp_path) -> None:
    csv = _regression_files(tmp_path, ["im0.png,1.5,2", "im1.png,,4"])
    with pytest.raises(DataError, match="column 'angle'.*missing value on line 3"):
        ImageRegressionStore(ImageRegressionConfig(csv))
    csv = _regression_files(tmp_path, ["im0.png,big,2"])
    with pytest.raises(DataError, match="holds 'big'.*expected a number"):
        ImageRegressionStore(ImageRegressionConfig(csv))
