"""Transformer time-series classifier, after keras-io
examples/timeseries/timeseries_classification_transformer.py ("Timeseries classification with a
Transformer model"): encoder blocks of MultiHeadAttention, Dropout, LayerNormalization and
Conv1D feed-forward layers joined with ``+`` (keras.ops adds between layers),
GlobalAveragePooling1D, an MLP head. Small: 32 steps, 2 blocks."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/timeseries/timeseries_classification_transformer.py"
TITLE = "Timeseries classification with a Transformer model"


def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0.0):
    x = layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads, dropout=dropout)(
        inputs, inputs
    )
    x = layers.Dropout(dropout)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    res = x + inputs
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    return x + res


def build(
    input_shape=(32, 1),
    head_size=8,
    num_heads=2,
    ff_dim=4,
    num_transformer_blocks=2,
    mlp_units=(16,),
    dropout=0.25,
    mlp_dropout=0.4,
    n_classes=2,
) -> keras.Model:
    seed(21)
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for _ in range(num_transformer_blocks):
        x = transformer_encoder(x, head_size, num_heads, ff_dim, dropout)
    x = layers.GlobalAveragePooling1D(data_format="channels_last")(x)
    for dim in mlp_units:
        x = layers.Dense(dim, activation="relu")(x)
        x = layers.Dropout(mlp_dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="ts_transformer")
