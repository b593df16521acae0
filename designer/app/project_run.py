"""From a Project to a training run and back: model, data and options in; weights and results out.

Used by the GUI's Train action and by ``python main.py train``. No Qt. Every setting is read
from the project's typed sections (:mod:`designer.app.settings`).
"""

from __future__ import annotations

import datetime
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from designer.app.consistency import class_mismatch, remember_classes
from designer.app.data_settings import effective_preprocess
from designer.app.project import Project
from designer.app.settings import MAX_HISTORY_EPOCHS, RunResults
from designer.core.edits import SetWeights, apply_edits
from designer.core.progress import ProgressReporter
from designer.core.weights import WeightState, weights_from_model
from designer.data.base import DataConfig, Datastore
from designer.data.pipeline import TrainingData, make_training_data, open_matching_source
from designer.data.preprocess import PreprocessConfig
from designer.data.registry import open_datastore
from designer.data.splits import Split, SplitConfig, split_for
from designer.data.summary import DataError, one_line
from designer.training.detection_results import DetectionResult, detection_results
from designer.training.history import TrainingResult
from designer.training.options import OptionsError, TrainingOptions
from designer.training.results import (
    ConfusionResult,
    RegressionResult,
    classification_results,
    regression_results,
)

if TYPE_CHECKING:  # Keras is imported when a run is prepared, not with the window
    import keras


class ProjectRunError(ValueError):
    """The project cannot be trained as it is (no data, network errors, mismatched shapes)."""


@dataclass
class PreparedRun:
    """Everything a run needs; unpacks as ``model, data, options``."""

    model: keras.Model
    data: TrainingData
    options: TrainingOptions
    store: Datastore
    validation_store: Datastore | None
    validation_indices: np.ndarray
    preprocess: PreprocessConfig | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.model, self.data, self.options))


def data_source(project: Project) -> tuple[DataConfig, SplitConfig]:
    """(datastore config, split config) of ``project``; ProjectRunError without data."""
    data = project.settings.data
    if data.source is None:
        raise ProjectRunError(
            "The project has no training data: expected a data source in the project's data "
            "section (choose one in the Data menu), received an empty section"
        )
    return data.source, data.split


def training_options(
    project: Project, epochs: int | None = None, *, resolve_folders: bool = True
) -> TrainingOptions:
    """The project's TrainingOptions (``epochs`` overrides max_epochs), with the learn-rate
    factors set on the layers (those typed in the options dialog win) and, with
    ``resolve_folders``, the checkpoint/TensorBoard folders absolute: relative ones under the
    project's folder; ProjectRunError for one that leads out of it, a relative one in an
    unsaved project, or an absolute one the user has not confirmed (:mod:`run_dirs`)."""
    from designer.app.run_dirs import RunFolderError, project_folder, resolve_run_folders

    options = project.settings.training
    try:
        if epochs is not None:
            options = options.replace(max_epochs=epochs)
        canvas = canvas_lr_factors(project)
        if canvas:
            options = options.replace(lr_factors={**canvas, **options.lr_factors})
        if resolve_folders:
            options = resolve_run_folders(options, project_folder(project))
    except (OptionsError, RunFolderError) as exc:
        raise ProjectRunError(str(exc)) from exc
    return options


def canvas_lr_factors(project: Project) -> dict[str, tuple[float, float]]:
    """Learn-rate factors set on the layers (Properties), by layer name; 1.0 pairs left out."""
    return {
        node.name: (node.lr_factors[0], node.lr_factors[1])
        for node in project.graph.nodes
        if tuple(node.lr_factors) != (1.0, 1.0)
    }


def _preprocess(project: Project, model: keras.Model, store: Datastore) -> PreprocessConfig:
    if not store.is_image:
        return PreprocessConfig(rescale="none")
    config, reason = effective_preprocess(project, tuple(model.inputs[0].shape[1:]))
    if config is None:
        raise DataError(reason)
    return config


