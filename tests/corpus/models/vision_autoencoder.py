"""Convolutional autoencoder, after keras-io examples/vision/autoencoder.py ("Convolutional
autoencoder for image denoising"): Conv2D/MaxPooling2D encoder, Conv2DTranspose decoder."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/vision/autoencoder.py"
TITLE = "Convolutional autoencoder for image denoising"


def build() -> keras.Model:
    seed(11)
    input = layers.Input(shape=(28, 28, 1))
    x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(input)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2DTranspose(8, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(8, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    return keras.Model(input, x, name="autoencoder")
