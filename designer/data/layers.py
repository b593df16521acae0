"""Small augmentation layers Keras lacks, written with keras.ops so they run on every backend.

``RandomAffine`` composes rotation, scale, shear and translation into one warp per image (as
MATLAB's imageDataAugmenter does): one interpolation instead of four, so sharper and faster.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops


class RandomAffine(keras.layers.Layer):
    """Random rotation (degrees), scale, shear and translation (fractions) in one affine warp."""

    def __init__(
        self,
        rotation: float = 0.0,
        scale: tuple[float, float] = (1.0, 1.0),
        scale_x: tuple[float, float] = (1.0, 1.0),
        scale_y: tuple[float, float] = (1.0, 1.0),
        shear_x: float = 0.0,
        shear_y: float = 0.0,
        translate_x: float = 0.0,
        translate_y: float = 0.0,
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rotation = math.radians(abs(rotation))
        self.scale, self.scale_x, self.scale_y = tuple(scale), tuple(scale_x), tuple(scale_y)
        self.shear_x, self.shear_y = abs(shear_x), abs(shear_y)
        self.translate_x, self.translate_y = abs(translate_x), abs(translate_y)
        self.fill_mode, self.fill_value = fill_mode, float(fill_value)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _uniform(self, n: Any, lo: float, hi: float) -> Any:
        if lo == hi:
            return ops.full((n,), lo, "float32")
        return keras.random.uniform((n,), lo, hi, seed=self.seed_generator)

    def transforms(self, n: Any, height: int, width: int) -> Any:
        """Per-image (N, 8) projective transforms mapping output pixels to input pixels."""
        theta = self._uniform(n, -self.rotation, self.rotation)
        s = self._uniform(n, *self.scale)
        sx = s * self._uniform(n, *self.scale_x)
        sy = s * self._uniform(n, *self.scale_y)
        kx = self._uniform(n, -self.shear_x, self.shear_x)
        ky = self._uniform(n, -self.shear_y, self.shear_y)
        tx = self._uniform(n, -self.translate_x, self.translate_x) * width
        ty = self._uniform(n, -self.translate_y, self.translate_y) * height
        c, si = ops.cos(theta), ops.sin(theta)
        d = 1.0 / (1.0 - kx * ky)
        # inverse of T * R(theta) * Shear * Scale about the image centre
        a00 = d * (c + kx * si) / sx
        a01 = d * (si - kx * c) / sx
        a10 = d * (-ky * c - si) / sy
        a11 = d * (c - ky * si) / sy
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        a2 = cx - a00 * (cx + tx) - a01 * (cy + ty)
        b2 = cy - a10 * (cx + tx) - a11 * (cy + ty)
        zero = ops.zeros_like(a00)
        return ops.stack([a00, a01, a2, a10, a11, b2, zero, zero], axis=1)

    def call(self, images: Any, masks: Any = None) -> Any:
        """Warp a batch (N, H, W, C); masks (N, H, W, 1) get the same warp, nearest-neighbour."""
        shape = ops.shape(images)
        t = self.transforms(shape[0], int(images.shape[1]), int(images.shape[2]))
        out = ops.image.affine_transform(
            images,
            t,
            interpolation="bilinear",
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
        )
        if masks is None:
            return out
        warped = ops.image.affine_transform(
            ops.cast(masks, "float32"),
            t,
            interpolation="nearest",
            fill_mode="constant",
            fill_value=0.0,
        )
        return out, warped


class PixelNoise(keras.layers.Layer):
    """Adds Gaussian noise with a standard deviation in pixel units (Keras's GaussianNoise caps at 1)."""

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stddev = float(stddev)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x: Any) -> Any:
        """Return ``x`` plus fresh noise."""
        noise = keras.random.normal(
            ops.shape(x), stddev=self.stddev, seed=self.seed_generator, dtype=x.dtype
        )
        return x + noise


class ClipValues(keras.layers.Layer):
    """Clips values to 0..255 after additive augmentations."""

    def call(self, x: Any) -> Any:
        """Return ``x`` clipped to 0..255."""
        return ops.clip(x, 0.0, 255.0)