def _check_fit(model: keras.Model, data: TrainingData) -> None:
    """Clear errors for data that cannot feed the network (instead of an error inside fit)."""
    if len(model.inputs) == 1 and data.input_shape:
        want = tuple(model.inputs[0].shape[1:])
        got = tuple(data.input_shape)
        if len(want) != len(got) or any(
            w is not None and g is not None and w != g for w, g in zip(want, got, strict=False)
        ):
            raise ProjectRunError(
                f"The network's input expects samples shaped {want}, but the data gives {got}; "
                "change the Input layer or the preprocessing (image size, channels)"
            )
    if data.task == "classification" and len(model.outputs) == 1:
        units = model.outputs[0].shape[-1]
        mismatch = class_mismatch(model.output_names[0], units, data.class_names)
        if mismatch is not None:  # the Analysis dock says the same before Train
            raise ProjectRunError(mismatch)


def open_training_data(source: DataConfig, progress: ProgressReporter | None = None) -> Datastore:
    """Open the training data and hold it to ``data inspect``'s rule: DataError with the
    summary's first error (an empty class, one class only); skipped files are logged."""
    store = open_datastore(source, progress)
    summary = store.summary()
    refusal = summary.refusal
    if refusal is not None:
        raise DataError(refusal)
    log = logging.getLogger(__name__)
    for problem in summary.problems[:20]:
        where = f" [{one_line(problem.path)}]" if problem.path else ""
        log.warning("training data: %s%s", problem.message, where)
    if len(summary.problems) > 20:
        log.warning("training data: %d more problems", len(summary.problems) - 20)
    return store


def prepare_run(
    project: Project, epochs: int | None = None, progress: ProgressReporter | None = None
) -> PreparedRun:
    """Build the model, open and split the data and read the options of ``project``."""
    from designer.core.build import BuildError, build_model

    try:
        model = build_model(project.graph)
    except BuildError as exc:
        raise ProjectRunError(f"The network has errors; fix them before training:\n{exc}") from exc
    options = training_options(project, epochs)
    source, split = data_source(project)
    try:
        store = open_training_data(source, progress)
        remember_classes(source, store)
        augment = project.settings.augmentation
        preprocess = _preprocess(project, model, store)
        parts: SplitConfig | Split = split
        val_store = None
        if split.mode == "percent":
            parts = split_for(split, len(store), store.labels)
        elif split.validation_source:  # opened once: for training and for the evaluation
            val_store = open_matching_source(split.validation_source, store)
        data = make_training_data(
            store,
            parts,
            preprocess,
            augment,
            batch_size=options.mini_batch_size,
            shuffle=options.shuffle != "never",
            seed=options.seed if options.seed is not None else split.seed,
            validation_store=val_store,
        )
    except DataError as exc:
        raise ProjectRunError(f"The training data cannot be used: {exc}") from exc
    _check_fit(model, data)
    if data.task == "detection":  # the network's two outputs, trained as a detector
        from designer.app.detection_setup import DetectionSetupError, make_detector

        try:
            model = make_detector(project, model, data.class_names)
        except DetectionSetupError as exc:
            raise ProjectRunError(f"The network cannot detect this data: {exc}") from exc
    if isinstance(parts, Split):
        val_store, val_idx = store, parts.validation
    else:
        val_idx = np.arange(len(val_store)) if val_store is not None else np.zeros(0, np.int64)
    return PreparedRun(model, data, options, store, val_store, val_idx, preprocess)


Evaluation = ConfusionResult | RegressionResult | DetectionResult


def evaluate_run(run: PreparedRun) -> Evaluation | None:
    """Confusion matrix (classification), predicted-vs-true (regression) or detections with
    their errors (detection) on the validation data."""
    val = run.data.validation
    if val is None or run.data.num_validation == 0:
        return None
    if run.data.task == "detection":
        return detection_evaluation(run)
    if len(run.model.outputs) != 1:
        return None
    if run.data.task == "classification":
        return classification_results(run.model, val, run.data.class_names)
    if run.data.task == "regression":
        return regression_results(run.model, val)
    return None


SHOWN_IMAGES = 48  # validation images kept with their pixels for the results view


