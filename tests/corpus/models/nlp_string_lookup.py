"""String features looked up inside the model, after keras-io
examples/structured_data/structured_data_classification_from_scratch.py ("Structured data
classification from scratch"): a string input (shape (1,), dtype string) encoded by a
StringLookup with a fixed vocabulary (one-hot), a numeric input normalised by an adapted
Normalization, concatenated and classified."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/structured_data/structured_data_classification_from_scratch.py"
TITLE = "Structured data classification from scratch (StringLookup)"

VOCABULARY = ["fixed", "normal", "reversible"]


def build() -> keras.Model:
    rng = seed(35)
    thal = keras.Input(shape=(1,), name="thal", dtype="string")
    age = keras.Input(shape=(1,), name="age")
    lookup = layers.StringLookup(vocabulary=VOCABULARY, output_mode="one_hot")
    thal_encoded = lookup(thal)
    normalizer = layers.Normalization()
    normalizer.adapt(rng.normal(54.0, 9.0, size=(128, 1)).astype("float32"))
    age_encoded = normalizer(age)
    all_features = layers.concatenate([thal_encoded, age_encoded])
    x = layers.Dense(8, activation="relu")(all_features)
    x = layers.Dropout(0.5)(x)
    output = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model([thal, age], output, name="string_lookup")
