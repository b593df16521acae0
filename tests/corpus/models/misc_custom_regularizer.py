"""Custom regularisers and constraints, after keras.io/api/layers/regularizers ("Creating custom
regularizers": a Regularizer subclass with get_config, registered with
@keras.saving.register_keras_serializable) and keras.io/api/layers/constraints: a Dense layer
whose kernel_regularizer, bias_regularizer and kernel_constraint are corpus classes nested in
its configuration."""

from __future__ import annotations

import keras
from keras import layers, ops

from tests.corpus.models._util import seed

SOURCE = "keras.io/api/layers/regularizers"
TITLE = "Layer weight regularizers: creating custom regularizers"


@keras.saving.register_keras_serializable(package="corpus")
class OrthogonalityL2(keras.regularizers.Regularizer):
    def __init__(self, factor=0.01):
        self.factor = factor

    def __call__(self, w):
        gram = ops.matmul(ops.transpose(w), w)
        return self.factor * ops.sum(ops.square(gram - ops.eye(gram.shape[0])))

    def get_config(self):
        return {"factor": self.factor}


@keras.saving.register_keras_serializable(package="corpus")
class MyL1(keras.regularizers.Regularizer):
    def __init__(self, strength=1e-3):
        self.strength = strength

    def __call__(self, x):
        return self.strength * ops.sum(ops.abs(x))

    def get_config(self):
        return {"strength": self.strength}


@keras.saving.register_keras_serializable(package="corpus")
class CenterAround(keras.constraints.Constraint):
    """Constrains weight tensors to be centered around ``ref_value``."""

    def __init__(self, ref_value=0.0):
        self.ref_value = ref_value

    def __call__(self, w):
        mean = ops.mean(w)
        return w - mean + self.ref_value

    def get_config(self):
        return {"ref_value": self.ref_value}


def build() -> keras.Model:
    seed(71)
    inputs = keras.Input(shape=(16,))
    x = layers.Dense(
        16,
        activation="relu",
        kernel_regularizer=OrthogonalityL2(1e-3),
        bias_regularizer=MyL1(1e-4),
        kernel_constraint=CenterAround(0.0),
    )(inputs)
    x = layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.L1L2(1e-4, 1e-4))(
        x
    )
    outputs = layers.Dense(2, activity_regularizer=MyL1(1e-5))(x)
    return keras.Model(inputs, outputs, name="custom_regularizer")
