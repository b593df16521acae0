"""Weights resolution: Keras cache, then mirror, then official origin; checks; offline error."""

from __future__ import annotations

import hashlib

import h5py
import keras
import numpy as np
import pytest

from designer.core.progress import Cancelled, CancelToken
from designer.zoo import (
    WeightsCorrupted,
    WeightsFile,
    WeightsUnavailable,
    ZooEntry,
    build_model,
    get_entry,
    register,
    resolve_weights,
    set_mirror,
    set_offline,
    unregister,
)
from designer.zoo.entry import Citation
from designer.zoo.keras_weights import (
    CONVNEXT_HASHES,
    EFFICIENTNET_HASHES,
    EFFICIENTNET_V2_HASHES,
    MOBILENET_V3_HASHES,
    RESNET_HASHES,
)

MOBILENET_FILE = "mobilenet_2_5_128_tf_no_top.h5"  # keras.applications' name for these options
MOBILENET_OPTS = {"alpha": 0.25, "input_shape": (128, 128, 3), "include_top": False}


@pytest.fixture(scope="module")
def mobilenet_weights(tmp_path_factory):
    """A legacy-HDF5 weights file (the format keras.applications serves) of a tiny MobileNet."""
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    model = keras.applications.MobileNet(weights=None, **MOBILENET_OPTS)
    path = tmp_path_factory.mktemp("served") / MOBILENET_FILE
    with h5py.File(path, "w") as fh:
        save_weights_to_hdf5_group(fh, model)
    return path.read_bytes(), model.get_weights()


def test_mirror_download_reports_progress_caches_and_loads(
    keras_home, file_server, mobilenet_weights
):
    body, expected = mobilenet_weights
    file_server.files[f"/mirror/{MOBILENET_FILE}"] = body
    set_mirror(file_server.url + "/mirror/")
    events = []
    path = resolve_weights(
        "mobilenet",
        include_top=False,
        progress=events.append,
        input_shape=(128, 128, 3),
        alpha=0.25,
    )
    assert path == keras_home / "models" / MOBILENET_FILE
    assert path.read_bytes() == body
    assert events and events[-1].done == len(body)
    assert all(e.total == len(body) for e in events[:-1])
    assert file_server.requests[f"/mirror/{MOBILENET_FILE}"] == 1
    # Second resolve: served from the Keras cache, no HTTP request.
    assert resolve_weights("mobilenet", False, input_shape=(128, 128, 3), alpha=0.25) == path
    model = build_model("mobilenet", weights="imagenet", **MOBILENET_OPTS)
    assert file_server.requests[f"/mirror/{MOBILENET_FILE}"] == 1
    for got, want in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_array_equal(got, want)
    assert not list((keras_home / "models").glob("*.part"))


def test_local_folder_mirror_and_env_variable(keras_home, tmp_path, monkeypatch, mobilenet_weights):
    folder = tmp_path / "mirror_folder"
    folder.mkdir()
    (folder / MOBILENET_FILE).write_bytes(mobilenet_weights[0])
    monkeypatch.setenv("ND_WEIGHTS_MIRROR", str(folder))
    path = resolve_weights("mobilenet", False, input_shape=(128, 128, 3), alpha=0.25)
    assert path.parent == keras_home / "models" and path.read_bytes() == mobilenet_weights[0]


def test_existing_keras_cache_file_is_reused_without_any_source(keras_home, mobilenet_weights):
    cached = keras_home / "models" / MOBILENET_FILE
    cached.parent.mkdir()
    cached.write_bytes(mobilenet_weights[0])
    assert resolve_weights("mobilenet", False, input_shape=(128, 128, 3), alpha=0.25) == cached


def test_checksum_mismatch_from_mirror_is_refused_and_not_cached(
    keras_home, file_server, mobilenet_weights
):
    # MobileNetV3Small has a published md5; our file is not the official one.
    wf = get_entry("mobilenet_v3_small").weights_file(include_top=True)
    assert wf.file_hash == "8768d4c2e7dee89b9d02b2d03d65d862"
    file_server.files[f"/m/{wf.file_name}"] = mobilenet_weights[0]
    set_mirror(file_server.url + "/m")
    with pytest.raises(WeightsCorrupted, match="checksum mismatch") as info:
        resolve_weights("mobilenet_v3_small", include_top=True)
    assert "8768d4c2e7dee89b9d02b2d03d65d862" in str(info.value)
    assert "not cached" in str(info.value)
    assert list((keras_home / "models").iterdir()) == []


