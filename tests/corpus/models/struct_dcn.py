"""Deep & Cross Network, after keras-io examples/keras_rs/dcn.py ("Rank with Deep and Cross
Networks"): Embeddings of several integer features (a dict of inputs) concatenated with
keras.ops, a registered ``FeatureCross`` layer written after keras_rs.layers.FeatureCross
(``x0 * (W x + b) + x``, optionally low-rank with a projection), then Dense layers. Also the
example's toy cross network: ``Sequential([FeatureCross(), Dense(1)])``."""

from __future__ import annotations

import keras
from keras import layers, ops

from tests.corpus.models._util import seed

SOURCE = "examples/keras_rs/dcn.py"
TITLE = "Rank with Deep and Cross Networks"

VOCABULARIES = {"movie_id": 30, "user_id": 20, "user_gender": 2, "bucketized_user_age": 7}


@keras.saving.register_keras_serializable(package="corpus")
class FeatureCross(layers.Layer):
    """``x0 * (W x + b) + x``: one layer of a cross network (after keras_rs.layers.FeatureCross)."""

    def __init__(self, projection_dim=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.projection_dim = projection_dim
        self.use_bias = use_bias

    def build(self, input_shape):
        last_dim = input_shape[-1]
        if self.projection_dim is not None:
            self.down_proj_dense = layers.Dense(self.projection_dim, use_bias=False)
            self.down_proj_dense.build(input_shape)
            proj_shape = (*input_shape[:-1], self.projection_dim)
        else:
            proj_shape = input_shape
        self.dense = layers.Dense(last_dim, use_bias=self.use_bias)
        self.dense.build(proj_shape)

    def call(self, x0, x=None):
        if x is None:
            x = x0
        projected = self.down_proj_dense(x) if self.projection_dim is not None else x
        output = self.dense(projected)
        return ops.add(ops.multiply(x0, output), x)

    def get_config(self):
        config = super().get_config()
        config.update({"projection_dim": self.projection_dim, "use_bias": self.use_bias})
        return config


def build(embedding_dim=4, projection_dim=4) -> keras.Model:
    """The MovieLens DCN (low-rank cross layer), as a functional model with dict inputs."""
    seed(54)
    inputs = {name: keras.Input(shape=(), dtype="int32", name=name) for name in VOCABULARIES}
    embeddings = [
        layers.Embedding(input_dim=size + 1, output_dim=embedding_dim)(inputs[name])
        for name, size in VOCABULARIES.items()
    ]
    x = keras.ops.concatenate(embeddings, axis=1)
    x = FeatureCross(projection_dim=projection_dim)(x)
    for units in [16, 8]:
        x = layers.Dense(units, activation="relu")(x)
    outputs = layers.Dense(1)(x)
    return keras.Model(inputs, outputs, name="dcn")


def build_toy() -> keras.Model:
    """``cross_network = keras.Sequential([FeatureCross(), Dense(1)])`` on three features."""
    seed(55)
    return keras.Sequential(
        [keras.Input(shape=(3,)), FeatureCross(), layers.Dense(1)], name="cross_network"
    )
