"""Next-frame prediction, after keras-io examples/vision/conv_lstm.py ("Next-Frame Video
Prediction with Convolutional LSTMs"): frames of any count (None, 16, 16, 1), ConvLSTM2D layers
with BatchNormalization and a Conv3D with a sigmoid. Small: 16x16, 8 filters."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/vision/conv_lstm.py"
TITLE = "Next-Frame Video Prediction with Convolutional LSTMs"


def build() -> keras.Model:
    seed(14)
    inp = layers.Input(shape=(None, 16, 16, 1))
    x = layers.ConvLSTM2D(
        filters=8, kernel_size=(5, 5), padding="same", return_sequences=True, activation="relu"
    )(inp)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(
        filters=8, kernel_size=(3, 3), padding="same", return_sequences=True, activation="relu"
    )(x)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(
        filters=8, kernel_size=(1, 1), padding="same", return_sequences=True, activation="relu"
    )(x)
    x = layers.Conv3D(filters=1, kernel_size=(3, 3, 3), activation="sigmoid", padding="same")(x)
    return keras.Model(inp, x, name="conv_lstm")
