"""Simple MNIST convnet, after keras-io examples/vision/mnist_convnet.py ("Simple MNIST
convnet"): Conv2D, MaxPooling2D, Flatten, Dropout, Dense in a Sequential model; fewer filters."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/vision/mnist_convnet.py"
TITLE = "Simple MNIST convnet"


def build() -> keras.Model:
    seed(1)
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(8, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ],
        name="mnist_convnet",
    )
