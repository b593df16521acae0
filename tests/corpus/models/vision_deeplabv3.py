"""DeepLabV3+, after keras-io examples/vision/deeplabv3_plus.py ("Multiclass semantic
segmentation using DeepLabV3+"): convolution blocks ending in ``keras.ops.nn.relu``, Dilated
Spatial Pyramid Pooling (full-size AveragePooling2D, bilinear UpSampling2D, dilation rates 1, 6,
12, 18, Concatenate) and the decoder joining low-level features. The ResNet50 backbone is a
small strided CNN here. Small: 32x32, 16 filters."""

from __future__ import annotations

import keras
from keras import layers, ops

from tests.corpus.models._util import seed

SOURCE = "examples/vision/deeplabv3_plus.py"
TITLE = "Multiclass semantic segmentation using DeepLabV3+"


def convolution_block(block_input, num_filters=16, kernel_size=3, dilation_rate=1, use_bias=False):
    x = layers.Conv2D(
        num_filters,
        kernel_size=kernel_size,
        dilation_rate=dilation_rate,
        padding="same",
        use_bias=use_bias,
        kernel_initializer=keras.initializers.HeNormal(),
    )(block_input)
    x = layers.BatchNormalization()(x)
    return ops.nn.relu(x)


def dilated_spatial_pyramid_pooling(dspp_input):
    dims = dspp_input.shape
    x = layers.AveragePooling2D(pool_size=(dims[-3], dims[-2]))(dspp_input)
    x = convolution_block(x, kernel_size=1, use_bias=True)
    out_pool = layers.UpSampling2D(
        size=(dims[-3] // x.shape[1], dims[-2] // x.shape[2]), interpolation="bilinear"
    )(x)
    out_1 = convolution_block(dspp_input, kernel_size=1, dilation_rate=1)
    out_6 = convolution_block(dspp_input, kernel_size=3, dilation_rate=6)
    out_12 = convolution_block(dspp_input, kernel_size=3, dilation_rate=12)
    out_18 = convolution_block(dspp_input, kernel_size=3, dilation_rate=18)
    x = layers.Concatenate(axis=-1)([out_pool, out_1, out_6, out_12, out_18])
    return convolution_block(x, kernel_size=1)


def build(image_size=32, num_classes=3) -> keras.Model:
    seed(13)
    model_input = keras.Input(shape=(image_size, image_size, 3))
    x = layers.Rescaling(1 / 127.5, offset=-1)(model_input)
    x = convolution_block(x, num_filters=8)
    x = layers.MaxPooling2D(2)(x)
    x = convolution_block(x, num_filters=16)
    x = layers.MaxPooling2D(2)(x)
    low_level = convolution_block(x, num_filters=16)
    x = layers.MaxPooling2D(2)(low_level)
    x = dilated_spatial_pyramid_pooling(x)
    input_a = layers.UpSampling2D(
        size=(image_size // 4 // x.shape[1], image_size // 4 // x.shape[2]),
        interpolation="bilinear",
    )(x)
    input_b = convolution_block(low_level, num_filters=8, kernel_size=1)
    x = layers.Concatenate(axis=-1)([input_a, input_b])
    x = convolution_block(x)
    x = convolution_block(x)
    x = layers.UpSampling2D(
        size=(image_size // x.shape[1], image_size // x.shape[2]), interpolation="bilinear"
    )(x)
    model_output = layers.Conv2D(num_classes, kernel_size=(1, 1), padding="same")(x)
    return keras.Model(inputs=model_input, outputs=model_output, name="deeplabv3_plus")
