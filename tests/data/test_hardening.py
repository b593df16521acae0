"""Bad data of issue #12: each is refused with a one-line DataError, or skipped and reported,
the same way in the scan (``data inspect``, the Data dock), the preview and training."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from designer.data.imageio import MAX_IMAGE_PIXELS, ImageTooLarge, load_image
from designer.data.images import ImageFolderConfig, ImageFolderStore
from designer.data.pipeline import make_training_data
from designer.data.preprocess import PreprocessConfig
from designer.data.pydataset import StoreDataset
from designer.data.registry import detect, open_datastore
from designer.data.splits import SplitConfig
from designer.data.summary import DataError, one_line
from tests.data import named_cases

ALL = SplitConfig(validation_percent=0.0)  # every sample trains


def _refused(path) -> str:
    """The one-line message of the DataError that opening ``path`` raises."""
    with pytest.raises(DataError) as info:
        open_datastore(detect(str(path)))
    message = str(info.value)
    assert message and "\n" not in message and message.isprintable()
    return message


@pytest.mark.parametrize("make", [named_cases.huge_png, named_cases.huge_jpeg])
def test_images_over_the_size_limit_are_skipped_with_their_figures(tmp_path, make) -> None:
    named_cases.two_classes(tmp_path)
    big = tmp_path / "a" / ("huge.png" if make is named_cases.huge_png else "huge.jpg")
    big.write_bytes(make())
    store = ImageFolderStore(ImageFolderConfig(str(tmp_path)))
    assert str(big) not in store.file_paths and len(store) == 6  # so training never sees it
    (problem,) = store.summary().problems
    assert problem.code == "image-too-large" and problem.path == str(big)
    assert "400,000,000 pixels" in problem.message and f"{MAX_IMAGE_PIXELS:,}" in problem.message
    with pytest.raises(ImageTooLarge, match="400,000,000 pixels"):  # the preview's decode
        load_image(str(big))


def test_a_latin1_csv_is_read_and_says_so(tmp_path) -> None:
    store = open_datastore(detect(str(named_cases.latin1_csv(tmp_path))))
    assert len(store) == 4 and store.class_names == ["a", "b"]
    assert "read as cp1252 text (not UTF-8)" in store.summary().notes
    assert "'city' is categorical: one-hot over 4 values" in store.summary().notes


def test_a_csv_field_over_the_limit_names_the_line(tmp_path) -> None:
    message = _refused(named_cases.big_field_csv(tmp_path))
    assert "line 3 of" in message and "field over 131,072 characters" in message


@pytest.mark.parametrize("make", [named_cases.truncated_npz, named_cases.random_npz])
def test_damaged_npz_files_are_refused(tmp_path, make) -> None:
    message = _refused(make(tmp_path))
    assert "is not a readable .npz file (a zip of .npy arrays)" in message


def test_an_idx_header_with_200_dimensions_is_refused(tmp_path) -> None:
    message = _refused(named_cases.idx_200_dims(tmp_path))
    assert "declares 200 dimensions; expected 1 to 16" in message


def test_a_npy_declaring_4_tb_is_refused_before_allocating(tmp_path) -> None:
    message = _refused(named_cases.npy_4tb(tmp_path))
    assert "shaped (500000000000,) (4.0 TB)" in message and "only 64 bytes" in message


def test_a_cut_jpeg_is_counted_corrupt(tmp_path) -> None:
    root = named_cases.truncated_jpeg_folder(tmp_path)
    store = open_datastore(detect(str(root)))
    assert len(store) == 4 and store.summary().corrupt_files == [str(root / "a" / "cut.jpg")]


def test_a_file_name_that_is_not_utf8_trains(tmp_path) -> None:
    root = named_cases.non_utf8_name_folder(tmp_path)
    if root is None:
        pytest.skip("this file system refuses names that are not UTF-8")
    store = open_datastore(detect(str(root)))
    assert len(store) == 7 and any("\udcff" in p for p in store.file_paths)
    assert store.summary().format_table().encode("utf-8")  # printable on a terminal
    data = make_training_data(store, ALL, PreprocessConfig((8, 8)), batch_size=7, backend="tf.data")
    x, _ = next(iter(data.train))
    assert np.asarray(x).shape[0] == data.num_train


def test_an_empty_class_and_a_single_class_are_errors(tmp_path) -> None:
    empty = open_datastore(detect(str(named_cases.empty_class_folder(tmp_path / "e"))))
    assert empty.summary().refusal == (
        f"class 'c' of '{tmp_path / 'e'}' has no samples; expected at least one sample in "
        "every class"
    )
    one = open_datastore(detect(str(named_cases.one_class_folder(tmp_path / "o"))))
    assert one.summary().refusal == (
        f"a classifier needs at least two classes; '{tmp_path / 'o'}' has one class 'only'"
    )


def test_negative_sequence_lengths_are_refused(tmp_path) -> None:
    message = _refused(named_cases.negative_lengths_npz(tmp_path))
    assert (
        "expected sequence lengths from 1 to 5" in message
        and "received -2 for sequence 1" in message
    )


def test_an_image_that_fails_to_decode_is_skipped_by_preview_and_training(tmp_path) -> None:
    root = named_cases.corrupt_image_folder(tmp_path)
    store = open_datastore(detect(str(root)))
    rotten = str(root / "a" / "rotten.png")
    assert rotten in store.file_paths  # whole file: only decoding finds the damage
    assert len(store.preview(16)) == 6
    assert store.summary().corrupt_files == [rotten]
    order = np.array([store.file_paths.index(rotten), 0])
    batches = StoreDataset(store, order, PreprocessConfig(), batch_size=1)
    x, _ = batches[0]  # the rotten one alone: the next sample that loads stands in for it
    assert x.shape == (1, 8, 8, 3) and len(batches.skipped) == 1
    data = make_training_data(store, ALL, PreprocessConfig((8, 8)), batch_size=2, backend="tf.data")
    # Skipped, and another sample takes its place: the pipeline keeps its length (4 batches).
    assert int(data.train.cardinality()) == data.steps_per_epoch == 4
    seen = sum(int(x.shape[0]) for x, _ in itertools.islice(iter(data.train), 10))
    assert seen == 7


def test_messages_are_one_printable_line() -> None:
    assert one_line("a\nb\udcff\x00") == "a\\nb\\udcff\\x00"
    assert str(DataError("cannot read 'x\ny.png'")) == "cannot read 'x\\ny.png'"
