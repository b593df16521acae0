"""Object detection data for training: images resized with their boxes, boxes padded to a
fixed count, batched, augmented with the boxes, rescaled.

A batch is ``(images, {"boxes": (B, M, 4) xyxy pixels of the network's input, "labels":
(B, M)})``, rows past an image's objects padded with box -1 and label -1 (the layout of Keras'
bounding-box layers and of KerasHub's detectors). No Qt.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from designer.data.augment import AugmentConfig
from designer.data.box_augment import build_box_augmenter, sanitize
from designer.data.preprocess import PreprocessConfig, prepare_numpy, rescale_batch

DEFAULT_MAX_BOXES = 32


def box_transform(
    source_hw: tuple[int, int], target_hw: tuple[int, int], mode: str
) -> tuple[float, float, float, float]:
    """(sx, sy, ox, oy): a point (x, y) of a ``source_hw`` image lands at (x*sx + ox,
    y*sy + oy) in the ``target_hw`` image that :func:`designer.data.preprocess.resize_numpy`
    makes with ``mode`` (stretch, crop, pad)."""
    (ih, iw), (h, w) = source_hw, target_hw
    if mode == "stretch":
        return w / iw, h / ih, 0.0, 0.0
    if mode == "pad":  # keep the aspect, centre, pad the rest
        s = min(w / iw, h / ih)
        return s, s, (w - iw * s) / 2.0, (h - ih * s) / 2.0
    ratio = w / h  # crop: the centred part with the target's aspect, scaled to the target
    ch = max(1.0, min(ih, round(iw / ratio)))
    cw = max(1.0, min(iw, round(ih * ratio)))
    sx, sy = w / cw, h / ch
    return sx, sy, -((iw - cw) // 2) * sx, -((ih - ch) // 2) * sy


def resize_boxes(
    boxes: np.ndarray, source_hw: tuple[int, int], target_hw: tuple[int, int], mode: str
) -> np.ndarray:
    """Map xyxy pixel boxes of a ``source_hw`` image into its resized ``target_hw`` image."""
    sx, sy, ox, oy = box_transform(source_hw, target_hw, mode)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4).copy()
    boxes[:, [0, 2]] = boxes[:, [0, 2]] * sx + ox
    boxes[:, [1, 3]] = boxes[:, [1, 3]] * sy + oy
    return boxes


def original_boxes(
    boxes: np.ndarray, source_hw: tuple[int, int], target_hw: tuple[int, int], mode: str
) -> np.ndarray:
    """The inverse of :func:`resize_boxes`: boxes found in the resized image, in the pixels
    of the ``source_hw`` original (clipped to it)."""
    sx, sy, ox, oy = box_transform(source_hw, target_hw, mode)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4).copy()
    boxes[:, [0, 2]] = np.clip((boxes[:, [0, 2]] - ox) / sx, 0, source_hw[1])
    boxes[:, [1, 3]] = np.clip((boxes[:, [1, 3]] - oy) / sy, 0, source_hw[0])
    return boxes


def pad_boxes(boxes: np.ndarray, labels: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` rows of boxes and labels: the first ``count`` objects, then -1 rows."""
    out_boxes = -np.ones((count, 4), np.float32)
    out_labels = -np.ones((count,), np.int32)
    n = min(len(labels), count)
    out_boxes[:n] = np.asarray(boxes, np.float32).reshape(-1, 4)[:n]
    out_labels[:n] = np.asarray(labels, np.int32)[:n]
    return out_boxes, out_labels


def max_boxes(store: Any) -> int:
    """The most objects any image of ``store`` holds (at least 1)."""
    records = getattr(store, "records", None)
    if not records:
        return DEFAULT_MAX_BOXES
    return max(1, max(len(getattr(r, "labels", ())) for r in records))


def load_sample(
    store: Any, index: int, preprocess: PreprocessConfig, count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample ``index`` as the network sees it: (float image 0..255, boxes, labels), padded."""
    image, target = store.get(int(index))
    size = preprocess.image_size or (int(image.shape[0]), int(image.shape[1]))
    resized = prepare_numpy(image, preprocess).astype(np.float32)
    boxes = resize_boxes(target["boxes"], image.shape[:2], size, preprocess.resize_mode)
    boxes, labels = pad_boxes(boxes, np.asarray(target["labels"]), count)
    return resized, boxes, labels


def detection_dataset(
    store: Any,
    indices: np.ndarray,
    preprocess: PreprocessConfig,
    batch_size: int,
    augment: AugmentConfig | None,
    shuffle: bool,
    seed: int,
    count: int | None = None,
) -> Any:
    """A tf.data pipeline of ``(images, {"boxes", "labels"})`` batches (module docstring);
    images are decoded in parallel by the store, augmented with their boxes on the training
    split, then rescaled as ``preprocess`` says."""
    import tensorflow as tf

    if preprocess.image_size is None:
        raise ValueError("detection needs one input size: set the image size of the data")
    h, w = preprocess.image_size
    channels = preprocess.channels or getattr(store, "channels", 3) or 3
    count = count or max_boxes(store)
    augmenter = build_box_augmenter(augment, channels)

    def load(i: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return load_sample(store, int(i), preprocess, count)

    def tf_load(i: Any) -> Any:
        image, boxes, labels = tf.numpy_function(load, [i], (tf.float32, tf.float32, tf.int32))
        image.set_shape((h, w, channels))
        boxes.set_shape((count, 4))
        labels.set_shape((count,))
        return image, boxes, labels

    def finish(images: Any, boxes: Any, labels: Any) -> Any:
        if augmenter is not None:
            images, boxes, labels = augmenter(images, boxes, labels)
        else:
            boxes, labels = sanitize(boxes, labels, h, w)
        if preprocess.rescale != "none":
            images = rescale_batch(images, preprocess)
        return images, {"boxes": boxes, "labels": labels}

    auto = tf.data.AUTOTUNE
    ds = tf.data.Dataset.from_tensor_slices(np.asarray(indices, np.int64))
    if shuffle:
        ds = ds.shuffle(max(len(indices), 1), seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(tf_load, num_parallel_calls=auto)
    ds = ds.batch(batch_size, num_parallel_calls=auto)
    return ds.map(finish, num_parallel_calls=auto).prefetch(auto)
