"""3D CT-scan classifier, after keras-io examples/vision/3D_image_classification.py ("3D image
classification from CT scans"): Conv3D, MaxPool3D, BatchNormalization, GlobalAveragePooling3D,
Dense, Dropout. Small: 16x16x16 volumes, 8-16 filters."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/vision/3D_image_classification.py"
TITLE = "3D image classification from CT scans"


def build(width=16, height=16, depth=16) -> keras.Model:
    seed(15)
    inputs = keras.Input((width, height, depth, 1))
    x = layers.Conv3D(filters=8, kernel_size=3, activation="relu")(inputs)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Conv3D(filters=16, kernel_size=3, activation="relu")(x)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)
    x = layers.GlobalAveragePooling3D()(x)
    x = layers.Dense(units=16, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(units=1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="3dcnn")
