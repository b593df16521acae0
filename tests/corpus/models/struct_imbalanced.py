"""Imbalanced classification MLP, after keras-io
examples/structured_data/imbalanced_classification.py ("Imbalanced classification: credit card
fraud detection"): a Sequential of Dense and Dropout layers on 30 features."""

from __future__ import annotations

import keras

from tests.corpus.models._util import seed

SOURCE = "examples/structured_data/imbalanced_classification.py"
TITLE = "Imbalanced classification: credit card fraud detection"


def build() -> keras.Model:
    seed(58)
    return keras.Sequential(
        [
            keras.Input(shape=(30,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="imbalanced",
    )
