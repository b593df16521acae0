"""The network zoo: classic architectures, keras.applications and pretrained weights. No Qt."""

from designer.zoo.download import WeightsCorrupted, WeightsError, WeightsUnavailable
from designer.zoo.entry import Citation, ParamReference, Preprocessing, WeightsFile, ZooEntry
from designer.zoo.registry import build_model, get_entry, list_entries, register, unregister
from designer.zoo.stats import TileStats, entry_stats
from designer.zoo.weights import (
    get_mirror,
    is_cached,
    keras_cache_dir,
    resolve_weights,
    set_mirror,
    set_offline,
)

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
