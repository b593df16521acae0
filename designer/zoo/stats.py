"""Cheap per-entry figures for the start page's tiles: parameters, depth, input size.

Figures come from a table shipped beside this module (stats.json, written by
``python -m designer.zoo.stats``) so that the gallery opens without building 50 networks;
an entry missing from the table is built once without allocating weights and cached.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from designer.zoo.build import build_entry
from designer.zoo.entry import ZooEntry
from designer.zoo.registry import as_entry, list_entries

STATS_FILE = Path(__file__).with_name("stats.json")


@dataclass(frozen=True)
class TileStats:
    """What a gallery tile shows about a network (default options, with the top)."""

    params: int
    trainable_params: int
    layers: int  # all layers, the Input included
    weighted_layers: int  # layers that hold weights ("depth")
    input_shape: tuple[int | None, ...]


def compute_stats(entry: ZooEntry | str, **options: Any) -> TileStats:
    """Build the entry (or the entry of that name) without allocating weights; count them."""
    from designer.core.keras_compat import StatelessScope

    entry = as_entry(entry)
    with StatelessScope():
        model = build_entry(entry, weights=None, **options)
        params = int(model.count_params())
        trainable = int(sum(int(_size(w.shape)) for w in model.trainable_weights))
        weighted = sum(1 for layer in model.layers if layer.weights)
        shape = tuple(model.inputs[0].shape[1:])
    return TileStats(params, trainable, len(model.layers), weighted, shape)


def _size(shape: Any) -> int:
    total = 1
    for dim in shape:
        total *= int(dim)
    return total


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, Any]]:
    if not STATS_FILE.is_file():
        return {}
    return json.loads(STATS_FILE.read_text(encoding="utf-8"))


@cache
def entry_stats(name: str) -> TileStats:
    """Tile figures of an entry: from the shipped table, else computed once and cached."""
    row = _table().get(name)
    if row is not None:
        row = dict(row, input_shape=tuple(row["input_shape"]))
        return TileStats(**row)
    return compute_stats(name)


def write_stats_table(path: Path = STATS_FILE) -> dict[str, dict[str, Any]]:
    """Recompute the figures of every entry and write the JSON table (takes about a minute)."""
    table = {}
    for entry in list_entries():
        stats = asdict(compute_stats(entry))
        stats["input_shape"] = list(stats["input_shape"])
        table[entry.name] = stats
    lines = [f"{json.dumps(name)}: {json.dumps(row)}" for name, row in table.items()]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    _table.cache_clear()
    entry_stats.cache_clear()
    return table


if __name__ == "__main__":
    result = write_stats_table(Path(sys.argv[1]) if len(sys.argv) > 1 else STATS_FILE)
    print(f"wrote {len(result)} entries to {STATS_FILE}")
