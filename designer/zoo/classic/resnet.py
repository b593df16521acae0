"""ResNet-18 and ResNet-34 (basic residual blocks), which keras.applications lacks.

K. He, X. Zhang, S. Ren, J. Sun, "Deep Residual Learning for Image Recognition",
CVPR 2016 (arXiv:1512.03385, 2015). Layout as in Table 1 and torchvision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from designer.core.lazy import LazyModule

if TYPE_CHECKING:
    import keras
    from keras import layers
else:  # imported when a network is built, not when the zoo is listed
    keras, layers = LazyModule("keras"), LazyModule("keras.layers")

BLOCKS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}


def basic_block(x: keras.KerasTensor, filters: int, stride: int, name: str) -> keras.KerasTensor:
    """Two 3x3 conv-BN layers with an identity (or 1x1 projection) shortcut, then ReLU."""
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_0_conv")(
            x
        )
        shortcut = layers.BatchNormalization(epsilon=1e-5, name=f"{name}_0_bn")(shortcut)
    y = layers.Conv2D(
        filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_1_conv"
    )(x)
    y = layers.BatchNormalization(epsilon=1e-5, name=f"{name}_1_bn")(y)
    y = layers.ReLU(name=f"{name}_1_relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    y = layers.BatchNormalization(epsilon=1e-5, name=f"{name}_2_bn")(y)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.ReLU(name=f"{name}_out")(y)


def build_resnet(
    depth: int,
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
) -> keras.Model:
    """ResNet-18 or -34: 7x7 stem, four stages of basic blocks (64-512 filters), GAP, FC."""
    if depth not in BLOCKS:
        raise ValueError(f"expected depth 18 or 34; received {depth}")
    inputs = keras.Input(tuple(input_shape or (224, 224, 3)), name="input")
    x = layers.Conv2D(64, 7, strides=2, padding="same", use_bias=False, name="conv1_conv")(inputs)
    x = layers.BatchNormalization(epsilon=1e-5, name="conv1_bn")(x)
    x = layers.ReLU(name="conv1_relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    for stage, (filters, blocks) in enumerate(
        zip((64, 128, 256, 512), BLOCKS[depth], strict=True), start=2
    ):
        for block in range(blocks):
            stride = 2 if block == 0 and stage > 2 else 1
            x = basic_block(x, filters, stride, f"conv{stage}_block{block + 1}")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if include_top:
        x = layers.Dense(num_classes or 1000, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, x, name=f"resnet{depth}")


def build_resnet18(
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
) -> keras.Model:
    """ResNet-18 (blocks 2-2-2-2)."""
    return build_resnet(18, input_shape, num_classes, include_top)


def build_resnet34(
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
) -> keras.Model:
    """ResNet-34 (blocks 3-4-6-3)."""
    return build_resnet(34, input_shape, num_classes, include_top)
