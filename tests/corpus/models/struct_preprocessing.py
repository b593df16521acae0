"""Several inputs with preprocessing layers, after keras-io
examples/structured_data/structured_data_classification_from_scratch.py ("Structured data
classification from scratch", the preprocessing-layers version): one scalar input per feature
(shape (1,)), adapted Normalization for numeric features, IntegerLookup (one-hot) for integer
categories, an adapted Discretization + CategoryEncoding, all concatenated."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/structured_data/structured_data_classification_from_scratch.py"
TITLE = "Structured data classification from scratch"


def build() -> keras.Model:
    rng = seed(51)
    numeric = {"age": (54, 9), "trestbps": (130, 17), "chol": (246, 51)}
    inputs, encoded = [], []
    for name, (mean, std) in numeric.items():
        feature = keras.Input(shape=(1,), name=name)
        normalizer = layers.Normalization(name=f"{name}_norm")
        normalizer.adapt(rng.normal(mean, std, size=(128, 1)).astype("float32"))
        inputs.append(feature)
        encoded.append(normalizer(feature))
    for name, size in {"sex": 2, "cp": 4}.items():
        feature = keras.Input(shape=(1,), name=name, dtype="int64")
        lookup = layers.IntegerLookup(
            vocabulary=list(range(size)), output_mode="one_hot", name=f"{name}_lookup"
        )
        inputs.append(feature)
        encoded.append(lookup(feature))
    oldpeak = keras.Input(shape=(1,), name="oldpeak")
    bins = layers.Discretization(num_bins=4, name="oldpeak_bins")
    bins.adapt(rng.normal(1.0, 1.1, size=(128, 1)).astype("float32"))
    one_hot = layers.CategoryEncoding(num_tokens=4, output_mode="one_hot", name="oldpeak_onehot")
    inputs.append(oldpeak)
    encoded.append(one_hot(bins(oldpeak)))
    all_features = layers.concatenate(encoded)
    x = layers.Dense(16, activation="relu")(all_features)
    x = layers.Dropout(0.5)(x)
    output = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, output, name="preprocessing_inputs")
