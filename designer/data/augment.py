"""Image augmentation built on Keras preprocessing layers, plus a repeatable preview.

Augmentation runs on float batches holding 0..255 values, after resizing and before scaling,
on training data only, and draws new random transforms on every call (so every epoch).
It works in tf.data and, backend-neutral, in the PyDataset path. MATLAB's imageDataAugmenter
options map to: flip_x/flip_y (RandXReflection/RandYReflection), rotation (RandRotation),
scale/scale_x/scale_y (RandScale/RandXScale/RandYScale), shear_x/shear_y (RandXShear/RandYShear),
translate_x/translate_y (RandXTranslation/RandYTranslation), fill_mode/fill_value (FillValue).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from designer.data.base import DataConfig
from designer.data.summary import DataError

FILL_MODES = ("reflect", "constant", "nearest", "wrap")


@dataclass(frozen=True)
class AugmentConfig(DataConfig):
    """Random transforms for training images; zero/False/None switches an option off."""

    kind = "augment"
    flip_x: bool = False  # mirror left-right
    flip_y: bool = False  # mirror top-bottom
    rotation: float = 0.0  # degrees, uniform in [-rotation, rotation]
    translate_x: float = 0.0  # fraction of the width, +-
    translate_y: float = 0.0  # fraction of the height, +-
    scale: tuple[float, float] | None = None  # uniform scale factor range, e.g. (0.9, 1.1)
    scale_x: tuple[float, float] | None = None  # independent horizontal factor range
    scale_y: tuple[float, float] | None = None
    zoom: float = 0.0  # +- fraction: 0.1 = zoom out/in by up to 10 %
    shear_x: float = 0.0  # fraction of the image sheared over (Keras RandomShear)
    shear_y: float = 0.0
    random_crop: float | None = None  # keep this fraction of each side, scaled back up
    brightness: float = 0.0  # +- fraction of full range
    contrast: float = 0.0  # +- fraction
    hue: float = 0.0  # 0..1 (colour images only)
    saturation: float = 0.0  # +- amount in 0..0.5 (colour images only)
    noise: float = 0.0  # Gaussian noise standard deviation as a fraction of full range
    blur: float = 0.0  # largest Gaussian blur sigma in pixels
    erasing: float = 0.0  # probability of erasing a random rectangle
    fill_mode: str = "reflect"  # reflect, constant, nearest, wrap
    fill_value: float = 0.0
    seed: int | None = None

    @property
    def enabled(self) -> bool:
        """True when at least one transform is on."""
        return bool(
            self.flip_x
            or self.flip_y
            or self.rotation
            or self.translate_x
            or self.translate_y
            or self.scale
            or self.scale_x
            or self.scale_y
            or self.zoom
            or self.shear_x
            or self.shear_y
            or self.random_crop
            or self.brightness
            or self.contrast
            or self.hue
            or self.saturation
            or self.noise
            or self.blur
            or self.erasing
        )

    def validate(self) -> None:
        """Raise DataError naming the first option outside its range."""
        if self.fill_mode not in FILL_MODES:
            raise DataError(f"expected fill mode among {FILL_MODES}, received '{self.fill_mode}'")
        for key in ("scale", "scale_x", "scale_y"):
            if getattr(self, key) is not None:
                _scale_range(getattr(self, key))
        if self.random_crop is not None and not 0 < self.random_crop <= 1:
            raise DataError(f"expected random_crop in (0, 1], received {self.random_crop}")
        for key in (
            "rotation",
            "translate_x",
            "translate_y",
            "zoom",
            "shear_x",
            "shear_y",
            "brightness",
            "contrast",
            "hue",
            "saturation",
            "noise",
            "blur",
        ):
            if getattr(self, key) < 0:
                raise DataError(
                    f"expected {key} >= 0 (it is a +- amount), received {getattr(self, key)}"
                )
        if not 0 <= self.erasing <= 1:
            raise DataError(f"expected erasing as a probability in [0, 1], received {self.erasing}")


def flip_mode(config: AugmentConfig) -> str | None:
    """RandomFlip's mode for the configured reflections, None when there are none."""
    if config.flip_x and config.flip_y:
        return "horizontal_and_vertical"
    if config.flip_x or config.flip_y:
        return "horizontal" if config.flip_x else "vertical"
    return None


