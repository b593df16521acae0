"""Shared test set-up: quiet TensorFlow, offscreen Qt, small helpers."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("ND_CACHE_DIR", os.path.join(tempfile.mkdtemp(prefix="nd-cache-")))

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from tests.fixtures import FileServer, save

# Property-based tests: a fixed seed and few examples in the suite (CI stays fast and
# repeatable); HYPOTHESIS_PROFILE=long for a deeper search (benchmarks/fuzz.py counts more).
settings.register_profile(
    "ci",
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long",
    max_examples=2000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def make_lenet(graph_cls=None):
    """LeNet-5 built through the public graph API; returns (graph, ids in order)."""
    from designer.core.graph import LayerGraph

    g = (graph_cls or LayerGraph)()
    ids = [
        g.add("Input", shape=[28, 28, 1]),
        g.add("Conv2D", filters=6, kernel_size=5, padding="same", activation="relu"),
        g.add("AveragePooling2D"),
        g.add("Conv2D", filters=16, kernel_size=5, activation="relu"),
        g.add("AveragePooling2D"),
        g.add("Flatten"),
        g.add("Dense", units=120, activation="relu"),
        g.add("Dense", units=84, activation="relu"),
        g.add("Dense", units=10, activation="softmax"),
    ]
    for a, b in zip(ids, ids[1:], strict=False):
        g.connect(a, b)
    return g, ids


@pytest.fixture
def lenet():
    """A fresh LeNet-5 graph and its node ids."""
    return make_lenet()


@pytest.fixture
def file_server():
    """A running local HTTP server (stopped after the test)."""
    server = FileServer()
    yield server
    server.close()


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """A temporary, empty Keras cache; no mirror from the environment; official origin off."""
    from designer.zoo import weights

    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv(weights.ENV_MIRROR, raising=False)
    monkeypatch.delenv(weights.ENV_OFFLINE, raising=False)
    weights.set_mirror(None)
    weights.set_offline(True)
    yield home
    weights.set_mirror(None)
    weights.set_offline(None)


@pytest.fixture
def forget_loaded_code():
    """The test starts and ends with only the custom layer code loaded before it (use it with
    ``pytestmark = pytest.mark.usefixtures("forget_loaded_code")``)."""
    from designer.app.custom_code import loaded_code, unload_custom_code

    before = {code.path for code in loaded_code()}
    yield
    for code in loaded_code():
        if code.path not in before:
            unload_custom_code(code.path)


@pytest.fixture
def digits_folder(tmp_path: Path) -> Path:
    """60 synthetic digits in one subfolder per class (6 per class), 28x28 grey PNG."""
    from designer.data.synthetic import write_image_folder

    write_image_folder(tmp_path / "digits", 60, seed=1)
    return tmp_path / "digits"


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """Two classes in every supported format, nested, plus one corrupt file."""
    rng = np.random.default_rng(0)
    root = tmp_path / "mixed"
    for cls, n in (("cat", 6), ("dog", 5)):
        for i in range(n):
            ext = ["png", "jpg", "bmp", "tiff", "gif", "jpeg"][i % 6]
            sub = root / cls / ("nested" if i % 2 else "")
            arr = rng.integers(0, 255, (20 + i, 24, 3), dtype=np.uint8)
            save(sub / f"{cls}{i}.{ext}", arr)
    (root / "dog" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage that is not an image")
    (root / "dog" / "notes.txt").write_text("ignored: not an image")
    return root
