"""The tf.data input pipeline: parallel decode, resize, batch, augment (training only), prefetch."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from designer.data.augment import Augmenter
from designer.data.base import Datastore
from designer.data.imageio import TF_NATIVE_EXTENSIONS, load_image
from designer.data.preprocess import (
    PreprocessConfig,
    convert_channels_tf,
    prepare_numpy,
    rescale_batch,
    resize_mask_numpy,
    resize_tf,
)
from designer.data.summary import DataError


def _uniform_size(store: Datastore, size: tuple[int, int] | None) -> tuple[int, int]:
    """``size``, else the one (H, W) all images share; DataError when they differ."""
    if size is not None:
        return (int(size[0]), int(size[1]))
    sizes: set[tuple[int, int]] = set()
    for key in getattr(store, "image_sizes", {}):  # "HxWxC"
        h, w = key.split("x")[:2]
        sizes.add((int(h), int(w)))
    if len(sizes) == 1:
        return next(iter(sizes))
    raise DataError(
        f"images have {len(sizes)} different sizes; expected an image size in the "
        "preprocessing (the network's Input size) to resize them to"
    )


def _skip_keeping_length(ds: Any, count: int) -> Any:
    """``ds`` (one element per sample, ``count`` of them, each decoded by a map that may fail)
    without the samples that fail, and still ``count`` samples long, a length TensorFlow knows.

    The scan (:func:`designer.data.imageio.scan_images`) already leaves out the files that are
    not whole, so a failure here is rare: a file changed after the scan, or one TensorFlow
    decodes differently from Pillow. ``ignore_errors`` skips it (TensorFlow logs each one) but
    hides the dataset's length, and without a length ``fit`` reads each epoch until the input
    runs out ("Your input ran out of data") and the progress cannot tell the total iterations;
    counting the batches beforehand would decode and augment the whole data once more per run.
    Instead the places of the skipped samples are taken by the first samples of the next pass
    (reshuffled when training; the first files again for validation), so every epoch has
    ``count`` samples and ``ceil(count / batch)`` batches whatever fails, and without failures
    nothing of the next pass is read. When more than half the samples fail (two passes cannot
    fill an epoch), iterating fails with TensorFlow's "expected to contain N elements" error
    (the trainer explains it) instead of looping over the data."""
    import tensorflow as tf

    ds = ds.ignore_errors(log_warning=True).repeat(2).take(count)
    return ds.apply(tf.data.experimental.assert_cardinality(count))


def _finish(
    ds: Any,
    batch_size: int,
    augmenter: Augmenter | None,
    preprocess: PreprocessConfig,
    image: bool,
    segmentation: bool = False,
) -> Any:
    """Batch, augment, rescale and prefetch."""
    import tensorflow as tf

    auto = tf.data.AUTOTUNE
    ds = ds.batch(batch_size, num_parallel_calls=auto)
    if not image:
        return ds.prefetch(auto)
    rescale = preprocess.rescale != "none"
    if augmenter is not None and segmentation:

        def step(x: Any, y: Any) -> Any:
            xa, ya = augmenter(x, tf.cast(y[..., None], tf.float32))
            xa = rescale_batch(xa, preprocess) if rescale else xa
            return xa, tf.cast(tf.round(ya[..., 0]), tf.int32)
    elif augmenter is not None:

        def step(x: Any, y: Any) -> Any:
            xa = augmenter(x)
            return (rescale_batch(xa, preprocess) if rescale else xa), y
    elif rescale:

        def step(x: Any, y: Any) -> Any:
            return rescale_batch(x, preprocess), y
    else:
        return ds.prefetch(auto)
    ds = ds.map(step, num_parallel_calls=auto)
    return ds.prefetch(auto)


def file_dataset(
    store: Datastore,
    indices: np.ndarray,
    preprocess: PreprocessConfig,
    batch_size: int,
    augmenter: Augmenter | None,
    shuffle: bool,
    seed: int,
    y: np.ndarray,
) -> Any:
    """A dataset that reads image files in parallel; files that fail to decode are skipped, and
    the dataset keeps its length (see :func:`_skip_keeping_length`)."""
    import tensorflow as tf

    auto = tf.data.AUTOTUNE
    files = store.file_paths
    if files is None:
        raise DataError(f"expected a datastore of image files, received {type(store).__name__}")
    paths = [files[i] for i in indices]
    # As bytes: a file name that is not UTF-8 (lone surrogates in Python) reaches TensorFlow.
    encoded = [os.fsencode(p) for p in paths]
    channels = preprocess.channels or getattr(store, "channels", 3)
    size = _uniform_size(store, preprocess.image_size)
    needs_resize = preprocess.image_size is not None and any(
        not k.startswith(f"{size[0]}x{size[1]}x") for k in getattr(store, "image_sizes", {})
    )
    native = all(p.lower().endswith(TF_NATIVE_EXTENSIONS) for p in paths)
    gray_safe = all(p.lower().endswith((".png", ".jpg", ".jpeg")) for p in paths)

    def decode(path: Any) -> Any:
        if native:
            raw = tf.io.read_file(path)
            if channels == 1 and not gray_safe:
                img = tf.image.rgb_to_grayscale(tf.io.decode_image(raw, 3, expand_animations=False))
            else:
                img = tf.io.decode_image(raw, channels, expand_animations=False)
        else:
            img = tf.numpy_function(
                lambda p: load_image(os.fsdecode(p), channels), [path], tf.uint8
            )
        img.set_shape((None, None, channels))
        if needs_resize:
            img = resize_tf(img, size, preprocess.resize_mode)
        img = tf.cast(img, tf.float32)
        # Checked while running: a file decoding to another size than its header said is
        # dropped with the undecodable ones (not an error when batching).
        return tf.ensure_shape(img, (size[0], size[1], channels))

    ds = tf.data.Dataset.from_tensor_slices((encoded, y))
    if shuffle:
        ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(lambda p, t: (decode(p), t), num_parallel_calls=auto, deterministic=not shuffle)
    return _finish(_skip_keeping_length(ds, len(paths)), batch_size, augmenter, preprocess, True)


def array_dataset(
    x: np.ndarray,
    y: np.ndarray,
    preprocess: PreprocessConfig,
    batch_size: int,
    augmenter: Augmenter | None,
    shuffle: bool,
    seed: int,
    image: bool,
) -> Any:
    """A dataset over in-memory arrays; images are converted and resized per batch."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    if image:
        channels = preprocess.channels or int(x.shape[-1])
        wanted = preprocess.image_size
        size = (int(wanted[0]), int(wanted[1])) if wanted else None

        def prep(img: Any, t: Any) -> Any:
            img = convert_channels_tf(img, channels)
            if size is not None and tuple(x.shape[1:3]) != size:
                img = resize_tf(img, size, preprocess.resize_mode)
            return tf.cast(img, tf.float32), t

        ds = ds.map(prep, num_parallel_calls=tf.data.AUTOTUNE)
    return _finish(ds, batch_size, augmenter, preprocess, image)


