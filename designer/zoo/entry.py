"""Plain data describing one network of the zoo: what it is, where it comes from, how to build it."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

TASKS = ("image classification", "segmentation", "object detection", "sequence", "regression")
# ``weights`` values that ask for the published weights (see designer.zoo.build.build_entry).
PRETRAINED_ALIASES = ("imagenet", "pretrained", "bundled")

# Builder signature: (input_shape, num_classes, include_top, **options) -> keras.Model.
Builder = Callable[..., Any]
# Weights-file chooser: (include_top, input_shape, **options) -> WeightsFile | None.
WeightsChooser = Callable[..., "WeightsFile | None"]


@dataclass(frozen=True)
class Citation:
    """Where a network was published: authors, title, venue and year, or a source link."""

    authors: str
    title: str
    venue: str
    year: int
    url: str = ""

    def __str__(self) -> str:
        text = f"{self.authors} ({self.year}). {self.title}. {self.venue}."
        return f"{text} {self.url}" if self.url else text


@dataclass(frozen=True)
class ParamReference:
    """A published parameter count and where it was published."""

    count: int
    source: str
    tolerance: float = 0.02  # relative; the zoo promises 2 %


@dataclass(frozen=True)
class Preprocessing:
    """How inputs must be prepared: the keras.applications module whose preprocess_input applies."""

    module: str | None  # e.g. "resnet50" -> keras.applications.resnet50.preprocess_input
    input_size: tuple[int, int]
    description: str = ""

    def function(self) -> Callable[..., Any] | None:
        """Return keras.applications.<module>.preprocess_input, or None when none applies."""
        if not self.module:
            return None
        import keras

        return getattr(keras.applications, self.module).preprocess_input


@dataclass(frozen=True)
class WeightsFile:
    """One pretrained weights file: cache name, official URL, and its published hash (md5/sha256)."""

    file_name: str
    origin: str
    file_hash: str | None = None
    cache_subdir: str = "models"


@dataclass(frozen=True)
class ZooEntry:
    """One network of the zoo with everything the start page and the CLI show about it."""

    name: str
    display_name: str
    family: str
    task: str
    year: int
    citation: Citation
    description: str
    input_shape: tuple[int | None, ...]
    num_classes: int
    builder: Builder = field(repr=False)
    reference_params: ParamReference | None = None
    imagenet_top1: float | None = None  # percent, as published by keras.io/api/applications
    preprocessing: Preprocessing | None = None
    weights_chooser: WeightsChooser | None = field(default=None, repr=False)
    bundled_weights: str | None = None  # path of a .keras file under resources/pretrained
    keras_application: str | None = None  # e.g. "ResNet50"
    notes: str = ""
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(
                f"task must be one of {TASKS}; received {self.task!r} for {self.name!r}"
            )

    @property
    def has_pretrained(self) -> bool:
        """True when pretrained weights exist (downloadable or shipped with the project)."""
        return self.weights_chooser is not None or self.bundled_weights is not None

    @property
    def weights_source(self) -> str:
        """'bundled', 'imagenet' or 'none': where pretrained weights come from."""
        if self.bundled_weights:
            return "bundled"
        return "imagenet" if self.weights_chooser is not None else "none"

    def weights_file(
        self, include_top: bool = True, input_shape: tuple[int, ...] | None = None, **options: Any
    ) -> WeightsFile | None:
        """The downloadable weights file for these options, or None when there is none."""
        if self.weights_chooser is None:
            return None
        return self.weights_chooser(include_top, input_shape or self.input_shape, **options)

    def build(
        self,
        input_shape: tuple[int | None, ...] | None = None,
        num_classes: int | None = None,
        include_top: bool = True,
        weights: str | os.PathLike | None = None,
        **options: Any,
    ) -> keras.Model:
        """Build this architecture with random weights, or load ``weights`` (a weights file).

        Published weights (``weights="imagenet"``) are fetched by
        designer.zoo.build_entry(entry, weights="imagenet"), which calls this method.
        """
        path = None
        if isinstance(weights, str) and weights in PRETRAINED_ALIASES:
            raise ValueError(
                f"ZooEntry.build builds random weights or loads a weights file; for "
                f"weights={weights!r} use designer.zoo.build_entry(entry, weights={weights!r})"
            )
        if weights is not None:
            path = Path(weights).expanduser()
            if not path.is_file():
                raise FileNotFoundError(
                    f"expected weights=None, 'imagenet' or an existing weights file; "
                    f"received {weights!r} (no such file)"
                )
        shape = tuple(input_shape) if input_shape else None
        model = self.builder(
            input_shape=shape,
            num_classes=num_classes or self.num_classes,
            include_top=include_top,
            **options,
        )
        if path is not None:
            model.load_weights(path)
        return model

    def summary(self) -> dict[str, Any]:
        """Plain-data description (JSON-ready) for the CLI and the start page."""
        ref = self.reference_params
        prep = self.preprocessing
        return {
            "name": self.name,
            "display_name": self.display_name,
            "family": self.family,
            "task": self.task,
            "year": self.year,
            "citation": str(self.citation),
            "description": self.description,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "reference_params": ref.count if ref else None,
            "reference_params_source": ref.source if ref else None,
            "imagenet_top1": self.imagenet_top1,
            "pretrained": self.weights_source,
            "preprocessing": prep.module if prep else None,
            "preprocessing_input_size": list(prep.input_size) if prep else None,
            "keras_application": self.keras_application,
            "notes": self.notes,
        }
