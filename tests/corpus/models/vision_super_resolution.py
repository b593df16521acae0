"""Sub-pixel super-resolution, after keras-io examples/vision/super_resolution_sub_pixel.py
("Image Super-Resolution using an Efficient Sub-Pixel CNN"): an input of any height and width
(None, None, 1), Conv2D layers with orthogonal initialisers and a registered ``DepthToSpace``
layer written with keras.ops (reshape/transpose)."""

from __future__ import annotations

import keras
from keras import layers, ops

from tests.corpus.models._util import seed

SOURCE = "examples/vision/super_resolution_sub_pixel.py"
TITLE = "Image Super-Resolution using an Efficient Sub-Pixel CNN"


@keras.saving.register_keras_serializable(package="corpus")
class DepthToSpace(layers.Layer):
    def __init__(self, block_size, **kwargs):
        super().__init__(**kwargs)
        self.block_size = block_size

    def call(self, input):
        batch, height, width, depth = ops.shape(input)
        depth = depth // (self.block_size**2)
        x = ops.reshape(input, [batch, height, width, self.block_size, self.block_size, depth])
        x = ops.transpose(x, [0, 1, 3, 2, 4, 5])
        x = ops.reshape(x, [batch, height * self.block_size, width * self.block_size, depth])
        return x

    def get_config(self):
        config = super().get_config()
        config.update({"block_size": self.block_size})
        return config


def build(upscale_factor=3, channels=1) -> keras.Model:
    seed(12)
    conv_args = {"activation": "relu", "kernel_initializer": "orthogonal", "padding": "same"}
    inputs = keras.Input(shape=(None, None, channels))
    x = layers.Conv2D(16, 5, **conv_args)(inputs)
    x = layers.Conv2D(16, 3, **conv_args)(x)
    x = layers.Conv2D(8, 3, **conv_args)(x)
    x = layers.Conv2D(channels * (upscale_factor**2), 3, **conv_args)(x)
    outputs = DepthToSpace(upscale_factor)(x)
    return keras.Model(inputs, outputs, name="super_resolution")
