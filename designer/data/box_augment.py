"""Augmentation for object detection: the boxes move with the pixels.

The project's :class:`~designer.data.augment.AugmentConfig` is mapped onto Keras' own
bounding-box-aware preprocessing layers (``bounding_box_format="xyxy"``): RandomFlip,
RandomRotation, RandomTranslation, RandomShear and RandomZoom (scale, zoom and random crop;
a zoom in is a crop scaled back up). Colour, noise, blur and erasing change pixels only and
run on the images alone. Three Keras behaviours are worked around here:

- ``keras.layers.RandomCrop`` shifts boxes along the wrong axes in Keras 3.15
  (keras-team/keras#23518, fixed upstream after 3.15): the crop is done by RandomZoom;
- the box-aware layers write their results into the dictionary they are given: every call
  passes a fresh one;
- a reflected border would show unlabelled copies of objects: the fill is always constant.

Boxes are ``(N, M, 4)`` xyxy pixels padded with label -1; a box pushed out of the image is
clipped, and one left smaller than ``MIN_SIDE`` pixels gets label -1 (and box -1), as padding.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from designer.data.augment import AugmentConfig, flip_mode, photometric_layers, seed_sequence

MIN_SIDE = 2.0  # pixels: a box narrower or lower than this after augmentation is dropped
FORMAT = "xyxy"


class BoxAugmenter:
    """Callable: ``(images, boxes, labels) -> (images, boxes, labels)`` on float 0..255
    batches, the geometric transforms applied to the boxes too."""

    def __init__(self, config: AugmentConfig, channels: int = 3) -> None:
        import keras

        config.validate()
        self.config = config
        from designer.data.layers import PixelNoise

        layers = keras.layers
        seed = seed_sequence(config.seed)
        fill: dict[str, Any] = {"fill_mode": "constant", "fill_value": config.fill_value}
        boxed: dict[str, Any] = {"bounding_box_format": FORMAT}
        geo: list[Any] = []
        mode = flip_mode(config)
        if mode is not None:
            geo.append(layers.RandomFlip(mode, seed=seed(), **boxed))
        if config.rotation:
            geo.append(layers.RandomRotation(config.rotation / 360.0, seed=seed(), **fill, **boxed))
        zoom = _zoom_range(config)
        if zoom is not None:
            geo.append(layers.RandomZoom(zoom, seed=seed(), **fill, **boxed))
        if config.shear_x or config.shear_y:
            geo.append(
                layers.RandomShear(config.shear_x, config.shear_y, seed=seed(), **fill, **boxed)
            )
        if config.translate_x or config.translate_y:
            geo.append(
                layers.RandomTranslation(
                    config.translate_y, config.translate_x, seed=seed(), **fill, **boxed
                )
            )
        self.geometric = geo
        self.photometric, self.notes = photometric_layers(config, channels, seed)
        self.noise = PixelNoise(config.noise * 255.0, seed=seed()) if config.noise else None

    def __call__(self, images: Any, boxes: Any, labels: Any) -> tuple[Any, Any, Any]:
        import keras

        ops = keras.ops
        images = ops.convert_to_tensor(images, dtype="float32")
        boxes = ops.convert_to_tensor(boxes, dtype="float32")
        labels = ops.convert_to_tensor(labels, dtype="int32")
        padding = ops.less(labels, 0)
        for layer in self.geometric:
            data = {"images": images, "bounding_boxes": {"boxes": boxes, "labels": labels}}
            data = layer(data, training=True)
            images = data["images"]
            boxes, labels = data["bounding_boxes"]["boxes"], data["bounding_boxes"]["labels"]
        for layer in self.photometric:
            images = layer(images, training=True)
        if self.noise is not None:
            images = self.noise(images)
        images = ops.clip(images, 0.0, 255.0)
        height, width = ops.shape(images)[1], ops.shape(images)[2]
        boxes, labels = sanitize(boxes, ops.where(padding, -1, labels), height, width)
        return images, boxes, labels


def _zoom_range(config: AugmentConfig) -> tuple[float, float] | None:
    """RandomZoom's height factor (negative: zoom in, bigger objects) for scale, zoom and
    random crop; None when none of them is on."""
    low, high = 0.0, 0.0
    if config.scale:
        low, high = min(low, 1.0 / config.scale[1] - 1.0), max(high, 1.0 / config.scale[0] - 1.0)
    if config.zoom:
        low, high = min(low, -abs(config.zoom)), max(high, abs(config.zoom))
    if config.random_crop is not None and config.random_crop < 1:
        low = min(low, config.random_crop - 1.0)
    if low == 0.0 and high == 0.0:
        return None
    return (max(low, -0.9), high)


def sanitize(boxes: Any, labels: Any, height: Any, width: Any) -> tuple[Any, Any]:
    """Clip xyxy boxes to the image; boxes under MIN_SIDE pixels and padding become -1."""
    import keras

    ops = keras.ops
    boxes = ops.cast(boxes, "float32")
    w, h = ops.cast(width, "float32"), ops.cast(height, "float32")
    x1 = ops.clip(boxes[..., 0], 0.0, w)
    y1 = ops.clip(boxes[..., 1], 0.0, h)
    x2 = ops.clip(boxes[..., 2], 0.0, w)
    y2 = ops.clip(boxes[..., 3], 0.0, h)
    keep = ops.logical_and(
        ops.greater_equal(labels, 0),
        ops.logical_and(ops.greater_equal(x2 - x1, MIN_SIDE), ops.greater_equal(y2 - y1, MIN_SIDE)),
    )
    clipped = ops.stack([x1, y1, x2, y2], axis=-1)
    boxes = ops.where(keep[..., None], clipped, -ops.ones_like(clipped))
    labels = ops.cast(labels, "int32")
    return boxes, ops.where(keep, labels, -ops.ones_like(labels))


def build_box_augmenter(config: AugmentConfig | None, channels: int = 3) -> BoxAugmenter | None:
    """A BoxAugmenter for ``config``, or None when no transform is on."""
    if config is None or not config.enabled:
        return None
    return BoxAugmenter(config, channels)


def preview_box_augmentation(
    config: AugmentConfig,
    image: np.ndarray,
    boxes: np.ndarray,
    labels: np.ndarray,
    versions: int = 4,
    seed: int = 0,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``versions`` augmented copies of one uint8 image with its boxes (xyxy pixels) and
    labels, for the live preview: [(uint8 image, boxes (M, 4), labels (M,))], the boxes that
    survived only. The same seed gives the same copies."""
    import keras

    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[..., None]
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    labels = np.asarray(labels, np.int32).reshape(-1)
    augmenter = build_box_augmenter(replace(config, seed=seed), int(arr.shape[-1]))
    batch = np.repeat(arr[None].astype(np.float32), versions, axis=0)
    batch_boxes = np.repeat(boxes[None], versions, axis=0)
    batch_labels = np.repeat(labels[None], versions, axis=0)
    if augmenter is not None:
        out = augmenter(batch, batch_boxes, batch_labels)
        batch, batch_boxes, batch_labels = (keras.ops.convert_to_numpy(t) for t in out)
    result = []
    for picture, b, lab in zip(batch, batch_boxes, batch_labels, strict=True):
        keep = lab >= 0
        result.append((np.clip(picture + 0.5, 0, 255).astype(np.uint8), b[keep], lab[keep]))
    return result
