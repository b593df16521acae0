"""Stored layer specs: read back equal to derived ones, stale or damaged files ignored."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import keras
import pytest

from designer.core import catalog, spec_store


@pytest.fixture
def fresh_catalog():
    """The catalog's specs emptied for the test and put back after it."""
    saved = dict(catalog._SPECS)
    catalog._SPECS.clear()
    yield
    catalog._SPECS.clear()
    catalog._SPECS.update(saved)


def _plain(spec: catalog.LayerSpec) -> dict:
    row = asdict(spec)
    row.pop("resolved_class")
    return row


def test_stored_specs_read_back_equal_and_find_their_classes(tmp_path: Path) -> None:
    catalog.derive_curated()
    derived = {s.type_name: s for s in catalog.known_specs()}
    path = tmp_path / "specs.json"
    assert spec_store.save_specs(path) == len(derived) >= len(catalog.curated_types())
    saved = dict(catalog._SPECS)
    catalog._SPECS.clear()
    try:
        assert spec_store.load_specs(path) == len(derived)
        for name, spec in derived.items():
            stored = catalog.get_spec(name)
            assert stored.resolved_class is None  # not looked up until it is needed
            assert _plain(stored) == _plain(spec), name
        conv = catalog.get_spec("Conv2D")
        assert conv.keras_class is keras.layers.Conv2D and conv.resolved_class is not None
        assert conv.defaults() == derived["Conv2D"].defaults()
        assert catalog.get_spec("Input").keras_class is keras.layers.InputLayer
    finally:
        catalog._SPECS.clear()
        catalog._SPECS.update(saved)


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p.update(keras="0.0.1"),  # another Keras
        lambda p: p.update(format=-1),  # another layout of the file
        lambda p: p["specs"][0]["params"].update(x={"bogus": 1}),  # damaged row
        lambda p: p.pop("specs"),
    ],
)
def test_stale_or_damaged_files_are_ignored(tmp_path: Path, fresh_catalog, change) -> None:
    catalog.get_spec("Dense")
    path = tmp_path / "specs.json"
    spec_store.save_specs(path)
    payload = json.loads(path.read_text())
    change(payload)
    path.write_text(json.dumps(payload))
    catalog._SPECS.clear()
    assert spec_store.load_specs(path) == 0
    assert catalog.known_specs() == []


def test_missing_or_unreadable_files_are_ignored(tmp_path: Path, fresh_catalog) -> None:
    assert spec_store.load_specs(tmp_path / "none.json") == 0
    (tmp_path / "bad.json").write_bytes(b"\x00\xff{")
    assert spec_store.load_specs(tmp_path / "bad.json") == 0


def test_a_change_to_the_catalog_code_makes_stored_specs_stale(tmp_path, monkeypatch) -> None:
    path = tmp_path / "specs.json"
    catalog.get_spec("Dense")
    spec_store.save_specs(path)
    payload = json.loads(path.read_text())
    payload["code"] = "0" * 64  # written by another version of the designer
    path.write_text(json.dumps(payload))
    assert spec_store.load_specs(path) == 0
