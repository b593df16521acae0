"""Built-in datasets that need no files: synthetic digits/letters and scikit-learn's digits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from designer.core.progress import ProgressReporter
from designer.data.base import DataConfig
from designer.data.memory import ArrayStore
from designer.data.summary import DataError
from designer.data.synthetic import CHARSETS, Variation, generate_characters


@dataclass(frozen=True)
class SyntheticConfig(DataConfig):
    """Synthetic digits or letters (28x28 grey); the target is the class or the rotation angle."""

    kind = "synthetic"
    charset: str = "digits"  # digits or letters
    num_samples: int = 10000
    seed: int = 0
    image_size: int = 28
    target: str = "label"  # label (classification) or angle (regression, degrees)
    rotation: float = 15.0
    scale: tuple[float, float] = (0.85, 1.1)
    translation: float = 2.0
    shear: float = 0.1
    thickness: bool = True
    noise: float = 0.04


def open_synthetic(config: SyntheticConfig, progress: ProgressReporter | None = None) -> ArrayStore:
    """Generate the samples described by ``config`` into an ArrayStore."""
    if config.charset not in CHARSETS:
        raise DataError(f"expected a charset among {sorted(CHARSETS)}, received '{config.charset}'")
    if config.target not in ("label", "angle"):
        raise DataError(f"expected target 'label' or 'angle', received '{config.target}'")
    var = Variation(
        config.rotation,
        (config.scale[0], config.scale[1]),
        config.translation,
        config.shear,
        config.thickness,
        config.noise,
    )
    data = generate_characters(
        config.num_samples, config.seed, config.charset, config.image_size, var, progress
    )
    source = f"synthetic {config.charset} (seed {config.seed})"
    if config.target == "angle":
        return ArrayStore(
            config,
            data.images,
            data.angles[:, None],
            "regression",
            source=source,
            target_names=["angle"],
        )
    store = ArrayStore(config, data.images, data.labels, "classification", data.class_names, source)
    store.angles = data.angles
    return store


@dataclass(frozen=True)
class SklearnDigitsConfig(DataConfig):
    """scikit-learn's bundled 8x8 digits (1,797 samples), scaled to 0..255 grey images."""

    kind = "sklearn-digits"


def open_sklearn_digits(config: SklearnDigitsConfig) -> ArrayStore:
    """Load scikit-learn's digits as uint8 (N, 8, 8, 1) images."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.clip(bunch.images * (255.0 / 16.0), 0, 255).round().astype(np.uint8)
    names = [str(i) for i in range(10)]
    return ArrayStore(config, images, bunch.target, "classification", names, "sklearn digits")
