"""What the Export dialog asks for, and the work it runs off the GUI thread (no Qt here)."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from designer.app.project import Project
from designer.core.graph import LayerGraph
from designer.core.progress import ProgressEvent, ProgressReporter
from designer.export.formats import target_path
from designer.export.report import ExportError, ExportReport, VerificationError
from designer.export.staging import check_writable
from designer.training.options import TrainingOptions

if TYPE_CHECKING:  # Keras is imported when an export runs, not with the window
    import keras

    from designer.app.settings import ProjectSettings

# Project solver names (MATLAB style) -> keras.optimizers names for the generated script.
OPTIMIZERS = {
    "sgdm": "sgd",
    "adam": "adam",
    "adamw": "adamw",
    "rmsprop": "rmsprop",
    "nadam": "nadam",
}
KERAS_METRICS = ("accuracy", "mae")


@dataclass(frozen=True)
class ExportOutcome:
    """What the worker hands back: the report, and why it failed its check (or "")."""

    report: ExportReport
    failure: str = ""


@dataclass(frozen=True)
class ExportRequest:
    """One export as chosen in the dialog."""

    fmt: str
    out: str
    opset: int | None = None
    int8: bool = False
    verify: bool = True
    include_training: bool = False
    weights_file: bool = True

    def target(self) -> Path:
        """The path that will be written (with the format's suffix)."""
        return target_path(self.fmt, self.out)[0]

    def check_output(self) -> None:
        """Raise ExportError with a clear message unless the output can be written."""
        if not self.out.strip():
            raise ExportError("Expected an output path, but the field is empty.")
        check_writable(self.target())


def codegen_training(options: TrainingOptions, model: keras.Model) -> dict[str, Any]:
    """The project's training options as the ``training`` section of the Python export."""
    from designer.training.tasks import default_loss_for

    losses = options.losses or default_loss_for(model)
    loss: Any = next(iter(losses.values())) if len(losses) == 1 else dict(losses)
    return {
        "optimizer": OPTIMIZERS.get(options.solver, "adam"),
        "loss": loss,
        "metrics": [m for m in (options.metrics or ["accuracy"]) if m in KERAS_METRICS],
        "learning_rate": float(options.initial_learn_rate),
        "epochs": int(options.max_epochs),
        "batch_size": int(options.mini_batch_size),
    }


def detector_for_export(network: keras.Model, project: Project, fmt: str) -> tuple[Any, str]:
    """What to export for ``network``: for a detector network and a format that gets the
    decoding (savedmodel, onnx), the GraphDetector with the project's detection settings;
    otherwise the network, with a note when a detector network could not be wrapped."""
    from designer.app.detection_setup import detection_outputs, make_detector, project_class_names
    from designer.export.detection_export import FORMATS

    try:
        found = detection_outputs(network) if fmt in FORMATS else None
    except (AttributeError, ValueError):  # a model without known outputs: export says why
        found = None
    if found is None:
        return network, ""
    try:
        return make_detector(
            project, network, project_class_names(project, int(found[1].shape[-1]))
        ), ""
    except (ValueError, ImportError) as exc:  # a plain export must not fail on the settings
        return network, f"exported the raw detector outputs only, without decoding: {exc}"


def run_export(
    request: ExportRequest,
    graph: LayerGraph,
    training: TrainingOptions,
    reporter: ProgressReporter,
    settings: ProjectSettings | None = None,
) -> ExportOutcome:
    """Build the model from ``graph`` and export it as ``request`` says (in a worker thread);
    with the project's ``settings``, a detector network is exported with its decoding
    (:func:`detector_for_export`); without them, its raw outputs alone."""
    from designer.core.build import build_model
    from designer.export import export_model

    reporter(0, 0, "building the model", force=True)
    model = build_model(graph)

    def forward(event: ProgressEvent) -> None:
        reporter(event.done, event.total, event.message, force=True)

    section = codegen_training(training, model) if request.include_training else None
    if request.fmt == "python" and not request.weights_file:
        return ExportOutcome(write_script_only(model, request.target(), section))
    target, note = model, ""
    if settings is not None:
        target, note = detector_for_export(model, Project(graph, settings=settings), request.fmt)
    try:
        report = export_model(
            target,
            request.fmt,
            request.out,
            opset=request.opset if request.fmt == "onnx" else None,
            int8=request.int8 and request.fmt == "tflite",
            verify=request.verify,
            progress=forward,
            training=section,
        )
    except VerificationError as exc:  # ran but disagreed: show its numbers, in red
        exc.report.warnings.extend([note] if note else [])
        return ExportOutcome(exc.report, str(exc))
    report.warnings.extend([note] if note else [])
    return ExportOutcome(report)


def write_script_only(
    model: keras.Model, target: Path, training: dict[str, Any] | None
) -> ExportReport:
    """Write only the generated script (no weights file), atomically; it is not verified."""
    from designer.export import generate_code

    check_writable(target)
    start = time.perf_counter()
    code = generate_code(model, weights_file=None, training=training)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(code)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return ExportReport(
        format="python",
        path=str(target),
        size_bytes=target.stat().st_size,
        seconds=time.perf_counter() - start,
        warnings=[
            "no weights file: the script builds the network with fresh weights, so it "
            "was not compared with Keras"
        ],
    )
