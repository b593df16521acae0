"""DCGAN, after keras-io examples/generative/dcgan_overriding_train_step.py ("DCGAN to generate
face images"): a Sequential discriminator (strided Conv2D, LeakyReLU, Flatten, Dropout, sigmoid)
and a Sequential generator (Dense, Reshape, Conv2DTranspose, LeakyReLU, a sigmoid Conv2D).
Small: 16x16 images, latent 16."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/generative/dcgan_overriding_train_step.py"
TITLE = "DCGAN to generate face images"

LATENT_DIM = 16


def build_discriminator() -> keras.Model:
    seed(42)
    return keras.Sequential(
        [
            keras.Input(shape=(16, 16, 3)),
            layers.Conv2D(8, kernel_size=4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(16, kernel_size=4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(16, kernel_size=4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Flatten(),
            layers.Dropout(0.2),
            layers.Dense(1, activation="sigmoid"),
        ],
        name="discriminator",
    )


def build_generator() -> keras.Model:
    seed(43)
    return keras.Sequential(
        [
            keras.Input(shape=(LATENT_DIM,)),
            layers.Dense(2 * 2 * 16),
            layers.Reshape((2, 2, 16)),
            layers.Conv2DTranspose(16, kernel_size=4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(16, kernel_size=4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(16, kernel_size=4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(3, kernel_size=5, padding="same", activation="sigmoid"),
        ],
        name="generator",
    )
