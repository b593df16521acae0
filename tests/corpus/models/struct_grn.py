"""Gated residual and variable selection networks, after keras-io
examples/structured_data/classification_with_grn_and_vsn.py ("Classification with Gated Residual
and Variable Selection Networks"): registered custom layers ``GatedLinearUnit``,
``GatedResidualNetwork`` and ``VariableSelection`` (called with a LIST of tensors, one per
feature); numeric features expanded with keras.ops and projected with Dense, categorical ones
embedded. Small: 3 numeric and 2 categorical features, encoding size 8."""

from __future__ import annotations

import keras
from keras import layers, ops

from tests.corpus.models._util import seed

SOURCE = "examples/structured_data/classification_with_grn_and_vsn.py"
TITLE = "Classification with Gated Residual and Variable Selection Networks"

NUMERIC = ["age", "wage_per_hour", "capital_gains"]
CATEGORICAL = {"education": 12, "marital_status": 6}


@keras.saving.register_keras_serializable(package="corpus")
class GatedLinearUnit(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.linear = layers.Dense(units)
        self.sigmoid = layers.Dense(units, activation="sigmoid")

    def call(self, inputs):
        return self.linear(inputs) * self.sigmoid(inputs)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


@keras.saving.register_keras_serializable(package="corpus")
class GatedResidualNetwork(layers.Layer):
    def __init__(self, units, dropout_rate, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dropout_rate = dropout_rate
        self.elu_dense = layers.Dense(units, activation="elu")
        self.linear_dense = layers.Dense(units)
        self.dropout = layers.Dropout(dropout_rate)
        self.gated_linear_unit = GatedLinearUnit(units)
        self.layer_norm = layers.LayerNormalization()
        self.project = layers.Dense(units)

    def call(self, inputs):
        x = self.elu_dense(inputs)
        x = self.linear_dense(x)
        x = self.dropout(x)
        if inputs.shape[-1] != self.units:
            inputs = self.project(inputs)
        x = inputs + self.gated_linear_unit(x)
        x = self.layer_norm(x)
        return x

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "dropout_rate": self.dropout_rate})
        return config


@keras.saving.register_keras_serializable(package="corpus")
class VariableSelection(layers.Layer):
    def __init__(self, num_features, units, dropout_rate, **kwargs):
        super().__init__(**kwargs)
        self.num_features = num_features
        self.units = units
        self.dropout_rate = dropout_rate
        self.grns = [GatedResidualNetwork(units, dropout_rate) for _ in range(num_features)]
        self.grn_concat = GatedResidualNetwork(num_features, dropout_rate)
        self.softmax = layers.Dense(units=num_features, activation="softmax")

    def call(self, inputs):
        v = ops.concatenate(inputs, axis=-1)
        v = self.grn_concat(v)
        v = ops.expand_dims(self.softmax(v), axis=-1)
        x = []
        for idx, input in enumerate(inputs):
            x.append(self.grns[idx](input))
        x = ops.stack(x, axis=1)
        return ops.squeeze(ops.matmul(ops.transpose(v, axes=[0, 2, 1]), x), axis=1)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_features": self.num_features,
                "units": self.units,
                "dropout_rate": self.dropout_rate,
            }
        )
        return config


def build(encoding_size=8, dropout_rate=0.15) -> keras.Model:
    seed(57)
    inputs = {}
    for name in NUMERIC:
        inputs[name] = layers.Input(name=name, shape=(), dtype="float32")
    for name in CATEGORICAL:
        inputs[name] = layers.Input(name=name, shape=(), dtype="int32")
    feature_list = []
    for name, tensor in inputs.items():
        if name in CATEGORICAL:
            encoded = layers.Embedding(input_dim=CATEGORICAL[name], output_dim=encoding_size)(
                tensor
            )
        else:
            encoded = ops.expand_dims(tensor, -1)
            encoded = layers.Dense(units=encoding_size)(encoded)
        feature_list.append(encoded)
    features = VariableSelection(len(feature_list), encoding_size, dropout_rate)(feature_list)
    outputs = layers.Dense(units=1, activation="sigmoid")(features)
    return keras.Model(inputs=inputs, outputs=outputs, name="grn_vsn")
