"""Start-up without waiting for Keras: stored layer specs, and Keras imported in the background.

Importing Keras and TensorFlow takes about 5 s on a small machine, longer than the window
needs to appear. The GUI therefore reads the layer specs a previous run derived
(:func:`load_stored_specs`, a JSON file per Keras version in the user's cache folder), draws
the opened project with them, and imports Keras on a thread (:func:`warm_up`); analysis
(shapes, parameter counts) runs once that is done. A first run without stored specs derives
them (importing Keras) before the project is read: slower, and only once. No Qt here.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from designer.app.user_dirs import user_folder
from designer.core import catalog, spec_store

log = logging.getLogger(__name__)
SPECS_NAME = "layer-specs.json"


def cache_dir() -> Path:
    """The application's cache folder: $ND_CACHE_DIR, else the platform's user cache."""
    return user_folder("cache")


def specs_path() -> Path:
    """Where the derived layer specs are kept."""
    return cache_dir() / SPECS_NAME


def load_stored_specs() -> int:
    """Take the stored specs of the installed Keras (none when missing or stale)."""
    return spec_store.load_specs(specs_path())


def warm_up() -> float:
    """Import Keras and TensorFlow, then :func:`store_specs`; the seconds it took."""
    seconds = import_keras()
    store_specs()
    return seconds


def import_keras() -> float:
    """Import Keras and TensorFlow (meant for a background thread); the seconds it took."""
    start = time.perf_counter()
    import keras  # noqa: F401  (the import is the work)

    return time.perf_counter() - start


def store_specs() -> None:
    """Derive the curated layer specs and store them when the stored file lacked any."""
    catalog.derive_curated()
    if spec_store.load_specs(specs_path()) < len(catalog.curated_types()):
        try:
            spec_store.save_specs(specs_path())
        except OSError as exc:  # a read-only home: start-up stays slower, nothing breaks
            log.warning("cannot store the layer specs at %s: %s", specs_path(), exc)
