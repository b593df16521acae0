"""The zoo's name-or-entry functions: one registry look-up, then the entry itself is passed on.

designer.zoo exports these. They accept a registered name (as the CLI and the start page
have) or a ZooEntry (registered or not, e.g. one changed with dataclasses.replace); below
this module nothing looks a name up again, so a renamed entry builds and resolves like any.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from designer.core.progress import CancelToken, ProgressCallback
from designer.zoo.build import build_entry
from designer.zoo.entry import ZooEntry
from designer.zoo.registry import as_entry
from designer.zoo.weights import is_cached as _entry_is_cached
from designer.zoo.weights import resolve_weights as _resolve_entry_weights

if TYPE_CHECKING:
    import keras


def build_model(entry: ZooEntry | str, **options: Any) -> keras.Model:
    """Build a zoo network (name or entry): input_shape, num_classes, include_top, weights, ...

    ``weights`` is None (random), "imagenet"/"pretrained" (resolved from cache, mirror or
    download; raises WeightsUnavailable offline) or the path of a weights file.
    """
    return build_entry(as_entry(entry), **options)


def resolve_weights(
    entry: ZooEntry | str,
    include_top: bool = True,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    input_shape: tuple[int, ...] | None = None,
    **options: Any,
) -> Path:
    """Path of the pretrained weights of a zoo entry (name or entry), fetched when needed."""
    return _resolve_entry_weights(
        as_entry(entry), include_top, progress, cancel, input_shape=input_shape, **options
    )


def is_cached(entry: ZooEntry | str, include_top: bool = True, **options: Any) -> bool:
    """True when the weights file of a zoo entry (name or entry) is in the Keras cache."""
    return _entry_is_cached(as_entry(entry), include_top, **options)