def detection_evaluation(run: PreparedRun, shown: int = SHOWN_IMAGES) -> DetectionResult:
    """mAP and the errors of each validation image; the ``shown`` worst keep their pixels."""
    from designer.data.detection_pipeline import load_sample, max_boxes
    from designer.training.coco_eval import predict_all

    truth, found = predict_all(run.model, run.data.validation)
    result = detection_results(truth, found, run.data.class_names)
    store = run.validation_store or run.store
    if run.preprocess is not None:
        count = max_boxes(store)
        for item in result.images[:shown]:
            if item.index < len(run.validation_indices):
                position = int(run.validation_indices[item.index])
                pixels = load_sample(store, position, run.preprocess, count)[0]
                item.image = np.clip(pixels, 0, 255).astype(np.uint8)
    return result


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# Columns of a history row that are no curve (time, learning rate, the phase's name).
_NOT_CURVES = ("elapsed", "learning_rate", "phase")


def epoch_history(
    epochs: list[dict[str, Any]], limit: int = MAX_HISTORY_EPOCHS
) -> dict[str, list[float | None]]:
    """The per-epoch curves of a run's epoch rows (:attr:`TrainingResult.epochs`) as kept in
    the project: ``epoch``, ``iteration`` and each metric, one value per epoch (None where a
    row lacks it or it is NaN or infinite); over ``limit`` epochs, ``limit`` rows evenly
    spread from the first to the last."""
    if len(epochs) > limit:
        picks = np.unique(np.round(np.linspace(0, len(epochs) - 1, limit)).astype(int))
        epochs = [epochs[int(i)] for i in picks]
    keys: list[str] = []
    for row in epochs:
        keys += [
            k for k, v in row.items() if k not in keys and k not in _NOT_CURVES and _is_number(v)
        ]
    return {k: [_number(row.get(k)) for row in epochs] for k in keys}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def _number(value: Any) -> float | None:
    if not _is_number(value):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    number = float(value)
    return number if math.isfinite(number) else None


def run_results(result: TrainingResult, evaluation: Evaluation | None) -> RunResults:
    """The results section stored in the project after a run (with its per-epoch curves)."""
    summary = {
        **result.summary(),
        "message": result.message,
        "device": result.device,
        "trained_at": datetime.datetime.now().isoformat(timespec="seconds"),
        "history": epoch_history(result.epochs),
    }
    if isinstance(evaluation, ConfusionResult):
        d = evaluation.to_dict()
        summary["confusion"] = {
            k: d[k] for k in ("class_names", "matrix", "precision", "recall", "accuracy")
        }
    elif isinstance(evaluation, RegressionResult):
        summary["regression"] = {"rmse": _finite(evaluation.rmse), "mae": _finite(evaluation.mae)}
    elif isinstance(evaluation, DetectionResult):
        summary["detection"] = evaluation.to_dict()
    return RunResults.from_dict(summary)


@dataclass(frozen=True)
class TrainingOutcome:
    """What a finished run changes in the project: the results section, and the trained
    weights by node path (none after a failed run)."""

    results: RunResults
    weights: dict[str, WeightState]

    @property
    def layers_stored(self) -> int:
        """How many layers receive weights."""
        return len(self.weights)


def training_outcome(
    project: Project,
    run: PreparedRun,
    result: TrainingResult,
    evaluation: Evaluation | None = None,
) -> TrainingOutcome:
    """The results and trained weights of a run, to store in ``project`` (nothing changes yet)."""
    network = getattr(run.model, "network", run.model)  # a GraphDetector's drawn network
    weights = {} if result.status == "failed" else weights_from_model(project.graph, network)
    return TrainingOutcome(run_results(result, evaluation), weights)


def apply_outcome(project: Project, outcome: TrainingOutcome) -> None:
    """Store a run's results and weights in ``project`` (the GUI does the same as an undo step)."""
    apply_edits(project.graph, [SetWeights(outcome.weights)])
    project.settings = project.settings.replace(results=outcome.results)


def store_results(
    project: Project,
    run: PreparedRun,
    result: TrainingResult,
    evaluation: Evaluation | None = None,
) -> int:
    """Put the trained weights into the graph and the results into the project's settings;
    returns how many layers received weights (none after a failed run)."""
    outcome = training_outcome(project, run, result, evaluation)
    apply_outcome(project, outcome)
    return outcome.layers_stored
