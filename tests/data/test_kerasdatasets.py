"""keras.datasets loading: from a local HTTP mirror the test serves, from the cache, and offline."""

from __future__ import annotations

import functools
import http.server
import threading

import numpy as np
import pytest

from designer.data.arrays import write_idx
from designer.data.kerasdatasets import KerasDatasetConfig, is_cached, open_keras_dataset
from designer.data.summary import DataError


@pytest.fixture
def mirror(tmp_path):
    """A local HTTP server on 127.0.0.1 serving a tiny mnist.npz and Fashion-MNIST IDX files."""
    root = tmp_path / "www"
    root.mkdir()
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (8, 28, 28), dtype=np.uint8)
    np.savez(
        root / "mnist.npz",
        x_train=x,
        y_train=np.arange(8) % 10,
        x_test=x[:2],
        y_test=np.array([3, 4]),
    )
    write_idx(str(root / "train-images-idx3-ubyte.gz"), x)
    write_idx(str(root / "train-labels-idx1-ubyte.gz"), (np.arange(8) % 10).astype(np.uint8))
    write_idx(str(root / "t10k-images-idx3-ubyte.gz"), x[:3])
    write_idx(str(root / "t10k-labels-idx1-ubyte.gz"), np.array([1, 2, 3], np.uint8))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_download_from_mirror_then_cached(mirror, tmp_path) -> None:
    cache = str(tmp_path / "cache")
    cfg = KerasDatasetConfig("mnist", "all", base_url=mirror, cache_dir=cache)
    store = open_keras_dataset(cfg)
    assert len(store) == 10 and store.get(0)[0].shape == (28, 28, 1)
    assert is_cached("mnist", cache)
    offline = KerasDatasetConfig("mnist", "test", allow_download=False, cache_dir=cache)
    assert len(open_keras_dataset(offline)) == 2
    fashion = open_keras_dataset(
        KerasDatasetConfig("fashion_mnist", "test", base_url=mirror, cache_dir=cache)
    )
    assert len(fashion) == 3 and fashion.class_names[0] == "T-shirt/top"


def test_offline_gives_a_clear_message(tmp_path) -> None:
    cfg = KerasDatasetConfig("mnist", base_url="http://127.0.0.1:9/", cache_dir=str(tmp_path))
    with pytest.raises(DataError, match="not in the cache.*downloading it failed"):
        open_keras_dataset(cfg)
    with pytest.raises(DataError, match="downloading is off"):
        open_keras_dataset(
            KerasDatasetConfig("mnist", allow_download=False, cache_dir=str(tmp_path))
        )
    with pytest.raises(DataError, match="among"):
        open_keras_dataset(KerasDatasetConfig("imagenet"))
