"""Sequence networks: LSTM and GRU classifiers and a 1-D CNN for time series.

LSTM: S. Hochreiter, J. Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8), 1997.
GRU: K. Cho et al., "Learning Phrase Representations using RNN Encoder-Decoder for
Statistical Machine Translation", EMNLP 2014.
FCN: Z. Wang, W. Yan, T. Oates, "Time Series Classification from Scratch with Deep Neural
Networks: A Strong Baseline", IJCNN 2017 (arXiv:1611.06455).
The recurrent classifiers follow MATLAB's Japanese Vowels example (12 features, 100 hidden
units, 9 classes, last time step classified).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from designer.core.lazy import LazyModule

if TYPE_CHECKING:
    import keras
    from keras import layers
else:  # imported when a network is built, not when the zoo is listed
    keras, layers = LazyModule("keras"), LazyModule("keras.layers")


def _recurrent_classifier(
    cell: type,
    name: str,
    input_shape: tuple[int | None, ...] | None,
    num_classes: int | None,
    include_top: bool,
    units: int,
) -> keras.Model:
    """Sequence input (time, features) -> recurrent layer (last output) -> softmax."""
    inputs = keras.Input(tuple(input_shape or (None, 12)), name="sequence_input")
    x = cell(units, name=name)(inputs)
    if include_top:
        x = layers.Dense(num_classes or 9, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, x, name=f"{name}_classifier")


def build_lstm_classifier(
    input_shape: tuple[int | None, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
    units: int = 100,
) -> keras.Model:
    """Sequence input (time, features) -> LSTM (last output) -> softmax classifier."""
    return _recurrent_classifier(layers.LSTM, "lstm", input_shape, num_classes, include_top, units)


def build_gru_classifier(
    input_shape: tuple[int | None, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
    units: int = 100,
) -> keras.Model:
    """Sequence input (time, features) -> GRU (last output) -> softmax classifier."""
    return _recurrent_classifier(layers.GRU, "gru", input_shape, num_classes, include_top, units)


def build_fcn_1d(
    input_shape: tuple[int | None, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
) -> keras.Model:
    """Fully convolutional 1-D network (Wang et al. 2017): conv 128@8, 256@5, 128@3 with BN+ReLU,
    global average pooling, softmax."""
    inputs = keras.Input(tuple(input_shape or (None, 1)), name="series_input")
    x = inputs
    for i, (filters, kernel) in enumerate(((128, 8), (256, 5), (128, 3)), start=1):
        x = layers.Conv1D(filters, kernel, padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
    x = layers.GlobalAveragePooling1D(name="gap")(x)
    if include_top:
        x = layers.Dense(num_classes or 2, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, x, name="fcn_1d")


def build_digit_tilt_regressor(
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
) -> keras.Model:
    """CNN regressing the rotation angle of a 28x28 digit (MathWorks "Train Convolutional Neural
    Network for Regression" example): 4 conv-BN-ReLU blocks, 2 average pools, dropout, 1 output.

    ``num_classes`` is the number of regressed values (1: the angle in degrees).
    """
    inputs = keras.Input(tuple(input_shape or (28, 28, 1)), name="image_input")
    x = inputs
    for i, filters in enumerate((8, 16, 32, 32), start=1):
        x = layers.Conv2D(filters, 3, padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        if i <= 2:
            x = layers.AveragePooling2D(2, name=f"avgpool{i}")(x)
    x = layers.Dropout(0.2, name="dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    if include_top:
        x = layers.Dense(num_classes or 1, name="angle")(x)
    return keras.Model(inputs, x, name="digit_tilt_regressor")
