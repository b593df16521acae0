"""Files shipped inside the package (package data): sample projects and the bundled model.

    designer/resources/samples/lenet5.json        the LeNet-5 sample project (scripts/make_samples.py)
    designer/resources/pretrained/digits_cnn.*    the small pretrained digits CNN
                                                  (scripts/train_bundled.py)

The paths resolve next to this file, so they hold for a source checkout, an editable install
and an installed wheel alike. Qt-free; imports nothing but the standard library.
"""

from __future__ import annotations

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent
SAMPLES_DIR = RESOURCES_DIR / "samples"
PRETRAINED_DIR = RESOURCES_DIR / "pretrained"


def sample_project_path(name: str = "lenet5") -> Path:
    """The bundled sample project ``name`` (``lenet5`` by default), as ``samples/NAME.json``."""
    return SAMPLES_DIR / f"{name}.json"
