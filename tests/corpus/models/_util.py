"""Small helpers shared by the corpus models (seeding, random adaptation data)."""

from __future__ import annotations

import keras
import numpy as np


def seed(value: int) -> np.random.Generator:
    """Seed Keras, NumPy and Python (keras.utils.set_random_seed) and return a NumPy rng."""
    keras.utils.set_random_seed(value)
    return np.random.default_rng(value)
