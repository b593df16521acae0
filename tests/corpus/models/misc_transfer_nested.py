"""Transfer learning with a frozen nested backbone, after keras-io guides/transfer_learning.py
("Transfer learning & fine-tuning", the end-to-end example): a nested data-augmentation
Sequential, Rescaling(1/127.5, offset=-1), a functional backbone (a small CNN with
BatchNormalization instead of Xception) frozen with ``base_model.trainable = False`` and called
with ``training=False``, GlobalAveragePooling2D, Dropout and a Dense head."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "guides/transfer_learning.py"
TITLE = "Transfer learning & fine-tuning"


def build() -> keras.Model:
    seed(75)
    base_in = keras.Input(shape=(32, 32, 3))
    b = layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(base_in)
    b = layers.BatchNormalization()(b)
    b = layers.Activation("relu")(b)
    b = layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False)(b)
    b = layers.BatchNormalization()(b)
    b = layers.Activation("relu")(b)
    base_model = keras.Model(base_in, b, name="backbone")
    base_model.trainable = False

    data_augmentation = keras.Sequential(
        [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)], name="augmentation"
    )
    inputs = keras.Input(shape=(32, 32, 3))
    x = data_augmentation(inputs)
    scale_layer = layers.Rescaling(scale=1 / 127.5, offset=-1)
    x = scale_layer(x)
    x = base_model(x, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(1)(x)
    return keras.Model(inputs, outputs, name="transfer_nested")
