"""PixelCNN, after keras-io examples/generative/pixelcnn.py ("PixelCNN"): a registered masked
convolution ``PixelConvLayer`` (an inner Conv2D whose kernel is multiplied by a mask and
ASSIGNED in ``call``: state changed during the call) and a registered ``ResidualBlock`` holding
two Conv2D and a PixelConvLayer. Small: 8x8 images, 16 filters, 2 residual blocks."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/generative/pixelcnn.py"
TITLE = "PixelCNN"


@keras.saving.register_keras_serializable(package="corpus")
class PixelConvLayer(layers.Layer):
    def __init__(
        self,
        mask_type,
        filters,
        kernel_size,
        strides=1,
        activation=None,
        padding="valid",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.mask_type = mask_type
        self.conv_settings = {
            "filters": filters,
            "kernel_size": kernel_size,
            "strides": strides,
            "activation": activation,
            "padding": padding,
        }
        self.conv = layers.Conv2D(**self.conv_settings)

    def build(self, input_shape):
        self.conv.build(input_shape)
        kernel_shape = tuple(self.conv.kernel.shape)
        self.mask = np.zeros(shape=kernel_shape, dtype="float32")
        self.mask[: kernel_shape[0] // 2, ...] = 1.0
        self.mask[kernel_shape[0] // 2, : kernel_shape[1] // 2, ...] = 1.0
        if self.mask_type == "B":
            self.mask[kernel_shape[0] // 2, kernel_shape[1] // 2, ...] = 1.0

    def call(self, inputs):
        self.conv.kernel.assign(self.conv.kernel * self.mask)
        return self.conv(inputs)

    def compute_output_shape(self, input_shape):
        return self.conv.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"mask_type": self.mask_type, **self.conv_settings})
        return config


@keras.saving.register_keras_serializable(package="corpus")
class ResidualBlock(keras.layers.Layer):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.conv1 = keras.layers.Conv2D(filters=filters, kernel_size=1, activation="relu")
        self.pixel_conv = PixelConvLayer(
            mask_type="B",
            filters=filters // 2,
            kernel_size=3,
            activation="relu",
            padding="same",
        )
        self.conv2 = keras.layers.Conv2D(filters=filters, kernel_size=1, activation="relu")

    def call(self, inputs):
        x = self.conv1(inputs)
        x = self.pixel_conv(x)
        x = self.conv2(x)
        return inputs + x

    def get_config(self):
        config = super().get_config()
        config.update({"filters": self.filters})
        return config


def build(n_residual_blocks=2) -> keras.Model:
    seed(46)
    inputs = keras.Input(shape=(8, 8, 1))
    x = PixelConvLayer(mask_type="A", filters=16, kernel_size=7, activation="relu", padding="same")(
        inputs
    )
    for _ in range(n_residual_blocks):
        x = ResidualBlock(filters=16)(x)
    for _ in range(2):
        x = PixelConvLayer(
            mask_type="B", filters=16, kernel_size=1, strides=1, activation="relu", padding="valid"
        )(x)
    out = keras.layers.Conv2D(
        filters=1, kernel_size=1, strides=1, activation="sigmoid", padding="valid"
    )(x)
    return keras.Model(inputs, out, name="pixelcnn")
