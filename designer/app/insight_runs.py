"""Insight on a project: its network and data for the Activations view, and the compression
report (TFLite exporter for the conversion, the trainer for the fine-tune). No Qt.

``designer.insight`` works on a ``keras.Model`` and arrays and may not import the exporter or
the trainer (they sit beside it); this module gives it both, and the project's data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from designer.app.data_settings import effective_preprocess
from designer.app.project import Project
from designer.app.project_run import (
    PreparedRun,
    ProjectRunError,
    data_source,
    open_training_data,
    prepare_run,
)
from designer.core.progress import Cancelled, CancelToken, ProgressReporter
from designer.data.augment import AugmentConfig
from designer.data.base import Datastore
from designer.data.preprocess import prepare_numpy, rescale_batch
from designer.data.summary import DataError
from designer.insight.activations import ActivationProbe
from designer.insight.compression import CompressionReport, compression_report
from designer.insight.pruning import CompressionError
from designer.insight.robustness import numpy_batches
from designer.insight.tflite_probe import CALIBRATION_SAMPLES, Representative

#: Validation samples the report measures on at most (the TFLite interpreter is not fast).
MAX_SAMPLES = 2000


# ----------------------------------------------------------------------------- activations
@dataclass(frozen=True)
class ActivationInput:
    """One input for the Activations view: what the network gets, and what the user sees."""

    x: np.ndarray  # model-ready, without the batch dimension
    caption: str
    picture: np.ndarray | None  # uint8 (H, W, C) as fed, before scaling; None: not an image
    index: int | None = None  # sample number in the project's data
    count: int | None = None  # samples in the project's data


class ActivationSession:
    """The project's network and data for the Activations view, built and opened on first use.

    A snapshot: later edits of the project do not reach it (the view makes a new session, and
    passes the old one as ``reuse`` to keep what is still valid: ``keep_model`` when only the
    settings changed, the opened data whenever the data source is the same)."""

    def __init__(
        self, project: Project, reuse: ActivationSession | None = None, keep_model: bool = False
    ) -> None:
        self.project = Project(project.graph.copy(), project.name, project.settings, project.path)
        self._probe: ActivationProbe | None = None
        self._store: Datastore | None = None
        source = project.settings.data.source
        self._source = source.to_dict() if source is not None else None
        if reuse is not None:
            if keep_model:
                self._probe = reuse._probe
            if reuse._source == self._source:
                self._store = reuse._store

    def layer_names(self) -> list[str]:
        """Names of the network's layers in order (from the graph: no Keras needed)."""
        graph = self.project.graph
        return [graph.node(nid).name for nid in graph.topological_order()]

    @property
    def built(self) -> bool:
        """True once the network is built."""
        return self._probe is not None

    def probe(self) -> ActivationProbe:
        """The network, built with its stored weights (kept); ProjectRunError with errors."""
        if self._probe is None:
            from designer.core.build import BuildError, build_model

            try:
                model = build_model(self.project.graph)
            except BuildError as exc:
                raise ProjectRunError(f"The network has errors; fix them first:\n{exc}") from exc
            self._probe = ActivationProbe(model)
        return self._probe

    def store(self, progress: ProgressReporter | None = None) -> Datastore:
        """The project's data, opened once; ProjectRunError without a data source."""
        if self._store is None:
            source, _ = data_source(self.project)
            self._store = open_training_data(source, progress)
        return self._store

    def sample_count(self) -> int:
        """Samples in the project's data (opens it)."""
        return len(self.store())

    def sample(self, index: int, progress: ProgressReporter | None = None) -> ActivationInput:
        """Sample ``index`` of the project's data, prepared as the network's input."""
        store = self.store(progress)
        count = len(store)
        if not 0 <= index < count:
            raise DataError(f"Expected a sample number in 0..{count - 1}, received {index}")
        raw, target = store.get(index)
        x, picture = self._prepare(np.asarray(raw), store.is_image)
        caption = f"sample {index} of {count}: {store.describe_target(target)}"
        return ActivationInput(x, caption, picture, index, count)

    def image_file(self, path: str | Path) -> ActivationInput:
        """An image file prepared as the network's input (the project's preprocessing)."""
        from designer.data.imageio import load_image

        config = self._image_preprocess()
        raw = load_image(str(path), config.channels)
        x, picture = self._prepare(raw, True)
        return ActivationInput(x, Path(path).name, picture)

    def maps(self, layer: str, sample: ActivationInput) -> np.ndarray:
        """The output of ``layer`` for ``sample``."""
        return self.probe().maps(layer, sample.x)

    def _input_shape(self) -> tuple[Any, ...]:
        inputs = self.probe().model.inputs
        return tuple(inputs[0].shape[1:])

    def _image_preprocess(self) -> Any:
        config, reason = effective_preprocess(self.project, self._input_shape())
        if config is None:
            raise DataError(f"The network does not take images: {reason}")
        return config

    def _prepare(self, raw: np.ndarray, image: bool) -> tuple[np.ndarray, np.ndarray | None]:
        if not image:
            return raw.astype(np.float32), None
        config = self._image_preprocess()
        picture = prepare_numpy(raw, config)
        x = rescale_batch(picture[None].astype(np.float32), config)[0]
        return np.asarray(x, np.float32), np.asarray(picture)