def seed_sequence(base: int | None) -> Callable[[], int | None]:
    """Successive seeds for the layers of one augmenter (None: unseeded)."""
    count = iter(range(1_000_000))

    def seed() -> int | None:
        return None if base is None else base + 7919 * next(count)

    return seed


def photometric_layers(
    config: AugmentConfig, channels: int, seed: Callable[[], int | None]
) -> tuple[list[Any], list[str]]:
    """The Keras layers that change pixel values only (brightness, contrast, hue, saturation,
    blur, erasing), in that order, and notes on what was skipped; ``seed()`` gives each its
    seed. Shared by the image and the box-aware augmenters."""
    import keras

    layers = keras.layers
    photo: list[Any] = []
    notes: list[str] = []
    if config.brightness:
        photo.append(layers.RandomBrightness(abs(config.brightness), seed=seed()))
    if config.contrast:
        photo.append(layers.RandomContrast(abs(config.contrast), seed=seed()))
    if channels == 3:
        if config.hue:
            photo.append(layers.RandomHue(abs(config.hue), seed=seed()))
        if config.saturation:
            s = min(abs(config.saturation), 0.5)
            photo.append(layers.RandomSaturation((0.5 - s, 0.5 + s), seed=seed()))
    elif config.hue or config.saturation:
        notes.append("hue and saturation are skipped for grey images")
    if config.blur:
        photo.append(layers.RandomGaussianBlur(1.0, 5, (0.01, float(config.blur)), seed=seed()))
    if config.erasing:
        photo.append(layers.RandomErasing(float(config.erasing), fill_value=0.0, seed=seed()))
    return photo, notes


def _scale_range(factors: tuple[float, float], widen: float = 0.0) -> tuple[float, float]:
    """Check a scale factor range (image bigger above 1); ``widen`` adds a +- zoom share."""
    lo, hi = float(factors[0]), float(factors[1])
    if lo <= 0 or hi < lo:
        raise DataError(
            f"expected a scale range (low, high) with 0 < low <= high, received {factors}"
        )
    return (lo * (1.0 - widen), hi * (1.0 + widen))


class Augmenter:
    """Callable applying the configured Keras layers to a batch (and masks, geometrically)."""

    def __init__(self, config: AugmentConfig, channels: int = 3) -> None:
        import keras

        from designer.data.layers import ClipValues, PixelNoise, RandomAffine

        self.config = config
        config.validate()
        layers = keras.layers
        seed = seed_sequence(config.seed)
        fill: dict[str, Any] = {"fill_mode": config.fill_mode, "fill_value": config.fill_value}
        geo: list[Any] = []
        mode = flip_mode(config)
        if mode is not None:
            geo.append(layers.RandomFlip(mode, seed=seed()))
        affine: dict[str, Any] = {}  # RandomAffine's keyword arguments
        if config.rotation:
            affine["rotation"] = config.rotation
        if config.scale:
            affine["scale"] = _scale_range(config.scale)
        if config.zoom:
            affine["scale"] = _scale_range(config.scale or (1.0, 1.0), abs(config.zoom))
        if config.scale_x:
            affine["scale_x"] = _scale_range(config.scale_x)
        if config.scale_y:
            affine["scale_y"] = _scale_range(config.scale_y)
        for key in ("shear_x", "shear_y", "translate_x", "translate_y"):
            if getattr(config, key):
                affine[key] = getattr(config, key)
        self._affine = RandomAffine(**affine, seed=seed(), **fill) if affine else None
        self._crop = config.random_crop
        photo, self.notes = photometric_layers(config, channels, seed)
        self._noise = PixelNoise(config.noise * 255.0, seed=seed()) if config.noise else None
        self._crop_seed = seed()
        self._crops: dict[tuple[int, int], list[Any]] = {}
        self._geo, self._photo = geo, photo
        self._clip = ClipValues()

    def _crop_layers(self, h: int, w: int, fraction: float) -> list[Any]:
        import keras

        key = (h, w)
        if key not in self._crops:
            ch, cw = max(1, round(h * fraction)), max(1, round(w * fraction))
            self._crops[key] = [
                keras.layers.RandomCrop(ch, cw, seed=self._crop_seed),
                keras.layers.Resizing(h, w),
            ]
        return self._crops[key]

    def __call__(self, images: Any, masks: Any = None) -> Any:
        """Augment a float batch (N, H, W, C) of 0..255 values; with masks return (images, masks)."""
        crop = []
        if self._crop is not None and self._crop < 1:
            crop = self._crop_layers(int(images.shape[1]), int(images.shape[2]), self._crop)
        if masks is None:
            for layer in self._geo:
                images = layer(images, training=True)
            if self._affine is not None:
                images = self._affine(images)
            for layer in crop:
                images = layer(images, training=True)
        else:
            data = {"images": images, "segmentation_masks": masks}
            for layer in self._geo:
                data = layer(data, training=True)
            images, masks = data["images"], data["segmentation_masks"]
            if self._affine is not None:
                images, masks = self._affine(images, masks)
            data = {"images": images, "segmentation_masks": masks}
            for layer in crop:
                data = layer(data, training=True)
            images, masks = data["images"], data["segmentation_masks"]
        for layer in self._photo:
            images = layer(images, training=True)
        if self._noise is not None:
            images = self._noise(images)
        images = self._clip(images)
        return images if masks is None else (images, masks)


