"""Fuzzing Keras model files: a real ``.keras`` and ``.h5`` model, truncated, bit-flipped,
emptied, made a folder, or with the configuration inside mutated (``config.json`` in the
``.keras`` zip, the ``model_config`` attribute of the ``.h5``), then opened.

The rule: :func:`designer.app.files.open_path` returns a Project (which then saves and reloads
equal) or raises ProjectError (UnsafeModelError for code) with one line, nothing else; the good
file beside it is never touched.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import zipfile
from functools import cache
from pathlib import Path

from tests.fuzz import InvariantBroken, refusal
from tests.fuzz.project_files import check_round_trip, mutate_json


@cache
def base_models() -> dict[str, bytes]:
    """The bytes of one small model saved as ``.keras`` and as ``.h5``."""
    import tempfile

    import keras

    x = keras.Input((8, 8, 1), name="image")
    h = keras.layers.Conv2D(2, 3, activation="relu", name="conv")(x)
    h = keras.layers.Flatten(name="flat")(h)
    y = keras.layers.Dense(3, activation="softmax", name="out")(h)
    model = keras.Model(x, y, name="small")
    found = {}
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".keras", ".h5"):
            path = Path(tmp) / f"m{suffix}"
            model.save(path)
            found[suffix] = path.read_bytes()
    return found


def _members(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _flip(rng: random.Random, raw: bytes, flips: int) -> bytes:
    data = bytearray(raw)
    for _ in range(flips):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def _mutate_keras(rng: random.Random, raw: bytes) -> bytes:
    members = _members(raw)
    kind = rng.random()
    if kind < 0.55:
        members["config.json"] = mutate_json(rng, json.loads(members["config.json"]))
    elif kind < 0.65:
        members["metadata.json"] = mutate_json(rng, json.loads(members["metadata.json"]))
    elif kind < 0.8:
        weights = members["model.weights.h5"]
        members["model.weights.h5"] = (
            _flip(rng, weights, rng.choice([1, 4, 32]))
            if rng.random() < 0.6
            else weights[: rng.randrange(len(weights))]
        )
    elif kind < 0.9:
        del members[rng.choice(sorted(members))]
    else:
        code = {"class_name": "__lambda__", "config": {"code": "x", "defaults": None}}
        config = json.loads(members["config.json"])
        layer = rng.choice(config["config"]["layers"][1:])
        if rng.random() < 0.5:
            layer["class_name"], layer["config"]["function"] = "Lambda", code
        else:
            layer["class_name"] = "TFSMLayer"
            layer["config"]["filepath"] = "/nowhere/saved_model"
        members["config.json"] = json.dumps(config).encode()
    return _zip(members)


def _mutate_h5_config(rng: random.Random, path: Path) -> None:
    import h5py

    with h5py.File(path, "r+") as h5:
        config = json.loads(h5.attrs["model_config"])
        h5.attrs["model_config"] = mutate_json(rng, config).decode("utf-8", "replace")


def one_case(rng: random.Random, workdir: Path) -> str:
    """Damage a saved model, open it, and check what came of it."""
    from designer.app.files import open_path
    from designer.app.project import ProjectError

    suffix = rng.choice([".keras", ".keras", ".h5"])
    original = base_models()[suffix]
    good = workdir / f"good{suffix}"
    good.write_bytes(original)
    bad = workdir / f"bad{suffix}"
    kind = rng.random()
    if kind < 0.03:
        bad.mkdir()
    elif kind < 0.06:
        bad.write_bytes(b"")
    elif kind < 0.25:
        bad.write_bytes(original[: rng.randrange(len(original))])
    elif kind < 0.45:
        bad.write_bytes(_flip(rng, original, rng.choice([1, 2, 8, 64])))
    elif suffix == ".keras":
        bad.write_bytes(_mutate_keras(rng, original))
    else:
        shutil.copyfile(good, bad)
        _mutate_h5_config(rng, bad)
    try:
        project = open_path(bad)
    except ProjectError as exc:
        outcome = refusal(exc)
    else:
        check_round_trip(project, workdir / "imported.ndproj")
        outcome = "ok"
    if good.read_bytes() != original:
        raise InvariantBroken("the good file next to the bad one changed")
    return outcome
