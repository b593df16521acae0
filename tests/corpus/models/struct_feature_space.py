"""FeatureSpace inference model, after keras-io
examples/structured_data/structured_data_classification_with_feature_space.py ("Structured data
classification with FeatureSpace"): ``keras.utils.FeatureSpace`` adapted on a small random
table (integer and string categorical features, a normalised and a discretised float feature,
a feature cross), then ``keras.Model(inputs=feature_space.get_inputs(), outputs=...)`` on the
encoded features: a dict of seven scalar inputs feeding the preprocessing layers."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers
from keras.utils import FeatureSpace

from tests.corpus.models._util import seed

SOURCE = "examples/structured_data/structured_data_classification_with_feature_space.py"
TITLE = "Structured data classification with FeatureSpace"


def _table(rng: np.random.Generator, n: int = 64) -> dict[str, np.ndarray]:
    return {
        "sex": rng.integers(0, 2, n).astype("int64"),
        "cp": rng.integers(0, 4, n).astype("int64"),
        "thal": rng.choice(["fixed", "normal", "reversible"], n),
        "age": rng.normal(54, 9, n).astype("float32"),
        "trestbps": rng.normal(130, 17, n).astype("float32"),
        "chol": rng.normal(246, 51, n).astype("float32"),
        "oldpeak": rng.normal(1.0, 1.1, n).astype("float32"),
    }


def build() -> keras.Model:
    rng = seed(50)
    feature_space = FeatureSpace(
        features={
            "sex": FeatureSpace.integer_categorical(num_oov_indices=1),
            "cp": FeatureSpace.integer_categorical(num_oov_indices=1),
            "thal": FeatureSpace.string_categorical(num_oov_indices=1),
            "age": FeatureSpace.float_discretized(num_bins=4),
            "trestbps": FeatureSpace.float_normalized(),
            "chol": FeatureSpace.float_normalized(),
            "oldpeak": FeatureSpace.float_normalized(),
        },
        crosses=[FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=8)],
        output_mode="concat",
    )
    feature_space.adapt(tf.data.Dataset.from_tensor_slices(_table(rng)))
    dict_inputs = feature_space.get_inputs()
    encoded_features = feature_space.get_encoded_features()
    x = layers.Dense(16, activation="relu")(encoded_features)
    x = layers.Dropout(0.5)(x)
    predictions = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs=dict_inputs, outputs=predictions, name="feature_space")
