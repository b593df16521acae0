"""keras.datasets (mnist, fashion_mnist, cifar10, cifar100) from the Keras cache or downloaded.

MNIST and Fashion-MNIST are fetched and parsed here (a mirror URL can be given, and tests use
a local server); CIFAR goes through Keras's own loader, which uses the same cache folder.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass

import numpy as np

from designer.core.progress import ProgressReporter
from designer.data.arrays import read_idx
from designer.data.base import DataConfig
from designer.data.memory import ArrayStore
from designer.data.summary import DataError

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FASHION_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
KNOWN_HASHES = {"mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"}
CLASS_NAMES = {
    "mnist": [str(i) for i in range(10)],
    "fashion_mnist": [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
    "cifar10": [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ],
    "cifar100": [str(i) for i in range(100)],
}
DATASETS = tuple(CLASS_NAMES)


@dataclass(frozen=True)
class KerasDatasetConfig(DataConfig):
    """One of keras.datasets; ``subset`` train, test or all (train then test)."""

    kind = "keras-dataset"
    name: str = "mnist"
    subset: str = "train"
    allow_download: bool = True
    base_url: str = KERAS_ORIGIN  # mirror for mnist and fashion_mnist
    cache_dir: str | None = None  # None: $KERAS_HOME or ~/.keras


def cache_root(cache_dir: str | None = None) -> str:
    """The folder that holds ``datasets/`` (Keras's convention)."""
    if cache_dir:
        return cache_dir
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def _files(name: str) -> list[str]:
    if name == "mnist":
        return ["mnist.npz"]
    if name == "fashion_mnist":
        return [os.path.join("fashion-mnist", f) for f in FASHION_FILES]
    return []


def is_cached(name: str, cache_dir: str | None = None) -> bool:
    """True when the dataset's files are already in the cache (CIFAR: its extracted folder)."""
    root = os.path.join(cache_root(cache_dir), "datasets")
    files = _files(name)
    if files:
        return all(os.path.isfile(os.path.join(root, f)) for f in files)
    folder = {"cifar10": "cifar-10-batches-py", "cifar100": "cifar-100-python"}[name]
    return any(folder in dirs for _, dirs, _ in os.walk(root)) if os.path.isdir(root) else False


def download(
    url: str,
    dest: str,
    expected_sha256: str | None = None,
    progress: ProgressReporter | None = None,
    timeout: float = 30.0,
) -> str:
    """Fetch ``url`` to ``dest`` atomically (temporary file, hash check, rename)."""
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), suffix=".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, os.fdopen(fd, "wb") as out:
            total = int(resp.headers.get("Content-Length") or 0)
            digest, done = hashlib.sha256(), 0
            while chunk := resp.read(1 << 16):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total, f"downloading {os.path.basename(dest)}")
        if expected_sha256 and digest.hexdigest() != expected_sha256:
            raise DataError(
                f"downloaded '{url}' has SHA-256 {digest.hexdigest()}; expected {expected_sha256}"
            )
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dest


def _offline_message(name: str, root: str, exc: Exception) -> str:
    return (
        f"keras dataset '{name}' is not in the cache '{os.path.join(root, 'datasets')}' and "
        f"downloading it failed ({exc}); connect to the internet once, or copy the files there"
    )


def fetch(
    name: str,
    cache_dir: str | None = None,
    base_url: str = KERAS_ORIGIN,
    allow_download: bool = True,
    progress: ProgressReporter | None = None,
) -> list[str]:
    """Paths of the cached files of mnist/fashion_mnist, downloading what is missing."""
    root = cache_root(cache_dir)
    paths = []
    for rel in _files(name):
        path = os.path.join(root, "datasets", rel)
        if not os.path.isfile(path):
            if not allow_download:
                raise DataError(
                    f"keras dataset '{name}' is not cached at '{path}' and downloading is off"
                )
            url = base_url.rstrip("/") + "/" + os.path.basename(rel)
            digest = KNOWN_HASHES.get(rel) if base_url == KERAS_ORIGIN else None
            try:
                download(url, path, digest, progress)
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                raise DataError(_offline_message(name, root, exc)) from exc
        paths.append(path)
    return paths


def load_keras_dataset(
    config: KerasDatasetConfig, progress: ProgressReporter | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, H, W[, C]) uint8 and labels (N,) of the configured dataset and subset."""
    if config.name not in CLASS_NAMES:
        raise DataError(
            f"expected a keras dataset among {list(DATASETS)}, received '{config.name}'"
        )
    if config.subset not in ("train", "test", "all"):
        raise DataError(f"expected subset 'train', 'test' or 'all', received '{config.subset}'")
    if config.name == "mnist":
        (path,) = fetch(
            config.name, config.cache_dir, config.base_url, config.allow_download, progress
        )
        with np.load(path, allow_pickle=False) as z:
            train, test = (z["x_train"], z["y_train"]), (z["x_test"], z["y_test"])
    elif config.name == "fashion_mnist":
        p = fetch(config.name, config.cache_dir, config.base_url, config.allow_download, progress)
        train, test = (read_idx(p[1]), read_idx(p[0])), (read_idx(p[3]), read_idx(p[2]))
    else:
        if config.cache_dir:
            raise DataError(
                f"a cache folder can be chosen for mnist and fashion_mnist only; '{config.name}' "
                "uses the Keras cache ($KERAS_HOME or ~/.keras)"
            )
        root = cache_root()
        if not config.allow_download and not is_cached(config.name):
            raise DataError(f"keras dataset '{config.name}' is not cached under '{root}'")
        import keras

        try:
            train, test = getattr(keras.datasets, config.name).load_data()
        except Exception as exc:  # Keras raises several types when offline
            raise DataError(_offline_message(config.name, root, exc)) from exc
    parts = {"train": [train], "test": [test], "all": [train, test]}[config.subset]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([np.asarray(p[1]).reshape(-1) for p in parts])
    return x, y


def open_keras_dataset(
    config: KerasDatasetConfig, progress: ProgressReporter | None = None
) -> ArrayStore:
    """The configured keras dataset as an ArrayStore."""
    x, y = load_keras_dataset(config, progress)
    source = f"keras.datasets.{config.name} ({config.subset})"
    return ArrayStore(config, x, y, "classification", CLASS_NAMES[config.name], source)
