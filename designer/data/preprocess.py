"""Preprocessing derived from the network's Input: resize, channel conversion and value scaling.

Two implementations of the same steps: NumPy/Pillow (the backend-neutral PyDataset path and
previews) and TensorFlow ops (the tf.data path).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from designer.data.base import DataConfig
from designer.data.summary import DataError

RESIZE_MODES = ("stretch", "crop", "pad")
RESCALE_MODES = ("none", "unit", "symmetric", "preprocess_input")


@dataclass(frozen=True)
class PreprocessConfig(DataConfig):
    """What happens to every image before the network sees it (training and validation alike)."""

    kind = "preprocess"
    image_size: tuple[int, int] | None = None  # (height, width); None keeps the size
    channels: int | None = None  # 1 or 3; None keeps the data's channels
    resize_mode: str = "stretch"  # stretch, crop (centre-crop to aspect) or pad (keep aspect)
    rescale: str = "unit"  # none (0..255), unit (0..1), symmetric (-1..1), preprocess_input
    preprocess_module: str | None = None  # keras.applications module, e.g. "resnet50"

    def validate(self) -> None:
        """Raise DataError for an unknown mode, size or module."""
        if self.resize_mode not in RESIZE_MODES:
            raise DataError(
                f"expected resize mode among {RESIZE_MODES}, received '{self.resize_mode}'"
            )
        if self.rescale not in RESCALE_MODES:
            raise DataError(f"expected rescale among {RESCALE_MODES}, received '{self.rescale}'")
        if self.channels not in (None, 1, 3):
            raise DataError(f"expected 1 or 3 channels, received {self.channels}")
        if self.image_size is not None and (len(self.image_size) != 2 or min(self.image_size) < 1):
            raise DataError(f"expected image size (height, width), received {self.image_size}")
        if self.rescale == "preprocess_input":
            preprocess_input_for(self.preprocess_module)


def preprocess_input_for(module: str | None) -> Callable[[Any], Any]:
    """``keras.applications.<module>.preprocess_input``; DataError for an unknown module name."""
    import keras

    if not module:
        raise DataError(
            "expected a keras.applications module name (e.g. 'resnet50') for preprocess_input"
        )
    name = module.strip().lower().replace("-", "_")
    try:
        mod = importlib.import_module(f"keras.applications.{name}")
    except ImportError:
        mod = None
    fn = getattr(mod, "preprocess_input", None)
    if fn is None:
        known = sorted(n for n in dir(keras.applications) if n.islower() and not n.startswith("_"))
        raise DataError(
            f"expected a keras.applications module with preprocess_input, received '{module}'; "
            f"known modules: {', '.join(known)}"
        )
    return fn


def derive_preprocess(
    input_shape: Sequence[int | None], zoo_module: str | None = None, resize_mode: str = "stretch"
) -> PreprocessConfig:
    """Preprocessing for a network whose Input has ``input_shape`` (H, W, C), without batch."""
    shape = tuple(input_shape)
    if len(shape) == 4:
        shape = shape[1:]
    c = shape[-1] if len(shape) == 3 else None
    if c not in (1, 3):
        raise DataError(
            f"expected an image Input shaped (height, width, 1 or 3), received {tuple(input_shape)}"
        )
    h, w = shape[0], shape[1]
    size = (int(h), int(w)) if h and w else None
    if zoo_module:
        preprocess_input_for(zoo_module)
        return PreprocessConfig(size, int(c), resize_mode, "preprocess_input", zoo_module)
    return PreprocessConfig(size, int(c), resize_mode, "unit")


def describe_preprocess(
    config: PreprocessConfig, sizes: dict[str, int] | None = None, channels: int | None = None
) -> list[str]:
    """Sentences for the GUI: what will be done to the data given its sizes and channels."""
    steps = []
    if config.image_size is not None:
        h, w = config.image_size
        differ = [s for s in (sizes or {}) if not s.startswith(f"{h}x{w}x")]
        how = {
            "stretch": "stretched",
            "crop": "centre-cropped to the aspect ratio, then scaled",
            "pad": "scaled to fit and padded with black",
        }[config.resize_mode]
        if sizes is None or differ:
            steps.append(f"resize to {h}x{w} ({how})")
    if config.channels is not None and channels is not None and channels != config.channels:
        steps.append(
            "grey to RGB (the channel repeated 3 times)"
            if config.channels == 3
            else "RGB to grey (luminance)"
        )
    steps.append(
        {
            "none": "values kept in 0..255",
            "unit": "values scaled to 0..1 (divided by 255)",
            "symmetric": "values scaled to -1..1",
            "preprocess_input": f"keras.applications.{config.preprocess_module}.preprocess_input",
        }[config.rescale]
    )
    return steps


# --- NumPy / Pillow implementation ---------------------------------------------------------


def resize_numpy(
    img: np.ndarray, size: tuple[int, int] | None, mode: str = "stretch"
) -> np.ndarray:
    """Resize a uint8 (H, W, C) image to ``size`` (height, width) with Pillow."""
    if size is None or img.shape[:2] == tuple(size):
        return img
    h, w = size
    pil = Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img)
    if mode == "crop":
        pil = ImageOps.fit(pil, (w, h), Image.Resampling.BILINEAR)
    elif mode == "pad":
        pil = ImageOps.pad(pil, (w, h), Image.Resampling.BILINEAR, color=0)
    else:
        pil = pil.resize((w, h), Image.Resampling.BILINEAR)
    out = np.asarray(pil)
    return out[..., None] if out.ndim == 2 else out


def resize_mask_numpy(
    mask: np.ndarray, size: tuple[int, int] | None, mode: str = "stretch"
) -> np.ndarray:
    """Resize an int (H, W) class mask with nearest-neighbour sampling, like its image."""
    if size is None or mask.shape[:2] == tuple(size):
        return mask
    h, w = size
    pil = Image.fromarray(mask.astype(np.int32))
    if mode == "crop":
        pil = ImageOps.fit(pil, (w, h), Image.Resampling.NEAREST)
    elif mode == "pad":
        pil = ImageOps.pad(pil, (w, h), Image.Resampling.NEAREST, color=0)
    else:
        pil = pil.resize((w, h), Image.Resampling.NEAREST)
    return np.asarray(pil).astype(np.int32)


def convert_channels_numpy(img: np.ndarray, channels: int | None) -> np.ndarray:
    """(H, W, C) to 1 or 3 channels (grey repeated, or ITU-R 601 luminance)."""
    c = img.shape[-1]
    if channels is None or c == channels:
        return img
    if channels == 3 and c == 1:
        return np.repeat(img, 3, axis=-1)
    if channels == 1 and c >= 3:
        grey = img[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        return np.clip(grey + 0.5, 0, 255).astype(img.dtype)[..., None]
    raise DataError(f"cannot convert {c}-channel images to {channels} channels")


def prepare_numpy(img: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """Channel conversion and resize of one uint8 image (scaling happens per batch)."""
    return resize_numpy(
        convert_channels_numpy(img, config.channels), config.image_size, config.resize_mode
    )


def rescale_batch(batch: Any, config: PreprocessConfig) -> Any:
    """Scale a float batch holding 0..255 values as the config says (NumPy or tensors)."""
    if config.rescale == "unit":
        return batch / 255.0
    if config.rescale == "symmetric":
        return batch / 127.5 - 1.0
    if config.rescale == "preprocess_input":
        return preprocess_input_for(config.preprocess_module)(batch)
    return batch


# --- TensorFlow implementation -------------------------------------------------------------


def resize_tf(img: Any, size: tuple[int, int] | None, mode: str = "stretch") -> Any:
    """TensorFlow version of :func:`resize_numpy` on one float/uint8 (H, W, C) tensor."""
    import tensorflow as tf

    if size is None:
        return img
    h, w = size
    img = tf.cast(img, tf.float32)
    if mode == "pad":
        return tf.image.resize_with_pad(img, h, w)
    if mode == "crop":
        shape = tf.shape(img)
        ih, iw = tf.cast(shape[0], tf.float32), tf.cast(shape[1], tf.float32)
        ratio = w / h
        ch = tf.cast(tf.maximum(1.0, tf.minimum(ih, tf.round(iw / ratio))), tf.int32)
        cw = tf.cast(tf.maximum(1.0, tf.minimum(iw, tf.round(ih * ratio))), tf.int32)
        oy, ox = (shape[0] - ch) // 2, (shape[1] - cw) // 2
        img = tf.image.crop_to_bounding_box(img, oy, ox, ch, cw)
    return tf.image.resize(img, (h, w))


def convert_channels_tf(img: Any, channels: int | None) -> Any:
    """TensorFlow version of :func:`convert_channels_numpy` (static channel count)."""
    import tensorflow as tf

    c = img.shape[-1]
    if channels is None or c == channels:
        return img
    if channels == 3 and c == 1:
        return tf.image.grayscale_to_rgb(img)
    if channels == 1 and c == 3:
        return tf.image.rgb_to_grayscale(img)
    raise DataError(f"cannot convert {c}-channel images to {channels} channels")
