"""SqueezeNet 1.1.

F. N. Iandola, S. Han, M. W. Moskewicz, K. Ashraf, W. J. Dally, K. Keutzer, "SqueezeNet:
AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size", arXiv:1602.07360,
2016; version 1.1 as in the authors' repository (DeepScale/SqueezeNet) and torchvision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from designer.core.lazy import LazyModule

if TYPE_CHECKING:
    import keras
    from keras import layers
else:  # imported when a network is built, not when the zoo is listed
    keras, layers = LazyModule("keras"), LazyModule("keras.layers")


def fire_module(x: keras.KerasTensor, squeeze: int, expand: int, name: str) -> keras.KerasTensor:
    """Fire module: 1x1 squeeze, then parallel 1x1 and 3x3 expand convolutions concatenated."""
    s = layers.Conv2D(squeeze, 1, activation="relu", name=f"{name}_squeeze1x1")(x)
    e1 = layers.Conv2D(expand, 1, activation="relu", name=f"{name}_expand1x1")(s)
    e3 = layers.Conv2D(expand, 3, padding="same", activation="relu", name=f"{name}_expand3x3")(s)
    return layers.Concatenate(name=f"{name}_concat")([e1, e3])


def build_squeezenet11(
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
) -> keras.Model:
    """SqueezeNet 1.1: 3x3/2 stem, eight fire modules, 1x1 conv classifier, global average pool."""
    inputs = keras.Input(tuple(input_shape or (224, 224, 3)), name="input")
    x = layers.Conv2D(64, 3, strides=2, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = fire_module(x, 16, 64, "fire2")
    x = fire_module(x, 16, 64, "fire3")
    x = layers.MaxPooling2D(3, strides=2, name="pool3")(x)
    x = fire_module(x, 32, 128, "fire4")
    x = fire_module(x, 32, 128, "fire5")
    x = layers.MaxPooling2D(3, strides=2, name="pool5")(x)
    for i, (sq, ex) in enumerate(((48, 192), (48, 192), (64, 256), (64, 256)), start=6):
        x = fire_module(x, sq, ex, f"fire{i}")
    if include_top:
        x = layers.Dropout(0.5, name="dropout")(x)
        x = layers.Conv2D(num_classes or 1000, 1, activation="relu", name="conv10")(x)
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Softmax(name="predictions")(x)
    return keras.Model(inputs, x, name="squeezenet1_1")
