"""Fuzzing project files: a real saved project (zip or plain JSON), mutated at the JSON level
(wrong types, deletions, odd numbers, deep nesting, strings) or the byte level (bit flips,
truncation, replaced zip entries, edited ``.npy`` headers, zip bombs), then loaded.

The rule: :func:`designer.app.project.load_project` either refuses the file with a one-line
ProjectError, or succeeds, and then what it loaded saves and reloads equal (network, name,
settings, weights) and leaves no temporary file; the good file beside it is never touched.
"""

from __future__ import annotations

import copy
import io
import json
import random
import struct
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from tests.fuzz import InvariantBroken, refusal

ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    -0.0,
    2**63,
    -(2**70),
    1e308,
    "",
    "false",
    "NaN",
    "x" * 300,
    "ünï\u2603",
    [],
    {},
    [[]],
    [1, 2],
    [0.5, "a"],
    {"a": 1},
    {"class_name": "Lambda"},
]
RAW_TOKENS = [
    "9" * 5000,
    "-" + "1" * 30,
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "[" * 150 + "]" * 150,
    "[" * 5000 + "]" * 5000,
    "{" + '"a":{' * 120 + "1" + "}" * 121,
    '"\\ud800"',
]


@cache
def base_files() -> tuple[bytes, bytes]:
    """(.ndproj bytes with weights and a nested group, .json bytes without weights)."""
    import keras

    from designer.app.project import Project, project_bytes
    from designer.core.build import graph_from_model
    from designer.core.project_file import payload_for

    inner_in = keras.Input((4,), name="inner_in")
    inner = keras.Model(inner_in, keras.layers.Dense(3, name="inner_dense")(inner_in), name="blk")
    x = keras.Input((6,), name="x")
    h = keras.layers.Dense(4, activation="relu", name="hidden")(x)
    h = keras.layers.BatchNormalization(name="norm")(h)
    h = inner(h)
    y = keras.layers.Dense(2, activation="softmax", name="out")(keras.layers.Dropout(0.2)(h))
    graph = graph_from_model(keras.Model(x, y, name="fuzzed"))
    graph.set_trainable(graph.find("hidden").id, False)
    sections = {
        "data": {"source": {"kind": "synthetic", "num_samples": 40}},
        "training": {"max_epochs": 2, "mini_batch_size": 8},
    }
    project = Project.from_sections(graph, "fuzzed", **sections)
    zipped = project_bytes(project)
    plain = Project.from_sections(graph.copy(), "fuzzed", **sections)
    for node in plain.graph.nodes:
        node.weights = node.weights_sig = None
    text = json.dumps(payload_for(plain.file_contents()), indent=1, sort_keys=True).encode()
    return zipped, text


# ----------------------------------------------------------------------------- JSON level
def _paths(value: Any) -> list[tuple]:
    """Every path into a JSON value (keys and indices), shallow first."""
    found, queue = [], [((), value)]
    while queue:
        prefix, item = queue.pop(0)
        found.append(prefix)
        if len(found) > 5000:
            break
        if isinstance(item, dict):
            queue += [((*prefix, k), v) for k, v in item.items()]
        elif isinstance(item, list):
            queue += [((*prefix, i), v) for i, v in enumerate(item)]
    return found


def _get(value: Any, path: tuple) -> Any:
    for part in path:
        value = value[part]
    return value


def _odd_value(rng: random.Random, old: Any) -> Any:
    choice = rng.random()
    if choice < 0.5:
        return rng.choice(ODD_VALUES)
    if isinstance(old, bool):
        return rng.choice(["false", 0, 1, None])
    if isinstance(old, int):
        return rng.choice([old + 1, -old - 1, float(old), str(old), old * 10**12, 2**64])
    if isinstance(old, float):
        return rng.choice([int(old), -old, old * 1e300, str(old)])
    if isinstance(old, str):
        return rng.choice([old[::-1], old + "x", old.upper(), old[:1], f"{old}:Thing", 1])
    if isinstance(old, list):
        return rng.choice([old[:-1], old + old[-1:], old[::-1], {}, [old]])
    if isinstance(old, dict):
        return rng.choice([list(old), {}, {**old, "extra": 1}, [old]])
    return rng.choice(ODD_VALUES)


