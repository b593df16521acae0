"""Compact Convolutional Transformer, after keras-io examples/vision/cct.py ("Compact
Convolutional Transformers"): registered custom layers ``CCTTokenizer`` (an inner Sequential of
Conv2D/ZeroPadding2D/MaxPooling2D, reshaped with keras.ops), ``PositionEmbedding`` (own weight,
ops.slice/broadcast_to), ``StochasticDepth`` (a SeedGenerator, active in training only) and
``SequencePooling`` (attention pooling with ops.softmax/matmul). Small: 16x16, 2 blocks."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from tests.corpus.models._util import seed

SOURCE = "examples/vision/cct.py"
TITLE = "Compact Convolutional Transformers"


@keras.saving.register_keras_serializable(package="corpus")
class CCTTokenizer(layers.Layer):
    def __init__(
        self,
        kernel_size=3,
        stride=1,
        padding=1,
        pooling_kernel_size=3,
        pooling_stride=2,
        num_conv_layers=2,
        num_output_channels=(16, 32),
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.settings = {
            "kernel_size": kernel_size,
            "stride": stride,
            "padding": padding,
            "pooling_kernel_size": pooling_kernel_size,
            "pooling_stride": pooling_stride,
            "num_conv_layers": num_conv_layers,
            "num_output_channels": list(num_output_channels),
        }
        self.conv_model = keras.Sequential()
        for i in range(num_conv_layers):
            self.conv_model.add(
                layers.Conv2D(
                    num_output_channels[i],
                    kernel_size,
                    stride,
                    padding="valid",
                    use_bias=False,
                    activation="relu",
                    kernel_initializer="he_normal",
                )
            )
            self.conv_model.add(layers.ZeroPadding2D(padding))
            self.conv_model.add(layers.MaxPooling2D(pooling_kernel_size, pooling_stride, "same"))

    def call(self, images):
        outputs = self.conv_model(images)
        reshaped = keras.ops.reshape(
            outputs,
            (-1, ops.shape(outputs)[1] * ops.shape(outputs)[2], ops.shape(outputs)[-1]),
        )
        return reshaped

    def get_config(self):
        config = super().get_config()
        config.update(self.settings)
        return config


@keras.saving.register_keras_serializable(package="corpus")
class PositionEmbedding(keras.layers.Layer):
    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if sequence_length is None:
            raise ValueError("`sequence_length` must be an Integer, received `None`.")
        self.sequence_length = int(sequence_length)
        self.initializer = keras.initializers.get(initializer)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sequence_length": self.sequence_length,
                "initializer": keras.initializers.serialize(self.initializer),
            }
        )
        return config

    def build(self, input_shape):
        feature_size = input_shape[-1]
        self.position_embeddings = self.add_weight(
            name="embeddings",
            shape=[self.sequence_length, feature_size],
            initializer=self.initializer,
            trainable=True,
        )
        super().build(input_shape)

    def call(self, inputs, start_index=0):
        shape = ops.shape(inputs)
        feature_length = shape[-1]
        sequence_length = shape[-2]
        position_embeddings = ops.convert_to_tensor(self.position_embeddings)
        position_embeddings = ops.slice(
            position_embeddings, (start_index, 0), (sequence_length, feature_length)
        )
        return ops.broadcast_to(position_embeddings, shape)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="corpus")
class SequencePooling(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.attention = layers.Dense(1)

    def call(self, x):
        attention_weights = ops.softmax(self.attention(x), axis=1)
        attention_weights = ops.transpose(attention_weights, axes=(0, 2, 1))
        weighted_representation = ops.matmul(attention_weights, x)
        return ops.squeeze(weighted_representation, -2)


@keras.saving.register_keras_serializable(package="corpus")
class StochasticDepth(layers.Layer):
    def __init__(self, drop_prop, **kwargs):
        super().__init__(**kwargs)
        self.drop_prob = drop_prop
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, x, training=None):
        if training:
            keep_prob = 1 - self.drop_prob
            shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
            random_tensor = keep_prob + keras.random.uniform(shape, 0, 1, seed=self.seed_generator)
            random_tensor = ops.floor(random_tensor)
            return (x / keep_prob) * random_tensor
        return x

    def get_config(self):
        config = super().get_config()
        config.update({"drop_prop": self.drop_prob})
        return config


def mlp(x, hidden_units, dropout_rate):
    # The example passes activation=keras.ops.gelu (the tanh approximation by default). Keras
    # saves that function as "gelu" and reloads it as keras.activations.gelu, the exact GELU, so
    # the example's .keras file computes differently from the model in memory (a Keras quirk,
    # relative 4e-4 here): the corpus uses keras.activations.gelu, which survives the file.
    for units in hidden_units:
        x = layers.Dense(units, activation=keras.activations.gelu)(x)
        x = layers.Dropout(dropout_rate)(x)
    return x


def build(transformer_layers=2, num_heads=2, projection_dim=32) -> keras.Model:
    seed(7)
    inputs = layers.Input((16, 16, 3))
    augmented = layers.Rescaling(scale=1.0 / 255)(inputs)
    cct_tokenizer = CCTTokenizer(num_output_channels=(16, projection_dim))
    encoded_patches = cct_tokenizer(augmented)
    sequence_length = encoded_patches.shape[1]
    encoded_patches += PositionEmbedding(sequence_length=sequence_length)(encoded_patches)
    dpr = [float(x) for x in np.linspace(0, 0.1, transformer_layers)]
    for i in range(transformer_layers):
        x1 = layers.LayerNormalization(epsilon=1e-5)(encoded_patches)
        attention_output = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=projection_dim, dropout=0.1
        )(x1, x1)
        attention_output = StochasticDepth(dpr[i])(attention_output)
        x2 = layers.Add()([attention_output, encoded_patches])
        x3 = layers.LayerNormalization(epsilon=1e-5)(x2)
        x3 = mlp(x3, hidden_units=[projection_dim, projection_dim], dropout_rate=0.1)
        x3 = StochasticDepth(dpr[i])(x3)
        encoded_patches = layers.Add()([x3, x2])
    representation = layers.LayerNormalization(epsilon=1e-5)(encoded_patches)
    weighted_representation = SequencePooling()(representation)
    logits = layers.Dense(10)(weighted_representation)
    return keras.Model(inputs=inputs, outputs=logits, name="cct")
