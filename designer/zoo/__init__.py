"""The network zoo: classic architectures, keras.applications and pretrained weights. No Qt.

Modules, each importing only those listed before it (tests/zoo/test_import_graph.py checks):
entry (plain data), download, keras_weights, bundled, glyphs, classic.*, applications (the
registrations), registry (look-up), weights (resolution of an entry's file), build (an entry
into a keras.Model), api (name-or-entry front-ends), stats (tile figures).
"""

from designer.zoo.api import build_model, is_cached, resolve_weights
from designer.zoo.build import build_entry
from designer.zoo.download import WeightsCorrupted, WeightsError, WeightsUnavailable
from designer.zoo.entry import Citation, ParamReference, Preprocessing, WeightsFile, ZooEntry
from designer.zoo.registry import get_entry, list_entries, register, unregister
from designer.zoo.stats import TileStats, entry_stats
from designer.zoo.weights import get_mirror, keras_cache_dir, set_mirror, set_offline

__all__ = [
    "Citation",
    "ParamReference",
    "Preprocessing",
    "TileStats",
    "WeightsCorrupted",
    "WeightsError",
    "WeightsFile",
    "WeightsUnavailable",
    "ZooEntry",
    "build_entry",
    "build_model",
    "entry_stats",
    "get_entry",
    "get_mirror",
    "is_cached",
    "keras_cache_dir",
    "list_entries",
    "register",
    "resolve_weights",
    "set_mirror",
    "set_offline",
    "unregister",
]
