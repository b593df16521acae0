"""Fully convolutional time-series classifier, after keras-io
examples/timeseries/timeseries_classification_from_scratch.py ("Timeseries classification from
scratch"): three Conv1D/BatchNormalization/ReLU blocks, GlobalAveragePooling1D, softmax."""

from __future__ import annotations

import keras

from tests.corpus.models._util import seed

SOURCE = "examples/timeseries/timeseries_classification_from_scratch.py"
TITLE = "Timeseries classification from scratch"


def build(input_shape=(64, 1), num_classes=2) -> keras.Model:
    seed(20)
    input_layer = keras.layers.Input(input_shape)
    conv1 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)
    conv2 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)
    conv3 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(conv2)
    conv3 = keras.layers.BatchNormalization()(conv3)
    conv3 = keras.layers.ReLU()(conv3)
    gap = keras.layers.GlobalAveragePooling1D()(conv3)
    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)
    return keras.models.Model(inputs=input_layer, outputs=output_layer, name="ts_fcn")
