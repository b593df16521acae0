"""scikit-learn's 8x8 digits and a tiny classifier trained on them (robustness tests)."""

from __future__ import annotations

import numpy as np


def digits_split(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test): 1400 and 397 digits as (8, 8, 1) floats in [0, 1].

    The values are those the project pipeline gives the sklearn-digits datastore (0..255
    grey levels divided by 255), so a model trained here fits a project on that data."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    grey = np.clip(bunch.images * (255.0 / 16.0), 0, 255).round()
    x = (grey / 255.0).astype(np.float32)[..., None]
    order = np.random.default_rng(seed).permutation(len(x))
    train, test = order[:1400], order[1400:]
    return x[train], bunch.target[train], x[test], bunch.target[test]


def digits_model(seed: int = 0, logits: bool = False):
    """Input(8, 8, 1) -> Flatten -> Dense(32, relu) -> Dense(10, softmax or linear)."""
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input((8, 8, 1), name="image")
    h = keras.layers.Flatten(name="flat")(inp)
    h = keras.layers.Dense(32, activation="relu", name="hidden")(h)
    out = keras.layers.Dense(10, activation=None if logits else "softmax", name="out")(h)
    return keras.Model(inp, out, name="digits")


def trained_digits_model(epochs: int = 10, seed: int = 0):
    """A digits model trained for a few epochs with Adam (fixed seed): about 95 % accurate."""
    import keras

    x, y, _, _ = digits_split(seed)
    model = digits_model(seed)
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=epochs, batch_size=64, verbose=0, shuffle=True)
    return model