def segmentation_dataset(
    store: Any,
    indices: np.ndarray,
    preprocess: PreprocessConfig,
    batch_size: int,
    augmenter: Augmenter | None,
    shuffle: bool,
    seed: int,
) -> Any:
    """Images and masks decoded by Pillow in parallel (masks may be palette or colour coded)."""
    import tensorflow as tf

    channels = preprocess.channels or store.channels
    size = _uniform_size(store, preprocess.image_size)

    def load(i: Any) -> tuple[np.ndarray, np.ndarray]:
        img, mask = store.get(int(i))
        img = prepare_numpy(img, PreprocessConfig(size, channels, preprocess.resize_mode))
        mask = resize_mask_numpy(mask, size, preprocess.resize_mode)
        return img.astype(np.float32), mask.astype(np.int32)

    def tf_load(i: Any) -> Any:
        img, mask = tf.numpy_function(load, [i], (tf.float32, tf.int32))
        img.set_shape((size[0], size[1], channels))
        mask.set_shape((size[0], size[1]))
        return img, mask

    ds = tf.data.Dataset.from_tensor_slices(np.asarray(indices, np.int64))
    if shuffle:
        ds = ds.shuffle(len(indices), seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(tf_load, num_parallel_calls=tf.data.AUTOTUNE)
    ds = _skip_keeping_length(ds, len(indices))
    return _finish(ds, batch_size, augmenter, preprocess, image=True, segmentation=True)
