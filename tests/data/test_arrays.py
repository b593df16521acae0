"""NumPy, IDX and CSV-table datastores."""

from __future__ import annotations

import numpy as np
import pytest

from designer.data.arrays import (
    CsvTableConfig,
    IdxConfig,
    NumpyConfig,
    open_csv_table,
    open_idx,
    open_numpy,
    read_idx,
    write_idx,
)
from designer.data.summary import DataError


def test_npz_images_and_npy_pair(tmp_path) -> None:
    x = np.random.default_rng(0).integers(0, 255, (12, 5, 5), dtype=np.uint8)
    y = np.arange(12) % 3
    np.savez(tmp_path / "d.npz", x=x, y=y)
    store = open_numpy(NumpyConfig(str(tmp_path / "d.npz")))
    assert store.is_image and store.get(0)[0].shape == (5, 5, 1)
    assert store.summary().class_counts == {"0": 4, "1": 4, "2": 4}
    np.save(tmp_path / "x.npy", x.astype(np.float32) / 255)
    np.save(tmp_path / "y.npy", np.linspace(0, 1, 12))
    reg = open_numpy(NumpyConfig(str(tmp_path / "x.npy"), str(tmp_path / "y.npy")))
    assert reg.task == "regression" and not reg.is_image and reg.targets.dtype == np.float32


def test_numpy_errors(tmp_path) -> None:
    np.savez(tmp_path / "d.npz", data=np.zeros((3, 2)), other=np.zeros(3))
    with pytest.raises(DataError, match="labels under one of"):
        open_numpy(NumpyConfig(str(tmp_path / "d.npz")))
    np.savez(tmp_path / "e.npz", x=np.zeros((3, 2)), y=np.zeros(4))
    with pytest.raises(DataError, match="3 samples and 4 labels"):
        open_numpy(NumpyConfig(str(tmp_path / "e.npz")))
    np.save(tmp_path / "obj.npy", np.array([[1], [1, 2]], dtype=object))
    np.save(tmp_path / "yy.npy", np.zeros(2))
    with pytest.raises(DataError, match="pickle is not loaded"):
        open_numpy(NumpyConfig(str(tmp_path / "obj.npy"), str(tmp_path / "yy.npy")))


def test_idx_round_trip_gz_and_labels(tmp_path) -> None:
    images = np.random.default_rng(1).integers(0, 255, (10, 28, 28), dtype=np.uint8)
    labels = (np.arange(10) % 5).astype(np.uint8)
    write_idx(str(tmp_path / "train-images-idx3-ubyte.gz"), images)
    write_idx(str(tmp_path / "train-labels-idx1-ubyte.gz"), labels)
    assert np.array_equal(read_idx(str(tmp_path / "train-images-idx3-ubyte.gz")), images)
    store = open_idx(
        IdxConfig(
            str(tmp_path / "train-images-idx3-ubyte.gz"),
            str(tmp_path / "train-labels-idx1-ubyte.gz"),
        )
    )
    assert len(store) == 10 and store.class_names == ["0", "1", "2", "3", "4"]
    (tmp_path / "bad-idx3-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 9, 1, 2]))
    with pytest.raises(DataError, match="declares shape"):
        read_idx(str(tmp_path / "bad-idx3-ubyte"))


def test_csv_table_classification_with_categorical_feature(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,colour,kind\n1,red,x\n2,blue,y\n3,red,x\n4,green,y\n")
    store = open_csv_table(CsvTableConfig(str(path), target_column="kind"))
    assert store.task == "classification" and store.class_names == ["x", "y"]
    assert store.arrays()[0].shape == (4, 4)  # a + one-hot of 3 colours
    assert any("categorical" in n for n in store.summary().notes)
    only_a = open_csv_table(CsvTableConfig(str(path), "kind", feature_columns=("a",)))
    assert only_a.arrays()[0].shape == (4, 1)


def test_csv_table_regression_errors(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b,price\n1,2,3.5\n2,3,4.25\n3,4,cheap\n")
    with pytest.raises(DataError, match="'price'.*holds 'cheap'.*numbers for regression"):
        open_csv_table(CsvTableConfig(str(path), task="regression"))
    path.write_text("a,b,price\n1,,3.5\n2,3,4.25\n")
    with pytest.raises(DataError, match="column 'b'.*missing value on line 2"):
        open_csv_table(CsvTableConfig(str(path)))
    path.write_text("a,b,price\n1,2,3.5\n2,3,4.25\n")
    store = open_csv_table(CsvTableConfig(str(path)))
    assert store.task == "regression" and store.targets.tolist() == [3.5, 4.25]
    with pytest.raises(DataError, match="expected a column 'nope'"):
        open_csv_table(CsvTableConfig(str(path), target_column="nope"))
