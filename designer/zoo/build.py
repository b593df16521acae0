"""Build a ZooEntry into a keras.Model: random weights, a weights file, or published weights.

Everything here takes the entry itself (never its name), so an entry changed with
dataclasses.replace, renamed or not registered at all, builds like a registered one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from designer.core.progress import CancelToken, ProgressCallback
from designer.zoo.entry import PRETRAINED_ALIASES, ZooEntry
from designer.zoo.weights import resolve_weights

if TYPE_CHECKING:
    import keras


def wants_pretrained(weights: object) -> bool:
    """True when ``weights`` asks for the published weights ('imagenet', 'pretrained'...)."""
    return isinstance(weights, str) and weights in PRETRAINED_ALIASES


def _check_head(entry: ZooEntry, include_top: bool, num_classes: int) -> None:
    if include_top and num_classes != entry.num_classes:
        raise ValueError(
            f"pretrained {entry.display_name} has a {entry.num_classes}-class head; "
            f"received num_classes={num_classes}. Use include_top=False and add a new head "
            "(transfer learning), or weights=None"
        )


def load_bundled(entry: ZooEntry, include_top: bool, num_classes: int | None) -> keras.Model:
    """The trained model shipped with the project for ``entry`` (no download)."""
    from designer.zoo.bundled import load_digits_cnn  # lazy: keras loads on first build

    if not entry.bundled_weights:
        raise ValueError(f"{entry.display_name} ships no trained model (bundled_weights unset)")
    return load_digits_cnn(include_top, num_classes, path=Path(entry.bundled_weights))


def build_entry(
    entry: ZooEntry,
    input_shape: tuple[int | None, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
    weights: str | os.PathLike | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    **options: Any,
) -> keras.Model:
    """Build ``entry`` as a keras.Model; ``weights``: None, 'imagenet'/'pretrained' or a path.

    ``weights="imagenet"`` is resolved from the Keras cache, a mirror or the official origin
    (designer.zoo.weights; raises WeightsUnavailable offline); ``progress`` and ``cancel``
    follow that download. Options the builder knows (alpha, pooling...) pass through.
    """
    if not wants_pretrained(weights):
        return entry.build(input_shape, num_classes, include_top, weights, **options)
    if entry.bundled_weights:
        return load_bundled(entry, include_top, num_classes)
    _check_head(entry, include_top, num_classes or entry.num_classes)
    shape = tuple(input_shape) if input_shape else None
    path = resolve_weights(entry, include_top, progress, cancel, input_shape=shape, **options)
    return entry.build(shape, num_classes, include_top, path, **options)
