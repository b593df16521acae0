"""Vision Transformer with keras.ops between the layers, after keras-io
examples/vision/image_classification_with_vision_transformer.py ("Image classification with
Vision Transformer"), written the functional way: ``keras.ops.image.extract_patches`` on the
input tensor, a Reshape, a registered ``AddPositionEmbedding`` layer holding its own weight (as
KerasHub's PositionEmbedding), MultiHeadAttention blocks with ``+`` skip connections and a
``keras.ops.mean`` pooling."""

from __future__ import annotations

import keras
from keras import layers, ops

from tests.corpus.models._util import seed

SOURCE = "examples/vision/image_classification_with_vision_transformer.py"
TITLE = "Image classification with Vision Transformer (keras.ops variant)"


@keras.saving.register_keras_serializable(package="corpus")
class AddPositionEmbedding(layers.Layer):
    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = sequence_length
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        self.position_embeddings = self.add_weight(
            name="embeddings",
            shape=(self.sequence_length, input_shape[-1]),
            initializer=self.initializer,
            trainable=True,
        )

    def call(self, inputs):
        return inputs + ops.expand_dims(self.position_embeddings, 0)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sequence_length": self.sequence_length,
                "initializer": keras.initializers.serialize(self.initializer),
            }
        )
        return config


def build() -> keras.Model:
    seed(4)
    patch, dim = 4, 16
    inputs = keras.Input(shape=(16, 16, 3))
    patches = keras.ops.image.extract_patches(inputs, size=patch)
    patches = layers.Reshape((16, patch * patch * 3))(patches)
    x = layers.Dense(dim)(patches)
    x = AddPositionEmbedding(16)(x)
    for _ in range(2):
        y = layers.LayerNormalization(epsilon=1e-6)(x)
        y = layers.MultiHeadAttention(num_heads=2, key_dim=dim)(y, y)
        x = x + y
        y = layers.LayerNormalization(epsilon=1e-6)(x)
        y = layers.Dense(2 * dim, activation="gelu")(y)
        y = layers.Dense(dim)(y)
        x = x + y
    x = ops.mean(x, axis=1)
    outputs = layers.Dense(5, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="vit_ops")
