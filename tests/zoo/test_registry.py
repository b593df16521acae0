"""Registry look-ups, metadata and building options of the zoo."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from designer.zoo import build_model, entry_stats, get_entry, list_entries
from designer.zoo.entry import TASKS


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
    model = build_model("mobilenet_v3_small", input_shape=(96, 96, 3), include_top=False,
                        pooling="avg")
    assert model.input_shape == (None, 96, 96, 3) and len(model.output_shape) == 2
    unet = build_model("unet", input_shape=(64, 64, 3), num_classes=5, base_filters=8)
    assert unet.output_shape == (None, 64, 64, 5)
    lstm = build_model("lstm_classifier", input_shape=(None, 3), num_classes=4)
    assert lstm(np.zeros((2, 7, 3), "float32")).shape == (2, 4)


def test_only_standard_keras_layers():
    for name in ("lenet5", "alexnet", "googlenet", "resnet18", "squeezenet1_1", "unet",
                 "segnet", "fcn_1d", "digit_tilt_regressor"):
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
