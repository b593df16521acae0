"""Encoder-decoder networks for semantic segmentation (per-pixel softmax).

U-Net: O. Ronneberger, P. Fischer, T. Brox, "U-Net: Convolutional Networks for Biomedical
Image Segmentation", MICCAI 2015 (arXiv:1505.04597).
SegNet: V. Badrinarayanan, A. Kendall, R. Cipolla, "SegNet: A Deep Convolutional
Encoder-Decoder Architecture for Image Segmentation", IEEE TPAMI 2017 (arXiv:1511.00561).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from designer.core.lazy import LazyModule

if TYPE_CHECKING:
    import keras
    from keras import layers
else:  # imported when a network is built, not when the zoo is listed
    keras, layers = LazyModule("keras"), LazyModule("keras.layers")


def _double_conv(x, filters: int, name: str, batch_norm: bool = False):
    for i in (1, 2):
        x = layers.Conv2D(
            filters, 3, padding="same", use_bias=not batch_norm, name=f"{name}_conv{i}"
        )(x)
        if batch_norm:
            x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = layers.ReLU(name=f"{name}_relu{i}")(x)
    return x


def build_unet(
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
    base_filters: int = 64,
    depth: int = 4,
) -> keras.Model:
    """U-Net: 4 down steps (2 convs + max-pool), bottleneck, 4 up steps (2x2 transposed conv,
    concatenation with the encoder features, 2 convs), 1x1 conv classifier.

    'same' padding keeps the output the size of the input (height, width divisible by 16);
    the paper's 'valid' padding and cropping change sizes, not parameter counts.
    """
    inputs = keras.Input(tuple(input_shape or (256, 256, 1)), name="input")
    x, skips = inputs, []
    for level in range(depth):
        x = _double_conv(x, base_filters * 2**level, f"enc{level + 1}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"enc{level + 1}_pool")(x)
    x = _double_conv(x, base_filters * 2**depth, "bottleneck")
    for level in reversed(range(depth)):
        filters = base_filters * 2**level
        x = layers.Conv2DTranspose(filters, 2, strides=2, name=f"dec{level + 1}_upconv")(x)
        x = layers.Concatenate(name=f"dec{level + 1}_concat")([skips[level], x])
        x = _double_conv(x, filters, f"dec{level + 1}")
    if include_top:
        x = layers.Conv2D(num_classes or 2, 1, name="classifier")(x)
        x = layers.Softmax(name="pixel_softmax")(x)
    return keras.Model(inputs, x, name="unet")


SEGNET_STAGES = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))  # VGG16 encoder


def build_segnet(
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
) -> keras.Model:
    """SegNet: VGG16-like encoder (13 conv-BN-ReLU), mirrored decoder, per-pixel softmax.

    SegNet's max-unpooling with stored indices is not a standard Keras layer; UpSampling2D
    (nearest) takes its place, which has no parameters either.
    """
    inputs = keras.Input(tuple(input_shape or (224, 224, 3)), name="input")
    x = inputs
    for s, (filters, convs) in enumerate(SEGNET_STAGES, start=1):
        for c in range(1, convs + 1):
            x = layers.Conv2D(filters, 3, padding="same", name=f"enc{s}_conv{c}")(x)
            x = layers.BatchNormalization(name=f"enc{s}_bn{c}")(x)
            x = layers.ReLU(name=f"enc{s}_relu{c}")(x)
        x = layers.MaxPooling2D(2, name=f"enc{s}_pool")(x)
    stages = list(enumerate(SEGNET_STAGES, start=1))[::-1]
    for i, (s, (filters, convs)) in enumerate(stages):
        x = layers.UpSampling2D(2, name=f"dec{s}_upsample")(x)
        next_filters = stages[i + 1][1][0] if i + 1 < len(stages) else filters
        for c in range(convs, 0, -1):
            out = next_filters if c == 1 else filters
            if s == 1 and c == 1 and include_top:
                break  # the classifier replaces SegNet's last decoder conv
            x = layers.Conv2D(out, 3, padding="same", name=f"dec{s}_conv{c}")(x)
            x = layers.BatchNormalization(name=f"dec{s}_bn{c}")(x)
            x = layers.ReLU(name=f"dec{s}_relu{c}")(x)
    if include_top:
        x = layers.Conv2D(num_classes or 12, 3, padding="same", name="classifier")(x)
        x = layers.Softmax(name="pixel_softmax")(x)
    return keras.Model(inputs, x, name="segnet")