def build_augmenter(config: AugmentConfig | None, channels: int = 3) -> Augmenter | None:
    """An Augmenter for ``config``, or None when no transform is on."""
    if config is None or not config.enabled:
        return None
    return Augmenter(config, channels)


def preview_augmentation(
    config: AugmentConfig, samples: list[np.ndarray], versions: int = 4, seed: int = 0
) -> list[list[np.ndarray]]:
    """For each uint8 (H, W, C) sample, ``versions`` augmented uint8 copies; same seed, same grid."""
    import keras

    cfg = replace(config, seed=seed)
    out = []
    for sample in samples:
        arr = np.asarray(sample)
        if arr.ndim == 2:
            arr = arr[..., None]
        aug = build_augmenter(cfg, int(arr.shape[-1]))
        batch = np.repeat(arr[None].astype(np.float32), versions, axis=0)
        result = batch if aug is None else keras.ops.convert_to_numpy(aug(batch))
        out.append([np.clip(r + 0.5, 0, 255).astype(np.uint8) for r in result])
    return out


def describe_augmentation(config: AugmentConfig, channels: int = 3) -> list[str]:
    """Sentences for the GUI, one per active transform."""
    if not config.enabled:
        return ["no augmentation"]
    c = config
    lines = []
    if c.flip_x or c.flip_y:
        lines.append(
            "random reflection "
            + " and ".join(
                s for s, on in (("left-right", c.flip_x), ("top-bottom", c.flip_y)) if on
            )
        )
    for value, text in (
        (c.rotation, f"rotation up to +-{c.rotation:g} degrees"),
        (
            c.translate_x or c.translate_y,
            f"translation up to +-{c.translate_x:.0%} across, +-{c.translate_y:.0%} down",
        ),
        (c.scale, f"scale by {c.scale}"),
        (c.scale_x, f"horizontal scale by {c.scale_x}"),
        (c.scale_y, f"vertical scale by {c.scale_y}"),
        (c.zoom, f"zoom +-{c.zoom:.0%}"),
        (c.shear_x or c.shear_y, f"shear up to {c.shear_x:.0%} across, {c.shear_y:.0%} down"),
        (c.random_crop, f"random crop keeping {c.random_crop} of each side"),
        (c.brightness, f"brightness +-{c.brightness:.0%}"),
        (c.contrast, f"contrast +-{c.contrast:.0%}"),
        (c.hue and channels == 3, f"hue shift up to {c.hue:g}"),
        (c.saturation and channels == 3, f"saturation +-{c.saturation:g}"),
        (c.blur, f"Gaussian blur, sigma up to {c.blur:g} px"),
        (c.noise, f"Gaussian noise, std {c.noise:.0%} of full range"),
        (c.erasing, f"random erasing with probability {c.erasing:g}"),
    ):
        if value:
            lines.append(text)
    if channels != 3 and (c.hue or c.saturation):
        lines.append("hue and saturation are skipped for grey images")
    return lines
