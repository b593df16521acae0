"""Kind detection from a path, and config round trips through JSON for every kind."""

from __future__ import annotations

import json

import numpy as np
import pytest

from designer.data.arrays import write_idx
from designer.data.registry import KINDS, config_from_dict, detect, open_datastore
from designer.data.summary import DataError
from tests.data.conftest import save


def test_detect_each_kind(tmp_path, digits_folder) -> None:
    assert detect(str(digits_folder)).kind == "image-folder"
    np.savez(tmp_path / "a.npz", x=np.zeros((4, 3)), y=np.arange(4))
    assert detect(str(tmp_path / "a.npz")).kind == "numpy"
    np.savez(tmp_path / "s.npz", x=np.zeros((2, 5, 1)), y=np.arange(2), lengths=np.array([5, 2]))
    assert detect(str(tmp_path / "s.npz")).kind == "sequences"
    np.save(tmp_path / "x_train.npy", np.zeros((4, 2)))
    np.save(tmp_path / "y_train.npy", np.arange(4))
    assert detect(str(tmp_path / "x_train.npy")).y_path.endswith("y_train.npy")
    write_idx(str(tmp_path / "train-images-idx3-ubyte"), np.zeros((2, 4, 4), np.uint8))
    write_idx(str(tmp_path / "train-labels-idx1-ubyte"), np.zeros(2, np.uint8))
    assert detect(str(tmp_path / "train-images-idx3-ubyte")).kind == "idx"
    save(tmp_path / "r" / "i.png", np.zeros((4, 4), np.uint8))
    (tmp_path / "r" / "t.csv").write_text("file,value\ni.png,1.0\n")
    assert detect(str(tmp_path / "r" / "t.csv")).kind == "image-regression"
    (tmp_path / "tab.csv").write_text("a,b\n1,2\n")
    assert detect(str(tmp_path / "tab.csv")).kind == "csv-table"
    save(tmp_path / "seg" / "images" / "a.png", np.zeros((4, 4, 3), np.uint8))
    save(tmp_path / "seg" / "masks" / "a.png", np.array([[0, 1, 2, 0]] * 4, np.uint8))
    seg = detect(str(tmp_path / "seg"))
    assert seg.kind == "segmentation" and len(seg.class_names) == 3
    assert detect("keras:cifar10").kind == "keras-dataset"
    assert detect("synthetic:letters").charset == "letters"
    assert len(open_datastore(detect("sklearn:digits"))) == 1797
    with pytest.raises(DataError, match="nothing there"):
        detect(str(tmp_path / "missing"))


def test_every_config_survives_json(tmp_path, digits_folder) -> None:
    for kind, (cls, _) in KINDS.items():
        original = cls()
        again = config_from_dict(json.loads(json.dumps(original.to_dict())))
        assert again == original and again.kind == kind
    cfg = detect(str(digits_folder))
    store = open_datastore(json.loads(json.dumps(cfg.to_dict())))
    assert len(store) == 60
    with pytest.raises(DataError, match="kind among"):
        config_from_dict({"kind": "tape-drive"})
