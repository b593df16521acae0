"""Zoo entries at a small input, for sweeps that export or round-trip every entry.

Used by ``benchmarks/export.py --zoo-sweep`` and ``tests/export/test_zoo_sweep.py`` so that
both build every entry the same way: ``weights=None``, 10 classes, the smallest square input
the family accepts (32x32 unless it needs more).
"""

from __future__ import annotations

from typing import Any

#: Smallest square input each entry accepts (weights=None); entries not listed get 32x32.
SMALLEST = {"alexnet": 67, "inception_v3": 75, "inception_resnet_v2": 75, "xception": 71}
#: Tasks whose spatial input is shrunk; sequences and small images keep their own shape.
SHRINK_TASKS = ("image classification", "segmentation")
SMALL_SIDE = 32
SWEEP_CLASSES = 10


def small_input_shape(entry: Any) -> tuple:
    """A small input shape for ``entry``: 32x32 images unless the family needs more."""
    shape = list(entry.input_shape)
    if entry.task in SHRINK_TASKS and len(shape) == 3 and (shape[0] or 0) > SMALL_SIDE:
        side = SMALLEST.get(entry.name, SMALL_SIDE)
        shape[0] = shape[1] = side
    return tuple(shape)


def build_small(entry: Any, logits: bool = False) -> Any:
    """Build ``entry`` with random weights at :func:`small_input_shape`, 10 classes.

    ``logits`` drops the final softmax of keras.applications entries: a randomly initialised
    softmax over 10 classes is nearly uniform (outputs ~0.1), which would hide differences
    that the logits show.
    """
    options = {"classifier_activation": None} if logits and entry.keras_application else {}
    return entry.build(
        input_shape=small_input_shape(entry), num_classes=SWEEP_CLASSES, weights=None, **options
    )
