"""The backend-neutral input pipeline: a keras.utils.PyDataset over a datastore (JAX, PyTorch, TF)."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from designer.data.augment import Augmenter
from designer.data.base import Datastore
from designer.data.preprocess import (
    PreprocessConfig,
    prepare_numpy,
    rescale_batch,
    resize_mask_numpy,
)
from designer.data.summary import DataError


class StoreDataset(keras.utils.PyDataset):
    """Batches of a datastore's samples, decoded with Pillow, augmented with Keras layers."""

    def __init__(
        self,
        store: Datastore,
        indices: np.ndarray,
        preprocess: PreprocessConfig,
        batch_size: int = 32,
        augmenter: Augmenter | None = None,
        shuffle: bool = False,
        seed: int = 0,
        y: np.ndarray | None = None,
        workers: int = 1,
        use_multiprocessing: bool = False,
    ) -> None:
        super().__init__(workers=workers, use_multiprocessing=use_multiprocessing)
        if batch_size < 1:
            raise DataError(f"expected a batch size of at least 1, received {batch_size}")
        self.store = store
        self.indices = np.asarray(indices, np.int64)
        self.preprocess = preprocess
        self.batch_size = batch_size
        self.augmenter = augmenter
        self.shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self._y = y  # optional replacement targets (e.g. one-hot), aligned with the store
        self.skipped: list[str] = []  # files that failed to decode during iteration
        self._order = self._rng.permutation(self.indices) if shuffle else self.indices
        self._image = bool(store.is_image)
        self._segmentation = store.task == "segmentation"
        if self._image:
            self._channels = preprocess.channels or getattr(store, "channels", None)
            self._size = preprocess.image_size

    def __len__(self) -> int:
        return math.ceil(len(self.indices) / self.batch_size)

    def on_epoch_end(self) -> None:
        """Reshuffle for the next epoch."""
        if self.shuffle:
            self._order = self._rng.permutation(self.indices)

    def _load(self, idx: np.ndarray) -> tuple[list[np.ndarray], list[Any], np.ndarray]:
        if not self._image or not self.store.file_paths:
            xs, ys = self.store.get_batch(idx)
            return xs, ys, idx
        xs, ys, kept = [], [], []
        for i in idx:
            try:
                x, y = self.store.get(int(i))
            except DataError as exc:  # a file that passed the scan but fails to decode
                self.skipped.append(str(exc))
                self.store.unreadable(int(i), exc)
                continue
            xs.append(x)
            ys.append(y)
            kept.append(i)
        return xs, ys, np.asarray(kept, np.int64)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch ``index``: (inputs, targets) as NumPy arrays."""
        start = index * self.batch_size
        xs, ys, kept = self._load(self._order[start : start + self.batch_size])
        ahead = start + self.batch_size
        while not xs and ahead < start + len(self._order):  # every sample failed: take the next
            following = np.take(self._order, np.arange(ahead, ahead + self.batch_size), mode="wrap")
            xs, ys, kept = self._load(following)
            ahead += self.batch_size
        if not xs:
            raise DataError(
                f"expected samples that load, but all {len(self._order)} failed to decode "
                f"(e.g. {self.skipped[0] if self.skipped else 'unknown'})"
            )
        if self._y is not None:
            ys = list(self._y[kept])
        if not self._image:
            return np.stack(xs).astype(np.float32), np.asarray(ys)
        cfg = PreprocessConfig(self._size, self._channels, self.preprocess.resize_mode)
        prepared = [prepare_numpy(x, cfg) for x in xs]
        shapes = {p.shape for p in prepared}
        if len(shapes) > 1:
            raise DataError(
                f"images have different sizes {sorted(shapes)[:3]}; expected an image size in the "
                "preprocessing (the network's Input size) to resize them to"
            )
        x = np.stack(prepared).astype(np.float32)
        if self._segmentation:  # masks have the size of their images (checked by the store)
            y = np.stack([resize_mask_numpy(m, self._size, cfg.resize_mode) for m in ys]).astype(
                np.int32
            )
        else:
            y = np.asarray(ys)
        if self.augmenter is not None:
            if self._segmentation:
                xa, ya = self.augmenter(x, y[..., None].astype(np.float32))
                x = keras.ops.convert_to_numpy(xa)
                y = np.round(keras.ops.convert_to_numpy(ya)[..., 0]).astype(np.int32)
            else:
                x = keras.ops.convert_to_numpy(self.augmenter(x))
        x = np.asarray(rescale_batch(x, self.preprocess), dtype=np.float32)
        return x, y
