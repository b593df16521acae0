"""Python code generation round trip on every zoo entry: ruff-clean, runnable, same network.

The first entry of each family of ``designer.zoo.list_entries()`` is a test case, and so is
every entry built with raw ``keras.ops`` calls (MobileNetV3) or layer classes private to
Keras (ConvNeXt's LayerScale, InceptionResNetV2's CustomScaleLayer), each built with
``weights=None`` at the smallest input its family accepts. The other members of a family are
the same code at other widths and depths; every entry is swept by
``benchmarks/export.py --zoo-sweep --formats python`` (minutes, outside the suite).
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from designer.export import generate_code
from designer.export.signature import keras_outputs, random_batch
from designer.export.sweep import build_small
from designer.zoo import list_entries
from tests.export.test_codegen import comparable, ruff_check

# Entries built with raw keras.ops calls or layer classes private to keras.applications.
OPS_OR_PRIVATE = {
    "inception_resnet_v2": "from keras.src.applications.inception_resnet_v2 import CustomScaleLayer",
    "mobilenet_v3_small": "keras.ops.add(",
    "mobilenet_v3_large": "keras.ops.add(",
    "convnext_tiny": "from keras.src.applications.convnext import LayerScale",
    "convnext_small": "from keras.src.applications.convnext import LayerScale",
    "convnext_base": "from keras.src.applications.convnext import LayerScale",
    "convnext_large": "from keras.src.applications.convnext import LayerScale",
    "convnext_xlarge": "from keras.src.applications.convnext import LayerScale",
}
RUN_BELOW_LAYERS = 80  # only small networks also run inference on the rebuilt model
RUN_ALSO = {"mobilenet_v3_small"}  # its keras.ops calls are checked numerically too


def cases() -> list:
    """The first entry of each family, and every entry with ops or private classes."""
    seen: set[str] = set()
    params = []
    for entry in list_entries():
        if entry.family not in seen or entry.name in OPS_OR_PRIVATE or entry.name in RUN_ALSO:
            params.append(pytest.param(entry, id=entry.name))
        seen.add(entry.family)
    return params


def test_sweep_covers_every_family_and_construct() -> None:
    entries = list_entries()
    names = {p.values[0].name for p in cases()}
    assert len(entries) >= 50
    assert set(OPS_OR_PRIVATE) | RUN_ALSO <= names
    assert {p.values[0].family for p in cases()} == {e.family for e in entries}


@pytest.mark.parametrize("entry", cases())
def test_zoo_entry_code_round_trip(entry, tmp_path: Path) -> None:
    keras.backend.clear_session()
    model = build_small(entry)
    code = generate_code(model)
    assert OPS_OR_PRIVATE.get(entry.name, "import keras") in code
    script = tmp_path / f"{entry.name}.py"
    script.write_text(code, encoding="utf-8")
    ruff_check(script)
    namespace: dict = {"__name__": f"zoo_{entry.name}", "__file__": str(script)}
    exec(compile(code, str(script), "exec"), namespace)
    keras.backend.clear_session()  # raw ops get their names (add, add_1, ...) again, in order
    rebuilt = namespace["build_model"]()
    assert rebuilt.count_params() == model.count_params()
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    assert comparable(rebuilt.get_config()) == comparable(model.get_config())
    if len(model.layers) < RUN_BELOW_LAYERS or entry.name in RUN_ALSO:
        rebuilt.set_weights(model.get_weights())
        xs = random_batch(model, 2)
        for got, want in zip(keras_outputs(rebuilt, xs), keras_outputs(model, xs), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
