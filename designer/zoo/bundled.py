"""The small pretrained digits network shipped in resources/pretrained (no download needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from designer.core.lazy import LazyModule

if TYPE_CHECKING:
    import keras
    from keras import layers
else:  # imported when a network is built, not when the zoo is listed
    keras, layers = LazyModule("keras"), LazyModule("keras.layers")


def _pretrained_dir() -> Path:
    """designer/resources/pretrained (inside the package) if present, else the project's."""
    here = Path(__file__).resolve()
    packaged = here.parents[1] / "resources" / "pretrained"
    return packaged if packaged.is_dir() else here.parents[2] / "resources" / "pretrained"


PRETRAINED_DIR = _pretrained_dir()
DIGITS_MODEL = PRETRAINED_DIR / "digits_cnn.keras"
DIGITS_META = PRETRAINED_DIR / "digits_cnn.json"


def build_digits_cnn(
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
) -> keras.Model:
    """Compact CNN for 28x28 grey glyphs: 3 conv blocks, a 128-unit feature layer, softmax."""
    inputs = keras.Input(tuple(input_shape or (28, 28, 1)), name="input")
    x = layers.Conv2D(32, 3, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(64, 3, activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Conv2D(64, 3, activation="relu", name="conv3")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(128, activation="relu", name="features")(x)
    if include_top:
        x = layers.Dropout(0.3, name="dropout")(x)
        x = layers.Dense(num_classes or 10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, x, name="digits_cnn")


def digits_metadata() -> dict[str, Any]:
    """The JSON metadata written by scripts/train_bundled.py (classes, accuracy, command, date)."""
    if not DIGITS_META.is_file():
        raise FileNotFoundError(
            f"expected the bundled metadata at {DIGITS_META}; it is missing "
            "(run scripts/train_bundled.py to create it)"
        )
    return json.loads(DIGITS_META.read_text(encoding="utf-8"))


def load_digits_cnn(
    include_top: bool = True, num_classes: int | None = None, path: Path | None = None
) -> keras.Model:
    """Load the bundled trained model; without top, the model ends at the 'features' layer.

    ``path``: the .keras file to load (default: the bundled DIGITS_MODEL).
    """
    model_file = DIGITS_MODEL if path is None else Path(path)
    if not model_file.is_file():
        raise FileNotFoundError(
            f"expected the bundled model at {model_file}; it is missing "
            "(run scripts/train_bundled.py to create it)"
        )
    model = keras.saving.load_model(model_file, compile=False)
    if include_top:
        if num_classes not in (None, 10):
            raise ValueError(
                "the bundled digits_cnn classifies 10 digits; expected num_classes=10 or "
                f"include_top=False for a new head, received num_classes={num_classes}"
            )
        return model
    return keras.Model(model.inputs, model.get_layer("features").output, name="digits_cnn_features")