def test_truncated_download_is_refused_and_not_cached(keras_home, file_server, mobilenet_weights):
    path = f"/m/{MOBILENET_FILE}"
    file_server.files[path] = mobilenet_weights[0]
    file_server.truncate.add(path)
    set_mirror(file_server.url + "/m")
    with pytest.raises(WeightsCorrupted, match="truncated"):
        resolve_weights("mobilenet", False, input_shape=(128, 128, 3), alpha=0.25)
    assert list((keras_home / "models").iterdir()) == []


def test_not_hdf5_is_refused_when_no_hash_is_published(keras_home, file_server):
    file_server.files[f"/m/{MOBILENET_FILE}"] = b"<html>captive portal</html>"
    set_mirror(file_server.url + "/m")
    with pytest.raises(WeightsCorrupted, match="not an HDF5 file"):
        resolve_weights("mobilenet", False, input_shape=(128, 128, 3), alpha=0.25)
    assert not (keras_home / "models" / MOBILENET_FILE).exists()


def test_offline_error_names_the_file_and_the_folder(keras_home):
    with pytest.raises(WeightsUnavailable) as info:
        build_model("resnet50", weights="imagenet")
    message = str(info.value)
    assert "resnet50_weights_tf_dim_ordering_tf_kernels.h5" in message
    assert str(keras_home / "models") in message
    assert "random weights" in message
    # ...and the caller can open the architecture with random weights instead.
    assert get_entry("lenet5").build(weights=None).count_params() == 61_706


def test_unreachable_mirror_and_origin_give_weights_unavailable(keras_home, file_server):
    set_mirror(file_server.url + "/empty")
    with pytest.raises(WeightsUnavailable, match="HTTP 404"):
        resolve_weights("vgg16", include_top=False)


@pytest.fixture
def official_entry(file_server, mobilenet_weights):
    """A test entry whose 'official' origin is the local server, with a published md5."""
    body = mobilenet_weights[0]
    file_server.files["/official/tiny.h5"] = body
    md5 = hashlib.md5(body).hexdigest()

    def chooser(include_top, input_shape=None, **_):
        return WeightsFile("tiny_test.h5", file_server.url + "/official/tiny.h5", md5)

    entry = ZooEntry(
        "tiny_test",
        "Tiny test",
        "Test",
        "image classification",
        2024,
        Citation("A", "B", "C", 2024),
        "test",
        (128, 128, 3),
        1000,
        builder=lambda **kw: None,
        weights_chooser=chooser,
    )
    register(entry)
    yield entry
    unregister("tiny_test")


def test_official_origin_download_with_verified_md5(keras_home, file_server, official_entry):
    set_offline(False)
    path = resolve_weights("tiny_test", include_top=True)
    assert path.name == "tiny_test.h5" and file_server.requests["/official/tiny.h5"] == 1
    resolve_weights("tiny_test", include_top=True)
    assert file_server.requests["/official/tiny.h5"] == 1


def test_cancel_stops_the_download_and_leaves_nothing(keras_home, file_server, official_entry):
    set_offline(False)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        resolve_weights("tiny_test", include_top=True, cancel=token)
    assert list((keras_home / "models").iterdir()) == []


def test_hash_tables_match_keras_applications_sources():
    from keras.src.applications import (
        convnext,
        efficientnet,
        efficientnet_v2,
        mobilenet_v3,
        resnet,
    )

    assert {k: resnet.WEIGHTS_HASHES[k] for k in RESNET_HASHES} == RESNET_HASHES
    assert efficientnet.WEIGHTS_HASHES == EFFICIENTNET_HASHES
    assert efficientnet_v2.WEIGHTS_HASHES == EFFICIENTNET_V2_HASHES
    assert convnext.WEIGHTS_HASHES == CONVNEXT_HASHES
    assert mobilenet_v3.WEIGHTS_HASHES == MOBILENET_V3_HASHES
    assert resnet.BASE_WEIGHTS_PATH in get_entry("resnet50").weights_file(True).origin
    assert (
        get_entry("efficientnet_v2_s").weights_file(False).file_name == "efficientnetv2-s_notop.h5"
    )