# ----------------------------------------------------------------------------- compression
def tflite_converter(
    model: Any, int8: bool, representative: Representative | None = None, batch: int | None = None
) -> Any:
    """An unconverted ``tf.lite.TFLiteConverter`` made the TFLite exporter's way (a frozen
    function; int8 = Optimize.DEFAULT); with ``representative``, full-integer int8."""
    from designer.export.signature import frozen_function
    from designer.export.tflite_export import _converter  # the exporter's converter settings

    converter = _converter(frozen_function(model, batch=batch), int8)
    if representative is not None:
        converter.representative_dataset = representative
    return converter


def take_arrays(dataset: Any, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``limit`` samples of a dataset as two arrays (x, y)."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    count = 0
    for batch in numpy_batches(dataset):
        x, y = batch[0], batch[1]
        if isinstance(x, dict | list | tuple) or isinstance(y, dict | list | tuple):
            raise CompressionError(
                "Expected one input and one target per sample for the compression report, "
                "received several"
            )
        xs.append(np.asarray(x))
        ys.append(np.asarray(y))
        count += len(xs[-1])
        if count >= limit:
            break
    if not xs:
        return np.zeros((0,), np.float32), np.zeros((0,), np.int64)
    return np.concatenate(xs)[:limit], np.concatenate(ys)[:limit]


class _TickSink:
    """A training sink that reports the fine-tune's progress and turns Cancel into a stop."""

    def __init__(self, tick: Callable[[float], None], token: CancelToken) -> None:
        self.tick, self.token = tick, token

    def on_iteration(self, point: Any) -> None:
        if self.token.cancelled:
            return
        total = point.total_iterations or 0
        try:
            self.tick(point.iteration / total if total else 0.0)
        except Cancelled:
            self.token.cancel()  # the trainer stops after this batch


def trainer_fine_tune(run: PreparedRun, learn_rate_factor: float = 1.0) -> Any:
    """A fine-tune (see ``designer.insight.pruning.FineTune``) with the project's trainer,
    options and training data: no validation, checkpoints or TensorBoard."""
    from designer.training.trainer import Trainer

    def fine_tune(model: Any, epochs: int, tick: Callable[[float], None]) -> None:
        options = run.options.replace(
            max_epochs=epochs,
            validation_patience=None,
            checkpoint_dir=None,
            tensorboard_dir=None,
            initial_learn_rate=run.options.initial_learn_rate * learn_rate_factor,
        )
        token = CancelToken()
        result = Trainer(
            model, run.data.train, None, options, _TickSink(tick, token), cancel=token
        ).run()
        if token.cancelled:
            raise Cancelled("cancelled by the user")
        if result.status == "failed":
            raise CompressionError(f"The fine-tune failed: {result.message}")

    return fine_tune


def project_compression(
    project: Project,
    sparsities: tuple[float, ...] = (0.5, 0.8),
    fine_tune_epochs: int = 1,
    quantise: bool = True,
    max_samples: int = MAX_SAMPLES,
    progress: ProgressReporter | None = None,
) -> CompressionReport:
    """The compression report of the project's network on its validation data.

    CompressionError or ProjectRunError (one sentence) when it cannot be made: no data, no
    validation share, a network that is not a one-input, one-output classifier."""
    if progress is not None:
        progress(0, 0, "Building the network and opening the data", force=True)
    run = prepare_run(project, epochs=max(1, fine_tune_epochs), progress=progress)
    if run.data.task != "classification":
        raise CompressionError(
            f"Expected a classification task for the compression report (it compares "
            f"predicted classes), received {run.data.task!r}"
        )
    if run.data.validation is None or run.data.num_validation == 0:
        raise CompressionError(
            "Expected validation data to measure on, but the project has none; give the "
            "validation a share of the data (Data > Split)"
        )
    x_val, y_val = take_arrays(run.data.validation, max_samples)
    calibration, _ = take_arrays(run.data.train, CALIBRATION_SAMPLES)
    notes = []
    if run.data.num_validation > len(x_val):
        notes.append(f"measured on the first {len(x_val)} of {run.data.num_validation} samples")
    if project.settings.augmentation != AugmentConfig():
        notes.append("int8 calibrated on augmented training samples")
    if all(node.weights is None for node in project.graph.nodes):
        notes.append("the network has no trained weights: these figures are for random ones")
    return compression_report(
        run.model,
        x_val,
        y_val,
        calibration,
        tflite_converter if quantise else None,
        tuple(sparsities),
        trainer_fine_tune(run) if fine_tune_epochs > 0 else None,
        fine_tune_epochs,
        progress,
        tuple(notes),
    )


def percent_list(text: str) -> tuple[float, ...]:
    """Sparsities from '50, 80' or '0.5,0.8' (numbers above 1 are percents)."""
    values = []
    for part in text.replace(";", ",").split(","):
        part = part.strip().rstrip("%").strip()
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            raise CompressionError(
                f"Expected sparsities as numbers such as '50, 80', received {part!r}"
            ) from None
        value = value / 100.0 if value > 1.0 else value
        if not (math.isfinite(value) and 0.0 <= value < 1.0):
            raise CompressionError(f"Expected sparsities in 0..99 %, received {part!r}")
        values.append(value)
    return tuple(values)
