"""What the Export dialog asks for, and the work it runs off the GUI thread (no Qt here)."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from designer.app.project import Project, ProjectError
from designer.core.graph import LayerGraph
from designer.core.progress import ProgressEvent, ProgressReporter
from designer.export.formats import target_path
from designer.export.report import ExportError, ExportReport, Reference, VerificationError
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


def network_to_export(
    graph: LayerGraph, source: Path | None, allow_unsafe: bool = False
) -> tuple[keras.Model, str]:
    """The model an export writes, and a note: the designer's build of ``graph``; for a
    read-only network (parts the designer cannot rebuild, :mod:`designer.app.read_only`) the
    model in the file it was opened from, itself. BuildError or ExportError say why not."""
    from designer.core.build import build_model
    from designer.core.unrepresented import read_only_reason

    why = read_only_reason(graph)
    if why is None:
        return build_model(graph), ""
    if source is None:
        raise ExportError(f"the network cannot be exported: it was {why}")
    from designer.app.files import load_model_file

    try:
        original = load_model_file(source, allow_unsafe)
    except ProjectError as exc:
        raise ExportError(f"{source.name} cannot be exported: {exc}") from exc
    if not hasattr(original, "_nodes_by_depth"):  # a subclassed model: give it its inputs
        original = _with_inputs(original, graph)
    return original, f"exported {source.name} itself: the network is read-only"


def _with_inputs(model: keras.Model, graph: LayerGraph) -> keras.Model:
    """A functional model calling the subclassed ``model`` on the inputs ``graph`` shows
    for it (those it was built for), so that exporters see its inputs."""
    import keras

    inputs = []
    for nid in graph.input_nodes():
        node = graph.node(nid)
        shape = tuple(node.params["shape"])
        inputs.append(keras.Input(shape=shape, dtype=node.params.get("dtype"), name=node.name))
    if not inputs:
        raise ExportError(
            f"'{model.name}' cannot be exported: it is a subclassed model whose input shape "
            "the file does not say; build it on an input before saving it"
        )
    return keras.Model(inputs, model(*inputs), name=model.name)


def original_reference(
    source: Path | None, graph: LayerGraph | None = None, allow_unsafe: bool = False
) -> tuple[Reference | None, str]:
    """The model in the file a project was imported from (``source``), for its exports to be
    checked against, and a note; None (and why, in the note) when there is no such file, it
    no longer loads, or the network ``graph`` (when given) was edited since it was opened."""
    if source is None:
        return None, ""
    from designer.app.files import load_model_file

    try:
        original = load_model_file(source, allow_unsafe)
    except Exception as exc:  # whatever stops it loading, the export can still be checked
        return None, (
            f"compared with the designer's build: {source.name} could not be reloaded ({exc})"
        )
    if graph is not None and not same_network(graph, original):
        return None, (
            f"compared with the designer's build, not with {source.name}: the network was "
            "edited after it was opened"
        )
    return Reference(original, f"the original model file {source.name!r}"), ""


def same_network(graph: LayerGraph, model: keras.Model) -> bool:
    """True when ``graph`` is still what importing ``model`` gives: the same layers, links,
    parameters and weights (positions on the canvas aside)."""
    from designer.core.build import graph_from_model

    try:
        fresh = graph_from_model(model)
    except Exception:  # a model that no longer imports is not the network being exported
        return False
    if _layout_free(fresh.to_dict()) != _layout_free(graph.to_dict()):
        return False
    return all(_same_weights(a, b) for a, b in zip(_nodes(fresh), _nodes(graph), strict=True))


def _layout_free(data: Any) -> Any:
    """Graph data without the canvas positions of its nodes (groups included)."""
    if isinstance(data, dict):
        return {k: _layout_free(v) for k, v in data.items() if k != "pos"}
    if isinstance(data, list):
        return [_layout_free(v) for v in data]
    return data


def _nodes(graph: LayerGraph) -> list[Any]:
    """The nodes of ``graph`` and of its groups, depth first."""
    found = []
    for node in graph.nodes:
        found.append(node)
        if node.subgraph is not None:
            found += _nodes(node.subgraph)
    return found


def _same_weights(a: Any, b: Any) -> bool:
    """True when two nodes hold equal weight arrays (or none)."""
    import numpy as np

    from designer.core.weights import weight_arrays

    left, right = weight_arrays(a.weights), weight_arrays(b.weights)
    if left is None or right is None:
        return left is right
    return len(left) == len(right) and all(
        x.shape == y.shape and np.array_equal(x, y) for x, y in zip(left, right, strict=True)
    )


def run_export(
    request: ExportRequest,
    graph: LayerGraph,
    training: TrainingOptions,
    reporter: ProgressReporter,
    settings: ProjectSettings | None = None,
    source: Path | None = None,
) -> ExportOutcome:
    """Build the model from ``graph`` and export it as ``request`` says (in a worker thread);
    with the project's ``settings``, a detector network is exported with its decoding
    (:func:`detector_for_export`); without them, its raw outputs alone. With the model file
    the project was imported from (``source``), the export is checked against that original
    while the network is unchanged (:func:`original_reference`)."""
    from designer.export import export_model

    reporter(0, 0, "building the model", force=True)
    model, read_only_note = network_to_export(graph, source)

    def forward(event: ProgressEvent) -> None:
        reporter(event.done, event.total, event.message, force=True)

    section = codegen_training(training, model) if request.include_training else None
    if request.fmt == "python" and not request.weights_file:
        return ExportOutcome(write_script_only(model, request.target(), section))
    target, note = model, ""
    if settings is not None:
        target, note = detector_for_export(model, Project(graph, settings=settings), request.fmt)
    checked = request.verify and not read_only_note  # a read-only export is the original
    reference, reference_note = original_reference(source, graph) if checked else (None, "")
    notes = [n for n in (note, reference_note, read_only_note) if n]
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
            reference=reference,
        )
    except VerificationError as exc:  # ran but disagreed: show its numbers, in red
        exc.report.warnings.extend(notes)
        return ExportOutcome(exc.report, str(exc))
    report.warnings.extend(notes)
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
