"""WGAN-GP, after keras-io examples/generative/wgan_gp.py ("WGAN-GP overriding
Model.train_step"): the critic (ZeroPadding2D, conv blocks with LeakyReLU and Dropout, a linear
output) and the generator (Dense without bias, BatchNormalization, Reshape, upsample blocks of
UpSampling2D + Conv2D, a tanh, Cropping2D back to 28x28). Small: 8-32 filters."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/generative/wgan_gp.py"
TITLE = "WGAN-GP overriding Model.train_step"

IMG_SHAPE = (28, 28, 1)
NOISE_DIM = 16


def conv_block(
    x,
    filters,
    activation,
    kernel_size=(3, 3),
    strides=(1, 1),
    padding="same",
    use_bias=True,
    use_bn=False,
    use_dropout=False,
    drop_value=0.5,
):
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias)(x)
    if use_bn:
        x = layers.BatchNormalization()(x)
    x = activation(x)
    if use_dropout:
        x = layers.Dropout(drop_value)(x)
    return x


def build_critic() -> keras.Model:
    seed(44)
    img_input = layers.Input(shape=IMG_SHAPE)
    x = layers.ZeroPadding2D((2, 2))(img_input)
    x = conv_block(x, 8, kernel_size=(5, 5), strides=(2, 2), activation=layers.LeakyReLU(0.2))
    x = conv_block(
        x,
        16,
        kernel_size=(5, 5),
        strides=(2, 2),
        activation=layers.LeakyReLU(0.2),
        use_dropout=True,
        drop_value=0.3,
    )
    x = conv_block(
        x,
        32,
        kernel_size=(5, 5),
        strides=(2, 2),
        activation=layers.LeakyReLU(0.2),
        use_dropout=True,
        drop_value=0.3,
    )
    x = layers.Flatten()(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Dense(1)(x)
    return keras.models.Model(img_input, x, name="critic")


def upsample_block(
    x,
    filters,
    activation,
    kernel_size=(3, 3),
    strides=(1, 1),
    up_size=(2, 2),
    padding="same",
    use_bn=False,
    use_bias=True,
    use_dropout=False,
    drop_value=0.3,
):
    x = layers.UpSampling2D(up_size)(x)
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias)(x)
    if use_bn:
        x = layers.BatchNormalization()(x)
    if activation:
        x = activation(x)
    if use_dropout:
        x = layers.Dropout(drop_value)(x)
    return x


def build_generator() -> keras.Model:
    seed(45)
    noise = layers.Input(shape=(NOISE_DIM,))
    x = layers.Dense(4 * 4 * 32, use_bias=False)(noise)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((4, 4, 32))(x)
    x = upsample_block(x, 16, layers.LeakyReLU(0.2), use_bias=False, use_bn=True)
    x = upsample_block(x, 8, layers.LeakyReLU(0.2), use_bias=False, use_bn=True)
    x = upsample_block(x, 1, layers.Activation("tanh"), use_bias=False, use_bn=True)
    x = layers.Cropping2D((2, 2))(x)
    return keras.models.Model(noise, x, name="generator")