def mutate_json(rng: random.Random, data: Any) -> bytes:
    """One or a few mutations of parsed JSON; the result as text (which may not be JSON)."""
    data = json.loads(json.dumps(data))
    token = None
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        paths = _paths(data)
        path = rng.choice(paths[1:]) if len(paths) > 1 else ()
        if not path:
            data = copy.deepcopy(_odd_value(rng, data))
            continue
        parent, key = _get(data, path[:-1]), path[-1]
        action = rng.random()
        if action < 0.2 and isinstance(parent, dict):
            del parent[key]
        elif action < 0.3 and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif action < 0.4:
            token = rng.choice(RAW_TOKENS)
            parent[key] = "@@TOKEN@@"
        else:
            parent[key] = copy.deepcopy(_odd_value(rng, parent[key]))
    text = json.dumps(data, indent=rng.choice([None, 1]), sort_keys=True)
    if token is not None:
        text = text.replace('"@@TOKEN@@"', token)
    raw = text.encode()
    if rng.random() < 0.05:
        raw = raw[: rng.randrange(len(raw) + 1)]
    return raw


# ----------------------------------------------------------------------------- byte level
def _members(zipped: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes], deflate_all: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            method = zipfile.ZIP_DEFLATED if deflate_all or name.endswith(".json") else 0
            archive.writestr(name, content, compress_type=method)
    return buffer.getvalue()


def _npy_edit(rng: random.Random, raw: bytes) -> bytes:
    """An edited .npy entry: its header's dtype, shape or length, or its data."""
    end = raw.index(b"\n") + 1 if b"\n" in raw else len(raw)
    header, data = raw[:end], raw[end:]
    edits = [
        lambda h: h.replace(b"'shape': (", b"'shape': (100000000000, "),
        lambda h: h.replace(b"'shape': (", b"'shape': (((("),
        lambda h: h.replace(b"'shape': (", b"'shape': (-3, "),
        lambda h: h.replace(b"'shape': (", b"'shape': (2.5, "),
        lambda h: h.replace(b"<f4", b"<c8"),
        lambda h: h.replace(b"<f4", b"|O"),
        lambda h: h.replace(b"<f4", b"<U1"),
        lambda h: h.replace(b"<f4", b">f4"),
        lambda h: h.replace(b"<f4", b"<f8"),
        lambda h: h.replace(b"'fortran_order': False", b"'fortran_order': True"),
        lambda h: h.replace(b"'descr'", b"'dscr'"),
        lambda h: h[:6] + bytes([rng.choice([0, 2, 3, 9])]) + h[7:],
        lambda h: h[:8] + struct.pack("<H", rng.randrange(65536)) + h[10:],
        lambda h: b"\x93NUMPZ" + h[6:],
        lambda h: h[: rng.randrange(len(h) + 1)],
    ]
    choice = rng.randrange(len(edits) + 2)
    if choice == len(edits):
        return header + data[: rng.randrange(len(data) + 1)]
    if choice == len(edits) + 1:
        return header + data + bytes(rng.randrange(1, 64))
    return edits[choice](header) + data


def _declared_size_lie(zipped: bytes, rng: random.Random) -> bytes:
    """A zip whose directory declares entries far larger than they are (a bomb's signature)."""
    raw = bytearray(zipped)
    offset = raw.rfind(b"PK\x01\x02")
    while offset >= 0:
        raw[offset + 24 : offset + 28] = struct.pack("<I", rng.choice([2**31, 2**32 - 1]))
        offset = raw.rfind(b"PK\x01\x02", 0, offset)
    return bytes(raw)


@cache
def bomb() -> bytes:
    """A real zip bomb: 1 MB on disk, 200 MB of zeros unpacked, under a weight's name."""
    zipped, _ = base_files()
    members = _members(zipped)
    members["weights/n2/0.npy"] = bytes(200 * 2**20)
    return _zip(members, deflate_all=True)


