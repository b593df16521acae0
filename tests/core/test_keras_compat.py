"""Keras' private API stays in designer/core/keras_compat.py; files hold only public type names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest

from designer.core import catalog, keras_compat
from designer.core.build import build_model, graph_from_model
from designer.core.errors import UnknownLayerType
from designer.core.graph import LayerGraph

ROOT = Path(__file__).resolve().parents[2]
PRIVATE = "keras" + ".src"  # spelled apart so that this file is not a use of it
# "keras.src", "keras\.src" (a regular expression) and getattr(keras, "src").
PRIVATE_TEXT = re.compile(r"""keras(\.|\\\.|\s*,\s*["'])src""")


@pytest.fixture(autouse=True)
def _fresh_keras_names():
    """Start and leave Keras' name counters at zero (later tests match names like 'add')."""
    keras.backend.clear_session()
    yield
    keras.backend.clear_session()


def ops_model() -> keras.Model:
    """Raw keras.ops calls, an operator, indexing and a keras.ops submodule's function."""
    inp = keras.Input((4, 3), name="seq")
    a = keras.layers.Dense(3, name="a")(inp)
    b = keras.layers.Dense(3, name="b")(inp)
    added = keras.ops.add(a, b)
    plus = a + b
    first = plus[0]
    cast = keras.ops.cast(keras.ops.nn.relu(added), "float16")
    resized = keras.ops.image.resize(keras.ops.expand_dims(a, -1), (8, 6))
    return keras.Model(inp, [first, cast, resized, keras.ops.linalg.norm(b, axis=-1)])


def round_trip(model: keras.Model, sample: np.ndarray) -> dict:
    """Import ``model``, check its file data is public, rebuild it and compare outputs."""
    graph = graph_from_model(model)
    data = graph.to_dict()
    text = json.dumps(data)
    assert PRIVATE not in text
    rebuilt_graph = LayerGraph.from_dict(json.loads(text))
    assert rebuilt_graph.to_dict() == data
    rebuilt = build_model(rebuilt_graph)
    rebuilt.set_weights(model.get_weights())
    expected = keras.tree.flatten(model(sample))
    actual = keras.tree.flatten(rebuilt(sample))
    assert len(expected) == len(actual)
    for want, got in zip(expected, actual, strict=True):
        np.testing.assert_allclose(
            np.asarray(got, "float32"), np.asarray(want, "float32"), rtol=1e-5, atol=1e-5
        )
    return data


def test_operations_are_stored_under_their_keras_ops_function() -> None:
    sample = np.random.default_rng(0).random((2, 4, 3), dtype="float32")
    data = round_trip(ops_model(), sample)
    types = {n["name"]: n["type"] for n in data["nodes"]}
    assert types["a"] == "Dense"
    assert sorted(t for t in types.values() if t.startswith("keras.ops")) == [
        "keras.ops.image:resize",
        "keras.ops:add",
        "keras.ops:add",
        "keras.ops:cast",
        "keras.ops:expand_dims",
        "keras.ops:get_item",
        "keras.ops:norm",
        "keras.ops:relu",
    ]
    graph = LayerGraph.from_dict(data)
    assert {n.label for n in graph if n.type == "keras.ops:add"} == {"add"}


def test_an_application_is_stored_with_public_names_and_rebuilds() -> None:
    model = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3))
    sample = np.random.default_rng(1).random((1, 32, 32, 3), dtype="float32")
    data = round_trip(model, sample)
    assert all(":" not in n["type"] for n in data["nodes"])  # all keras.layers classes


def test_an_old_file_with_private_type_paths_loads_under_public_names() -> None:
    data = graph_from_model(ops_model()).to_dict()
    old_names = {
        "keras.ops:add": f"{PRIVATE}.ops.numpy:Add",
        "keras.ops:get_item": f"{PRIVATE}.ops.numpy:GetItem",
        "keras.ops:cast": f"{PRIVATE}.ops.core:Cast",
        "keras.ops.image:resize": f"{PRIVATE}.ops.image:Resize",
        "Dense": f"{PRIVATE}.layers.core.dense:Dense",
    }
    old = json.loads(json.dumps(data))
    for node in old["nodes"]:
        node["type"] = old_names.get(node["type"], node["type"])
    assert sum(PRIVATE in n["type"] for n in old["nodes"]) == 7

    graph = LayerGraph.from_dict(old)
    assert graph.to_dict() == data
    assert graph.find("a").type == "Dense"
    build_model(graph)
    assert catalog.spec_for_type(f"{PRIVATE}.ops.numpy:Add").type_name == "keras.ops:add"


def test_every_operation_name_resolves_back_to_its_class() -> None:
    names = keras_compat._op_tables()[0]
    assert len(names) > 300
    for cls, name in names.items():
        assert PRIVATE not in name
        assert keras_compat.class_for_type_name(name) is cls, name
        assert catalog.type_name_for_class(cls) == name
    add = keras_compat.class_for_type_name("keras.ops:add")
    assert keras_compat.class_for_type_name("keras.ops.numpy:add") is add  # another alias
    norm = keras_compat.class_for_type_name("keras.ops:batch_normalization")
    assert norm.__name__ == "BatchNorm"


def test_names_that_are_no_operation_are_refused() -> None:
    for name in (
        "keras.ops:shape",
        "keras.ops:no_such_op",
        "keras.ops.nowhere:add",
        f"{PRIVATE}.ops.numpy:NoSuchOp",
        "NoPackage>Nothing",
    ):
        with pytest.raises(UnknownLayerType):
            catalog.spec_for_type(name)


def test_a_registered_private_class_is_stored_under_its_registered_name() -> None:
    @keras.saving.register_keras_serializable(package="DesignerCompatTest")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return x * 2.0

    Twice.__module__ = f"{PRIVATE}.somewhere"  # as if Keras itself defined and registered it
    name = catalog.type_name_for_class(Twice)
    assert name == "DesignerCompatTest>Twice"
    assert catalog.spec_for_type(name).keras_class is Twice
    graph = LayerGraph()
    inp = graph.add("Input", params={"shape": [3]})
    node = graph.add(name)
    graph.connect(inp, node)
    again = LayerGraph.from_dict(json.loads(json.dumps(graph.to_dict())))
    assert again.node(node).type == name
    out = build_model(again)(np.ones((1, 3), "float32"))
    np.testing.assert_allclose(np.asarray(out), 2.0)


def test_no_module_but_keras_compat_mentions_the_private_package() -> None:
    compat = ROOT / "designer" / "core" / "keras_compat.py"
    offenders = []
    for path in sorted((ROOT / "designer").rglob("*")):
        if path == compat or path.suffix not in (".py", ".json", ".md", ".toml", ".txt"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if PRIVATE_TEXT.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "use designer.core.keras_compat instead:\n" + "\n".join(offenders)


def test_the_text_check_sees_every_spelling() -> None:
    for text in (
        f"from {PRIVATE}.ops import x",
        'import_module("keras' + '.src.ops")',
        r'"keras\.' + 'src"',
        "getattr(keras, 'src')",
    ):
        assert PRIVATE_TEXT.search(text), text
