"""LeNet-5 and AlexNet, the two classic convolutional networks.

LeNet-5: Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-Based Learning Applied to
Document Recognition", Proceedings of the IEEE 86(11), 1998.
AlexNet: A. Krizhevsky, I. Sutskever, G. E. Hinton, "ImageNet Classification with Deep
Convolutional Neural Networks", NeurIPS 2012.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from designer.core.lazy import LazyModule

if TYPE_CHECKING:
    import keras
    from keras import layers
else:  # imported when a network is built, not when the zoo is listed
    keras, layers = LazyModule("keras"), LazyModule("keras.layers")


def build_lenet5(
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
    activation: str = "tanh",
) -> keras.Model:
    """LeNet-5: C1 conv 6@5x5, S2 pool, C3 conv 16@5x5, S4 pool, C5 conv 120@5x5, F6 84, output.

    Modern reading of the 1998 layout: 28x28 inputs are padded in C1 (the paper pads digits to
    32x32), C3 is fully connected to S2, pooling has no weights and the output is a softmax
    Dense layer instead of RBF units.
    """
    shape = tuple(input_shape or (28, 28, 1))
    inputs = keras.Input(shape, name="input")
    padding = "same" if (shape[0] or 32) < 32 else "valid"
    x = layers.Conv2D(6, 5, padding=padding, activation=activation, name="C1_conv")(inputs)
    x = layers.AveragePooling2D(2, name="S2_pool")(x)
    x = layers.Conv2D(16, 5, activation=activation, name="C3_conv")(x)
    x = layers.AveragePooling2D(2, name="S4_pool")(x)
    x = layers.Conv2D(120, 5, activation=activation, name="C5_conv")(x)
    x = layers.Flatten(name="flatten")(x)
    if include_top:
        x = layers.Dense(84, activation=activation, name="F6_dense")(x)
        x = layers.Dense(num_classes or 10, activation="softmax", name="output")(x)
    return keras.Model(inputs, x, name="lenet5")


def build_alexnet(
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
    grouped: bool = False,
) -> keras.Model:
    """AlexNet, single-GPU variant (no grouping) by default; ``grouped=True``: the 2-GPU paper net.

    Local response normalisation is left out (Keras has no such layer; later work showed it
    adds little). 227x227x3 input, conv 96@11x11/4, 256@5x5, 384, 384, 256@3x3, FC 4096-4096.
    """
    groups = 2 if grouped else 1
    inputs = keras.Input(tuple(input_shape or (227, 227, 3)), name="input")
    x = layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = layers.Conv2D(256, 5, padding="same", groups=groups, activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool2")(x)
    x = layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3")(x)
    x = layers.Conv2D(384, 3, padding="same", groups=groups, activation="relu", name="conv4")(x)
    x = layers.Conv2D(256, 3, padding="same", groups=groups, activation="relu", name="conv5")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool5")(x)
    x = layers.Flatten(name="flatten")(x)
    if include_top:
        x = layers.Dense(4096, activation="relu", name="fc6")(x)
        x = layers.Dropout(0.5, name="drop6")(x)
        x = layers.Dense(4096, activation="relu", name="fc7")(x)
        x = layers.Dropout(0.5, name="drop7")(x)
        x = layers.Dense(num_classes or 1000, activation="softmax", name="fc8")(x)
    return keras.Model(inputs, x, name="alexnet")