def mutate_zip(rng: random.Random, zipped: bytes) -> bytes:
    """The .ndproj bytes with one kind of damage."""
    kind = rng.random()
    if kind < 0.15:
        raw = bytearray(zipped)
        for _ in range(rng.choice([1, 1, 2, 8])):
            raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        return bytes(raw)
    if kind < 0.22:
        return zipped[: rng.randrange(len(zipped))]
    members = _members(zipped)
    names = sorted(members)
    if kind < 0.55:
        members["project.json"] = mutate_json(rng, json.loads(members["project.json"]))
    elif kind < 0.75:
        name = rng.choice([n for n in names if n.endswith(".npy")])
        members[name] = _npy_edit(rng, members[name])
    elif kind < 0.85:
        name = rng.choice(names)
        source = rng.random()
        if source < 0.4:
            members[name] = members[rng.choice(names)]
        elif source < 0.6:
            members[name] = rng.randbytes(rng.randrange(200))
        elif source < 0.7:
            del members[name]
        else:
            array = rng.choice(
                [np.zeros((6, 4), complex), np.array(["a", "b"]), np.full((4,), np.nan, "f4")]
            )
            stream = io.BytesIO()
            np.save(stream, array)
            members[name] = stream.getvalue()
    elif kind < 0.9:
        a, b = rng.sample([n for n in names if n.endswith(".npy")], 2)
        members[a], members[b] = members[b], members[a]
    elif kind < 0.95:
        return _declared_size_lie(zipped, rng)
    elif kind < 0.97:
        return bomb()
    else:
        for i in range(rng.choice([2, 5000])):
            members[f"extra/{i}"] = b""
    return _zip(members, deflate_all=rng.random() < 0.3)


# ----------------------------------------------------------------------------- the case
def one_case(rng: random.Random, workdir: Path) -> str:
    """Mutate a saved project, load it, and check what came of it."""
    from designer.app.project import ProjectError, load_project

    zipped, plain = base_files()
    as_zip = rng.random() < 0.7
    good = workdir / ("good.ndproj" if as_zip else "good.json")
    good.write_bytes(zipped if as_zip else plain)
    if as_zip:
        content = mutate_zip(rng, zipped)
    elif rng.random() < 0.85:
        content = mutate_json(rng, json.loads(plain))
    else:
        raw = bytearray(plain)
        raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        content = bytes(raw)
    bad = workdir / f"bad{good.suffix}"
    bad.write_bytes(content)
    try:
        project = load_project(bad)
    except ProjectError as exc:
        outcome = refusal(exc)
    else:
        check_round_trip(project, workdir / f"again{good.suffix}")
        outcome = "ok" if not project.import_notes else "ok:with notes"
    if good.read_bytes() != (zipped if as_zip else plain):
        raise InvariantBroken("the good file next to the bad one changed")
    return outcome


def check_round_trip(project: Any, path: Path) -> None:
    """Save ``project`` to ``path`` and load it again: everything equal, no temporary left."""
    from designer.app.project import ProjectError, load_project, save_project
    from designer.core.project_file import temporaries_of

    try:
        save_project(project, path)
    except ProjectError as exc:
        raise InvariantBroken(f"a project that loaded cannot be saved: {exc}") from exc
    if temporaries_of(path):
        raise InvariantBroken("a save left a temporary file")
    again = load_project(path)
    if again.graph.to_dict() != project.graph.to_dict():
        raise InvariantBroken("the network changed in a save and a load")
    if (again.name, again.settings) != (project.name, project.settings):
        raise InvariantBroken("the name or the settings changed in a save and a load")
    if _weights(again.graph) != _weights(project.graph):
        raise InvariantBroken("the weights changed in a save and a load")


def _weights(graph: Any, prefix: str = "") -> dict[str, list[tuple]]:
    from designer.core import weights as wts

    found: dict[str, list[tuple]] = {}
    for node in graph.nodes:
        if node.subgraph is not None:
            found.update(_weights(node.subgraph, f"{prefix}{node.id}/"))
        elif wts.usable(node):
            arrays = wts.weight_arrays(node.weights) or []
            found[prefix + node.id] = [(a.dtype.str, a.shape, a.tobytes()) for a in arrays]
    return found
