"""GoogLeNet (Inception v1) without the auxiliary classifiers.

C. Szegedy, W. Liu, Y. Jia, P. Sermanet, S. Reed, D. Anguelov, D. Erhan, V. Vanhoucke,
A. Rabinovich, "Going Deeper with Convolutions", CVPR 2015 (arXiv:1409.4842, 2014).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from designer.core.lazy import LazyModule

if TYPE_CHECKING:
    import keras
    from keras import layers
else:  # imported when a network is built, not when the zoo is listed
    keras, layers = LazyModule("keras"), LazyModule("keras.layers")

# Table 1 of the paper: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}


def inception_module(x: keras.KerasTensor, name: str, sizes: tuple[int, ...]) -> keras.KerasTensor:
    """One inception module: 1x1, 1x1->3x3, 1x1->5x5 and pool->1x1 branches, concatenated."""
    n1, r3, n3, r5, n5, pp = sizes

    def conv(t, filters, kernel, suffix):
        return layers.Conv2D(
            filters, kernel, padding="same", activation="relu", name=f"inception_{name}_{suffix}"
        )(t)

    b1 = conv(x, n1, 1, "1x1")
    b3 = conv(conv(x, r3, 1, "3x3_reduce"), n3, 3, "3x3")
    b5 = conv(conv(x, r5, 1, "5x5_reduce"), n5, 5, "5x5")
    bp = layers.MaxPooling2D(3, strides=1, padding="same", name=f"inception_{name}_pool")(x)
    bp = conv(bp, pp, 1, "pool_proj")
    return layers.Concatenate(name=f"inception_{name}_output")([b1, b3, b5, bp])


def build_googlenet(
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
) -> keras.Model:
    """GoogLeNet: stem, nine inception modules (3a-5b), global average pooling, dropout 0.4, FC.

    Local response normalisation of the stem is left out (Keras has no such layer).
    """
    inputs = keras.Input(tuple(input_shape or (224, 224, 3)), name="input")
    x = layers.Conv2D(64, 7, strides=2, padding="same", activation="relu", name="conv1_7x7")(inputs)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    x = layers.Conv2D(64, 1, activation="relu", name="conv2_reduce")(x)
    x = layers.Conv2D(192, 3, padding="same", activation="relu", name="conv2_3x3")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool2")(x)
    for key in ("3a", "3b"):
        x = inception_module(x, key, INCEPTION[key])
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool3")(x)
    for key in ("4a", "4b", "4c", "4d", "4e"):
        x = inception_module(x, key, INCEPTION[key])
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool4")(x)
    for key in ("5a", "5b"):
        x = inception_module(x, key, INCEPTION[key])
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if include_top:
        x = layers.Dropout(0.4, name="dropout")(x)
        x = layers.Dense(num_classes or 1000, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, x, name="googlenet")
