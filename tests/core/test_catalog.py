"""The layer catalog: categories, schemas, defaults for required arguments, generic entries."""

from __future__ import annotations

import keras
import pytest

from designer.core import catalog
from designer.core.errors import ParamError, UnknownLayerType

REQUIRED_TYPES = [
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "SeparableConv2D",
    "DepthwiseConv2D",
    "Conv2DTranspose",
    "Dense",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "UpSampling1D",
    "UpSampling2D",
    "BatchNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "GaussianNoise",
    "ActivityRegularization",
    "Activation",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "Softmax",
    "SimpleRNN",
    "LSTM",
    "GRU",
    "Bidirectional",
    "TimeDistributed",
    "Embedding",
    "ConvLSTM2D",
    "MultiHeadAttention",
    "Add",
    "Subtract",
    "Multiply",
    "Average",
    "Maximum",
    "Minimum",
    "Concatenate",
    "Flatten",
    "Reshape",
    "Permute",
    "RepeatVector",
    "Cropping1D",
    "Cropping2D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "Resizing",
    "Rescaling",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "RandomContrast",
    "RandomBrightness",
    "RandomCrop",
]


@pytest.mark.parametrize("type_name", REQUIRED_TYPES)
def test_every_required_type_makes_a_keras_layer_with_its_defaults(type_name: str) -> None:
    spec = catalog.get_spec(type_name)
    assert spec.category in catalog.CATEGORIES
    layer = spec.keras_class.from_config({**spec.defaults(), "name": "x"})
    assert isinstance(layer, keras.layers.Layer)
    assert spec.help, f"{type_name} has no one-line help"


def test_required_argument_without_keras_default_gets_one() -> None:
    # keras.layers.AveragePooling2D(pool_size) has no default in Keras 3.
    assert catalog.get_spec("AveragePooling2D").defaults()["pool_size"] == [2, 2]


def test_schema_kinds_ranges_and_help_come_from_keras() -> None:
    spec = catalog.get_spec("Conv2D")
    assert spec.primary[:2] == ("filters", "kernel_size")
    assert spec.params["filters"].kind == "int" and spec.params["filters"].minimum == 1
    assert spec.params["kernel_size"].kind == "ints" and spec.params["kernel_size"].length == 2
    assert "same" in spec.params["padding"].choices
    assert "relu" in spec.params["activation"].choices
    assert "filters" in spec.params["filters"].help


def test_activation_offers_every_keras_activation() -> None:
    choices = catalog.get_spec("Activation").params["activation"].choices
    for name in ("relu", "gelu", "softmax", "swish", "tanh", "sigmoid", "elu", "selu", "mish"):
        assert name in choices
        keras.activations.get(name)


def test_ports_of_merge_attention_and_input() -> None:
    assert catalog.get_spec("Input").max_inputs == 0
    assert catalog.get_spec("Dense").max_inputs == 1
    add = catalog.get_spec("Add")
    assert add.min_inputs == 2 and add.max_inputs is None and add.call_style == "list"
    assert catalog.get_spec("Subtract").max_inputs == 2
    mha = catalog.get_spec("MultiHeadAttention")
    assert (mha.min_inputs, mha.max_inputs) == (2, 3) and mha.input_label(0) == "query"


def test_check_params_refuses_bad_values_with_a_clear_message() -> None:
    spec = catalog.get_spec("Conv2D")
    with pytest.raises(ParamError, match="filters.*at least 1.*received 0"):
        spec.check_params({"filters": 0})
    with pytest.raises(ParamError, match="padding.*one of valid, same"):
        spec.check_params({"padding": "full"})
    with pytest.raises(ParamError, match="no parameter 'filtres'"):
        spec.check_params({"filtres": 3})
    with pytest.raises(ParamError, match="kernel_size.*2 integers"):
        spec.check_params({"kernel_size": [3, 3, 3]})
    assert spec.check_params({"kernel_size": (5, 5)}) == {"kernel_size": [5, 5]}
    with pytest.raises(ParamError, match="rate.*at most 1"):
        catalog.get_spec("Dropout").check_params({"rate": 1.5})


def test_library_lists_input_presets_and_all_categories() -> None:
    entries = catalog.library()
    labels = {e.label for e in entries}
    assert {"Image input", "Feature input", "Sequence input", "Conv2D", "LSTM"} <= labels
    assert {e.category for e in entries} >= set(catalog.CATEGORIES[:10])


def test_any_keras_layer_gets_a_generic_spec() -> None:
    spec = catalog.get_spec("UnitNormalization")  # in keras.layers, not curated
    assert not spec.curated and spec.category == catalog.OTHER
    assert spec.keras_class is keras.layers.UnitNormalization


def test_custom_layer_class_gets_a_spec_by_introspection() -> None:
    from keras.src.applications.convnext import LayerScale

    spec = catalog.spec_for_class(LayerScale, {"init_values": 1e-6, "projection_dim": 8})
    assert spec.type_name == "keras.src.applications.convnext:LayerScale"
    assert catalog.spec_for_type(spec.type_name) is spec


def test_unknown_type_is_refused() -> None:
    with pytest.raises(UnknownLayerType, match="NoSuchLayer"):
        catalog.get_spec("NoSuchLayer")
    with pytest.raises(UnknownLayerType):
        catalog.spec_for_type("os:system")  # not a Keras operation: never accepted
