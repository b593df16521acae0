"""Convolutional reconstruction autoencoder, after keras-io
examples/timeseries/timeseries_anomaly_detection.py ("Timeseries anomaly detection using an
Autoencoder"): a Sequential of strided Conv1D, Dropout and Conv1DTranspose layers."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/timeseries/timeseries_anomaly_detection.py"
TITLE = "Timeseries anomaly detection using an Autoencoder"


def build() -> keras.Model:
    seed(23)
    return keras.Sequential(
        [
            layers.Input(shape=(32, 1)),
            layers.Conv1D(filters=8, kernel_size=7, padding="same", strides=2, activation="relu"),
            layers.Dropout(rate=0.2),
            layers.Conv1D(filters=4, kernel_size=7, padding="same", strides=2, activation="relu"),
            layers.Conv1DTranspose(
                filters=4, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Dropout(rate=0.2),
            layers.Conv1DTranspose(
                filters=8, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Conv1DTranspose(filters=1, kernel_size=7, padding="same"),
        ],
        name="ts_anomaly",
    )
