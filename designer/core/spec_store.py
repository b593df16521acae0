"""Layer specs kept in a file, so that a project is read and drawn before Keras is imported.

Deriving a :class:`~designer.core.catalog.LayerSpec` introspects a Keras class (importing
Keras, about 5 s). :func:`save_specs` writes the specs derived so far as JSON, stamped with
the installed Keras version; :func:`load_specs` reads them back without importing Keras, and
each stored spec finds its class on first use. A stale or damaged file is ignored. No Qt.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from designer.core import catalog
from designer.core import params as param_rules
from designer.core.catalog import LayerSpec, ParamSpec, add_known_specs, known_specs

SPECS_FORMAT = 1  # raise when the stored form of a spec changes


@cache
def _stamp() -> dict[str, Any]:
    """What stored specs depend on: their format, the installed Keras (read without importing
    it) and the code that derives them (the catalog and the parameter rules)."""
    code = hashlib.sha256()
    for module in (catalog, param_rules):
        code.update(Path(str(module.__file__)).read_bytes())
    return {"format": SPECS_FORMAT, "keras": metadata.version("keras"), "code": code.hexdigest()}


def save_specs(path: Path) -> int:
    """Write the specs of plain type names derived so far to ``path`` (JSON, atomically);
    the number written."""
    rows = []
    for spec in known_specs():
        row = asdict(spec)
        row.pop("resolved_class")
        rows.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps({**_stamp(), "specs": rows}), encoding="utf-8")
    temp.replace(path)
    return len(rows)


def _spec_from_row(row: dict[str, Any]) -> LayerSpec:
    params = {}
    for name, p in row["params"].items():
        choices = p.get("choices")
        params[name] = ParamSpec(**{**p, "choices": tuple(choices) if choices else choices})
    return LayerSpec(
        **{
            **row,
            "resolved_class": None,
            "params": params,
            "primary": tuple(row["primary"]),
            "input_names": tuple(row["input_names"]),
        }
    )


def load_specs(path: Path) -> int:
    """Take the specs written by :func:`save_specs` for the installed Keras; the number read.
    A missing, stale (another Keras) or unreadable file gives 0: specs are derived then."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if {k: payload.get(k) for k in _stamp()} != _stamp():
            return 0
        specs = [_spec_from_row(row) for row in payload["specs"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return 0
    add_known_specs(specs)
    return len(specs)
