"""Wide & Deep and Deep & Cross models, after keras-io
examples/structured_data/wide_deep_cross_networks.py ("Structured data learning with Wide, Deep,
and Cross networks"): a dict of scalar inputs (shape ()), numeric features expanded with
keras.ops.expand_dims, categorical features one-hot (CategoryEncoding) for the wide part and
Embedding for the deep part; the cross network computes ``x0 * Dense(cross) + cross`` with
keras.ops between layers. Categorical features are integer ids (the example looks strings up)."""

from __future__ import annotations

import math

import keras
from keras import layers, ops

from tests.corpus.models._util import seed

SOURCE = "examples/structured_data/wide_deep_cross_networks.py"
TITLE = "Structured data learning with Wide, Deep, and Cross networks"

NUMERIC = ["elevation", "slope", "hillshade"]
CATEGORICAL = {"wilderness_area": 4, "soil_type": 10}
NUM_CLASSES = 3
HIDDEN_UNITS = [16, 16]


def create_model_inputs():
    inputs = {}
    for name in NUMERIC:
        inputs[name] = layers.Input(name=name, shape=(), dtype="float32")
    for name in CATEGORICAL:
        inputs[name] = layers.Input(name=name, shape=(), dtype="int32")
    return inputs


def encode_inputs(inputs, use_embedding=False):
    encoded_features = []
    for feature_name in inputs:
        if feature_name in CATEGORICAL:
            vocab = CATEGORICAL[feature_name]
            if use_embedding:
                embedding_dims = int(math.sqrt(vocab))
                embedding = layers.Embedding(input_dim=vocab, output_dim=embedding_dims)
                encoded_feature = embedding(inputs[feature_name])
            else:
                encoded_feature = layers.CategoryEncoding(num_tokens=vocab, output_mode="one_hot")(
                    inputs[feature_name]
                )
        else:
            encoded_feature = ops.expand_dims(inputs[feature_name], -1)
        encoded_features.append(encoded_feature)
    return layers.concatenate(encoded_features)


def build() -> keras.Model:
    """Wide & Deep."""
    seed(52)
    inputs = create_model_inputs()
    wide = encode_inputs(inputs)
    wide = layers.BatchNormalization()(wide)
    deep = encode_inputs(inputs, use_embedding=True)
    for units in HIDDEN_UNITS:
        deep = layers.Dense(units)(deep)
        deep = layers.BatchNormalization()(deep)
        deep = layers.ReLU()(deep)
        deep = layers.Dropout(0.1)(deep)
    merged = layers.concatenate([wide, deep])
    outputs = layers.Dense(units=NUM_CLASSES, activation="softmax")(merged)
    return keras.Model(inputs=inputs, outputs=outputs, name="wide_deep")


def build_deep_cross() -> keras.Model:
    """Deep & Cross."""
    seed(53)
    inputs = create_model_inputs()
    x0 = encode_inputs(inputs, use_embedding=True)
    cross = x0
    for _ in HIDDEN_UNITS:
        units = cross.shape[-1]
        x = layers.Dense(units)(cross)
        cross = x0 * x + cross
    cross = layers.BatchNormalization()(cross)
    deep = x0
    for units in HIDDEN_UNITS:
        deep = layers.Dense(units)(deep)
        deep = layers.BatchNormalization()(deep)
        deep = layers.ReLU()(deep)
        deep = layers.Dropout(0.1)(deep)
    merged = layers.concatenate([cross, deep])
    outputs = layers.Dense(units=NUM_CLASSES, activation="softmax")(merged)
    return keras.Model(inputs=inputs, outputs=outputs, name="deep_cross")
