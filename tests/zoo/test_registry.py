"""Registry look-ups, metadata and building options of the zoo."""

from __future__ import annotations

import json
from dataclasses import replace

import h5py
import keras
import numpy as np
import pytest

from designer.zoo import (
    build_entry,
    build_model,
    entry_stats,
    get_entry,
    is_cached,
    list_entries,
    resolve_weights,
    set_mirror,
)
from designer.zoo import weights as zoo_weights
from designer.zoo.entry import TASKS
from designer.zoo.stats import compute_stats

# The smallest MobileNetV2 keras.applications publishes weights for; keras.applications' name.
MOBILENET_V2_FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
MOBILENET_V2_OPTS = {"alpha": 0.35, "input_shape": (96, 96, 3), "include_top": False}


def test_list_by_task_and_search():
    assert {e.task for e in list_entries()} == set(TASKS)
    seg = [e.name for e in list_entries(task="segmentation")]
    assert seg == ["unet", "segnet"]
    found = [e.name for e in list_entries(search="efficientnetv2")]
    assert found and all(n.startswith("efficientnet_v2") for n in found)
    assert list_entries(search="no such network zzz") == []


def test_get_entry_accepts_display_name_and_reports_unknown():
    assert get_entry("ResNet50").name == "resnet50"
    with pytest.raises(KeyError, match="no zoo entry named 'resnet5000'"):
        get_entry("resnet5000")


def test_entry_metadata_is_complete_and_json_ready():
    for entry in list_entries():
        info = entry.summary()
        json.dumps(info)
        assert entry.citation.year and entry.citation.title and entry.description
        assert entry.reference_params and entry.reference_params.source
    vgg = get_entry("vgg16")
    assert vgg.imagenet_top1 == 71.3 and vgg.preprocessing.module == "vgg16"
    assert vgg.preprocessing.function() is keras.applications.vgg16.preprocess_input
    assert get_entry("resnet50").imagenet_top1 == 74.9
    assert get_entry("mobilenet_v2").imagenet_top1 == 71.3
    assert get_entry("efficientnet_b3").preprocessing.input_size == (300, 300)
    assert get_entry("lenet5").weights_source == "none"
    assert get_entry("digits_cnn").weights_source == "bundled"


def test_options_change_input_classes_and_top():
    model = build_model("lenet5", num_classes=26)
    assert model.output_shape == (None, 26)
    model = build_model(
        "mobilenet_v3_small", input_shape=(96, 96, 3), include_top=False, pooling="avg"
    )
    assert model.input_shape == (None, 96, 96, 3) and len(model.output_shape) == 2
    unet = build_model("unet", input_shape=(64, 64, 3), num_classes=5, base_filters=8)
    assert unet.output_shape == (None, 64, 64, 5)
    lstm = build_model("lstm_classifier", input_shape=(None, 3), num_classes=4)
    assert lstm(np.zeros((2, 7, 3), "float32")).shape == (2, 4)


def test_only_standard_keras_layers():
    for name in (
        "lenet5",
        "alexnet",
        "googlenet",
        "resnet18",
        "squeezenet1_1",
        "unet",
        "segnet",
        "fcn_1d",
        "digit_tilt_regressor",
    ):
        model = get_entry(name).builder(input_shape=None, num_classes=None, include_top=True)
        for layer in model.layers:
            assert type(layer).__module__.startswith("keras.src.layers"), (name, layer)
            assert type(layer).__name__ != "Lambda"


def test_user_weights_file_round_trip(tmp_path):
    model = build_model("lenet5")
    path = tmp_path / "lenet.weights.h5"
    model.save_weights(path)
    again = build_model("lenet5", weights=path)
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(FileNotFoundError, match="expected weights=None"):
        build_model("lenet5", weights=tmp_path / "missing.weights.h5")


def test_pretrained_with_other_class_count_asks_for_new_head():
    with pytest.raises(ValueError, match="include_top=False"):
        build_model("resnet50", weights="imagenet", num_classes=5)


def test_tile_stats_come_from_table():
    stats = entry_stats("vgg16")
    assert stats.params == 138_357_544 and stats.weighted_layers == 16
    assert stats.input_shape == (224, 224, 3)


@pytest.fixture
def mobilenet_v2_mirror(tmp_path, file_server):
    """A local HTTP mirror serving a legacy-HDF5 weights file of the tiny MobileNetV2."""
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    model = keras.applications.MobileNetV2(weights=None, **MOBILENET_V2_OPTS)
    path = tmp_path / MOBILENET_V2_FILE
    with h5py.File(path, "w") as fh:
        save_weights_to_hdf5_group(fh, model)
    file_server.files[f"/mirror/{MOBILENET_V2_FILE}"] = path.read_bytes()
    set_mirror(file_server.url + "/mirror/")
    return model.get_weights()


def test_renamed_entry_builds_with_published_weights(keras_home, file_server, mobilenet_v2_mirror):
    # The round trip of the issue: the renamed entry is not registered under its new name,
    # and building it with weights="imagenet" must not look it up again (no KeyError).
    renamed = replace(get_entry("mobilenet_v2"), name="my_mobilenet")
    with pytest.raises(KeyError):
        get_entry("my_mobilenet")
    model = build_entry(renamed, weights="imagenet", **MOBILENET_V2_OPTS)
    for got, want in zip(model.get_weights(), mobilenet_v2_mirror, strict=True):
        np.testing.assert_array_equal(got, want)
    assert file_server.requests[f"/mirror/{MOBILENET_V2_FILE}"] == 1
    # The public name-or-entry functions take the entry as well; now served from the cache.
    options = {"input_shape": (96, 96, 3), "alpha": 0.35}
    cached = keras_home / "models" / MOBILENET_V2_FILE
    assert is_cached(renamed, False, **options) and is_cached("mobilenet_v2", False, **options)
    assert resolve_weights(renamed, False, **options) == cached
    again = build_model(renamed, weights="imagenet", **MOBILENET_V2_OPTS)
    assert again.count_params() == model.count_params()
    assert file_server.requests[f"/mirror/{MOBILENET_V2_FILE}"] == 1


def test_renamed_entry_builds_with_random_weights():
    renamed = replace(get_entry("lenet5"), name="my_lenet")
    for model in (build_entry(renamed), build_model(renamed), renamed.build(weights=None)):
        assert model.count_params() == 61_706
    assert compute_stats(renamed).params == 61_706
    mobilenet = build_entry(
        replace(get_entry("mobilenet_v2"), name="my_mobilenet"), **MOBILENET_V2_OPTS
    )
    assert mobilenet.input_shape == (None, 96, 96, 3)


def test_renamed_bundled_entry_loads_its_trained_model():
    renamed = replace(get_entry("digits_cnn"), name="my_digits")
    model = build_entry(renamed, weights="pretrained")
    assert model.output_shape == (None, 10)
    features = build_model(renamed, weights="bundled", include_top=False)
    assert features.output_shape == (None, 128)


def test_entry_build_makes_random_or_file_weights_only(tmp_path):
    entry = get_entry("lenet5")
    with pytest.raises(ValueError, match="build_entry"):
        entry.build(weights="imagenet")
    path = tmp_path / "lenet.weights.h5"
    model = entry.build()
    model.save_weights(path)
    loaded = entry.build(weights=path)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_weights_module_takes_entries_not_names():
    with pytest.raises(TypeError, match="expected a ZooEntry"):
        zoo_weights.resolve_weights("mobilenet_v2")
    assert zoo_weights.is_cached(get_entry("lenet5")) is False  # no weights published
