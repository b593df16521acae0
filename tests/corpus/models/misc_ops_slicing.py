"""keras.ops and tensor slicing between layers (the Keras 3 functional API guide, keras-io
guides/functional_api.py, and the class-token pattern ``x[:, 0]`` of the transformer examples,
e.g. examples/vision/deit.py): Keras' GetItem with tuples of slices (``x[:, 0]``,
``x[:, -1, :4]``, ``x[..., ::2]``), ops.mean/max/concatenate/expand_dims/transpose/reshape,
arithmetic with constants."""

from __future__ import annotations

import keras
from keras import layers, ops

from tests.corpus.models._util import seed

SOURCE = "guides/functional_api.py"
TITLE = "The Functional API (keras.ops and slicing between layers)"


def build() -> keras.Model:
    seed(70)
    inputs = keras.Input(shape=(8, 6), name="tokens")
    x = layers.Dense(16, activation="relu")(inputs)
    cls = x[:, 0]
    last = x[:, -1, :4]
    every_other = x[..., ::2]
    pooled_mean = ops.mean(x, axis=1)
    pooled_max = ops.max(every_other, axis=1)
    joined = ops.concatenate([cls, pooled_mean, pooled_max, last], axis=-1)
    y = layers.Dense(8)(joined)
    y = ops.relu(y) * 0.5 + 1.0
    z = ops.transpose(x, (0, 2, 1))
    z = ops.reshape(z, (-1, 16 * 8))
    z = layers.Dense(8)(z)
    outputs = layers.Dense(3, activation="softmax")(ops.concatenate([y, z], axis=-1))
    return keras.Model(inputs, outputs, name="ops_slicing")
