"""MobileViT, after keras-io examples/vision/mobilevit.py ("MobileViT: A mobile-friendly
Transformer-based model for image classification"): conv blocks with swish, inverted residual
blocks (DepthwiseConv2D, ZeroPadding2D for stride 2), a MobileViT block unfolding the feature
map with Reshape, a transformer, folding back and concatenating. Small: 32x32, one block."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "examples/vision/mobilevit.py"
TITLE = "MobileViT: A mobile-friendly Transformer-based model for image classification"

PATCH_SIZE = 4  # 2x2


def conv_block(x, filters=16, kernel_size=3, strides=2):
    conv_layer = layers.Conv2D(
        filters, kernel_size, strides=strides, activation=keras.activations.swish, padding="same"
    )
    return conv_layer(x)


def correct_pad(inputs, kernel_size):
    img_dim = 1
    input_size = inputs.shape[img_dim : (img_dim + 2)]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    if input_size[0] is None:
        adjust = (1, 1)
    else:
        adjust = (1 - input_size[0] % 2, 1 - input_size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def inverted_residual_block(x, expanded_channels, output_channels, strides=1):
    m = layers.Conv2D(expanded_channels, 1, padding="same", use_bias=False)(x)
    m = layers.BatchNormalization()(m)
    m = keras.layers.Activation(keras.activations.swish)(m)
    if strides == 2:
        m = layers.ZeroPadding2D(padding=correct_pad(m, 3))(m)
    m = layers.DepthwiseConv2D(
        3, strides=strides, padding="same" if strides == 1 else "valid", use_bias=False
    )(m)
    m = layers.BatchNormalization()(m)
    m = keras.layers.Activation(keras.activations.swish)(m)
    m = layers.Conv2D(output_channels, 1, padding="same", use_bias=False)(m)
    m = layers.BatchNormalization()(m)
    if x.shape[-1] == output_channels and strides == 1:
        return layers.Add()([m, x])
    return m


def mlp(x, hidden_units, dropout_rate):
    for units in hidden_units:
        x = layers.Dense(units, activation=keras.activations.swish)(x)
        x = layers.Dropout(dropout_rate)(x)
    return x


def transformer_block(x, transformer_layers, projection_dim, num_heads=2):
    for _ in range(transformer_layers):
        x1 = layers.LayerNormalization(epsilon=1e-6)(x)
        attention_output = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=projection_dim, dropout=0.1
        )(x1, x1)
        x2 = layers.Add()([attention_output, x])
        x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
        x3 = mlp(x3, hidden_units=[x.shape[-1] * 2, x.shape[-1]], dropout_rate=0.1)
        x = layers.Add()([x3, x2])
    return x


def mobilevit_block(x, num_blocks, projection_dim, strides=1):
    local_features = conv_block(x, filters=projection_dim, strides=strides)
    local_features = conv_block(
        local_features, filters=projection_dim, kernel_size=1, strides=strides
    )
    num_patches = int((local_features.shape[1] * local_features.shape[2]) / PATCH_SIZE)
    non_overlapping_patches = layers.Reshape((PATCH_SIZE, num_patches, projection_dim))(
        local_features
    )
    global_features = transformer_block(non_overlapping_patches, num_blocks, projection_dim)
    folded_feature_map = layers.Reshape((*local_features.shape[1:-1], projection_dim))(
        global_features
    )
    folded_feature_map = conv_block(
        folded_feature_map, filters=x.shape[-1], kernel_size=1, strides=strides
    )
    local_global_features = layers.Concatenate(axis=-1)([x, folded_feature_map])
    local_global_features = conv_block(
        local_global_features, filters=projection_dim, strides=strides
    )
    return local_global_features


def build() -> keras.Model:
    seed(5)
    inputs = keras.Input((32, 32, 3))
    x = layers.Rescaling(scale=1.0 / 255)(inputs)
    x = conv_block(x, filters=16)
    x = inverted_residual_block(x, expanded_channels=16 * 2, output_channels=16)
    x = inverted_residual_block(x, expanded_channels=16 * 2, output_channels=24, strides=2)
    x = mobilevit_block(x, num_blocks=1, projection_dim=32)
    x = conv_block(x, filters=32, kernel_size=1, strides=1)
    x = layers.GlobalAvgPool2D()(x)
    outputs = layers.Dense(5, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="mobilevit_mini")
