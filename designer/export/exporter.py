"""``export_model``: write a model in one format, check it with its own runtime, then publish."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from designer.core.progress import CancelToken, ProgressCallback, ProgressReporter
from designer.export import detection_export, onnx_export, tf_formats, tflite_export
from designer.export.constructs import check_convertible
from designer.export.formats import FORMATS, RUNTIMES, target_path
from designer.export.lowering import lower_for_conversion
from designer.export.memory import check_memory
from designer.export.report import (
    ExportError,
    ExportReport,
    Reference,
    Verification,
    VerificationError,
    rebuild_text,
)
from designer.export.signature import (
    check_model,
    input_names,
    keras_outputs,
    output_names,
    random_batch,
)
from designer.export.staging import move_into_place, path_size, staging_dir
from designer.export.verify import compare

VERIFY_BATCH = 2


def export_model(
    model: keras.Model,
    fmt: str,
    out: str | Path,
    *,
    opset: int | None = None,
    int8: bool = False,
    verify: bool = True,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    training: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    reference: Reference | None = None,
) -> ExportReport:
    """Export ``model`` as ``fmt`` to ``out``, verify it, and return an ExportReport.

    Nothing appears at ``out`` unless the artefact was written and (with ``verify``) agreed
    with Keras; otherwise ExportError (VerificationError when it ran but disagreed) is raised.
    ``opset`` applies to onnx, ``int8`` to tflite, ``training``/``data`` to python.
    ``cancel`` is checked between steps (designer.core.progress.Cancelled, nothing written).
    A detector (a GraphDetector) exports its network; savedmodel adds a ``detect`` signature
    and onnx the files for the numpy decoding step, both checked against its predict
    (designer.export.detection_export). With ``reference`` (the model the user opened, when
    ``model`` is the designer's rebuild of it) the artefact must agree with that original.
    """
    fmt = str(fmt).lower()
    detector = model if detection_export.is_detector(model) else None
    if detector is not None:
        model = detector.network
        detector = detector if fmt in detection_export.FORMATS else None
    if fmt not in FORMATS:
        raise ExportError(f"Expected a format among {list(FORMATS)}, but received {fmt!r}.")
    check_model(model)
    if opset is not None and fmt != "onnx":
        raise ExportError(f"Expected opset only with the onnx format, but the format is {fmt!r}.")
    if int8 and fmt != "tflite":
        raise ExportError(f"Expected int8 only with the tflite format, but the format is {fmt!r}.")
    if (training or data) and fmt != "python":
        raise ExportError(
            f"Expected training/data sections only with the python format, but it is {fmt!r}."
        )
    if fmt == "onnx":
        onnx_export.check_opset(opset)
    converted, lowered = model, []  # what the converter gets: lookups as comparisons
    if fmt in ("onnx", "tflite"):
        converted, lowered = lower_for_conversion(model, fmt)
        check_convertible(converted, fmt)
    check_memory(model, fmt)
    target, warnings = target_path(fmt, out)
    report = ProgressReporter(progress, cancel)
    steps = 3 if verify else 2

    with staging_dir(target) as tmp:
        staged = tmp / target.name
        report(0, steps, f"writing {fmt}", force=True)
        start = time.perf_counter()
        notes = lowered + _write(
            converted,
            fmt,
            staged,
            opset=opset,
            int8=int8,
            training=training,
            data=data,
            detector=detector,
        )
        seconds = time.perf_counter() - start
        extras = [p for p in tmp.iterdir() if p != staged]
        result = ExportReport(
            format=fmt,
            path=str(target),
            size_bytes=path_size(staged),
            seconds=seconds,
            warnings=warnings + notes,
            extra_files=[str(target.parent / p.name) for p in extras],
        )
        if verify:
            report(1, steps, f"checking the {fmt} export with {RUNTIMES[fmt]}", force=True)
            start = time.perf_counter()
            result.verification = verify_artefact(model, fmt, staged, int8, reference)
            result.verify_seconds = time.perf_counter() - start
            if not result.verification.passed:
                raise VerificationError(failure_message(fmt, result.verification), result)
            if detector is not None:
                _check_detections(detector, fmt, staged, result)
        report(steps - 1, steps, "moving into place", force=True)
        for extra in extras:
            move_into_place(extra, target.parent / extra.name)
        move_into_place(staged, target)
        report(steps, steps, "done", force=True)
    return result


def _write(model: keras.Model, fmt: str, path: Path, **options: Any) -> list[str]:
    """Write the artefact for ``fmt`` at ``path``; return notes for the report."""
    try:
        if options.get("detector") is not None:
            return detection_export.write(options["detector"], fmt, path, options["opset"])
        if fmt == "keras":
            return tf_formats.write_keras(model, path)
        if fmt == "savedmodel":
            return tf_formats.write_savedmodel(model, path)
        if fmt == "onnx":
            return onnx_export.write_onnx(model, path, options["opset"])
        if fmt == "tflite":
            return tflite_export.write_tflite(model, path, options["int8"])
        from designer.export.codegen import write_python

        return write_python(model, path, training=options["training"], data=options["data"])
    except ExportError:
        raise
    except OSError as exc:
        raise ExportError(f"Expected to write {str(path.name)!r}, but: {exc}") from exc
    except Exception as exc:  # converters raise many unrelated types; report them uniformly
        raise ExportError(
            f"Expected model {model.name!r} to export as {fmt}, but {type(exc).__name__}: "
            f"{str(exc)[:1000]}"
        ) from exc


def _check_detections(detector: keras.Model, fmt: str, path: Path, result: ExportReport) -> None:
    """Compare the artefact's decoded detections with the detector's predict; note the
    outcome in ``result``, and raise VerificationError when they disagree."""
    try:
        outcome = detection_export.check(detector, fmt, path, VERIFY_BATCH)
    except ExportError:
        raise
    except Exception as exc:  # runtimes raise their own types
        raise ExportError(
            f"Expected the {fmt} export's detections to run, but {type(exc).__name__}: "
            f"{str(exc)[:1000]}"
        ) from exc
    result.warnings.append(outcome.note())
    if not outcome.passed:
        raise VerificationError(
            f"Expected the {fmt} export's detections to match the detector's predict, but "
            f"{outcome.problem or 'boxes or scores differ beyond the tolerance'}; "
            "nothing was written.",
            result,
        )


def run_artefact(
    model: keras.Model, fmt: str, path: Path, xs: list[np.ndarray]
) -> list[np.ndarray]:
    """Load the artefact at ``path`` with its own runtime and run it on ``xs``."""
    if fmt == "keras":
        return tf_formats.run_keras(path, xs)
    if fmt == "savedmodel":
        return tf_formats.run_savedmodel(path, xs, input_names(model), output_names(model))
    if fmt == "onnx":
        return onnx_export.run_onnx(path, xs, input_names(model))
    if fmt == "tflite":
        return tflite_export.run_tflite(path, xs, input_names(model), output_names(model))
    from designer.export.codegen import run_python

    return run_python(path, xs)


def verify_artefact(
    model: keras.Model,
    fmt: str,
    path: Path,
    int8: bool = False,
    reference: Reference | None = None,
) -> Verification:
    """Run the artefact and Keras on the same random batch and compare (a Verification):
    Keras is ``reference``'s original model when given (and how far ``model``, its rebuild,
    is from that original is measured too), else ``model`` itself."""
    xs = random_batch(model, VERIFY_BATCH)
    if reference is None:
        expected = keras_outputs(model, xs)
        rebuild, problem = None, ""
    else:
        expected = original_outputs(reference.model, model, xs)
        rebuild, problem = _rebuild_diff(expected, model, xs)
    try:
        actual = run_artefact(model, fmt, path, xs)
    except ExportError:
        raise
    except Exception as exc:  # runtimes raise their own types
        raise ExportError(
            f"Expected the {fmt} export to load and run with {RUNTIMES[fmt]}, "
            f"but {type(exc).__name__}: {str(exc)[:1000]}"
        ) from exc
    notes = ["dynamic-range int8 weights: looser tolerance" if int8 else "", problem]
    note = "; ".join(n for n in notes if n)
    try:
        result = compare(expected, actual, RUNTIMES[fmt], int8=int8, note=note)
    except ExportError as exc:
        if reference is None:
            raise
        also = f"; {problem}" if problem else ""
        raise ExportError(f"{exc} (compared with {reference.label}{also})") from exc
    if reference is None:
        return result
    return dataclasses.replace(result, reference=reference.label, rebuild_diff=rebuild)


def original_outputs(
    original: keras.Model, model: keras.Model, xs: list[np.ndarray]
) -> list[np.ndarray]:
    """``original``'s outputs on the batch made for ``model`` (its rebuild), in ``model``'s
    order: inputs and outputs are matched by name when both models name them alike."""
    names, theirs = input_names(model), input_names(original)
    if sorted(names) == sorted(theirs):
        xs = [xs[names.index(n)] for n in theirs]
    outs = keras_outputs(original, xs)
    names, theirs = output_names(model), output_names(original)
    if sorted(names) == sorted(theirs) and len(outs) == len(theirs):
        outs = [outs[theirs.index(n)] for n in names]
    return outs


def _rebuild_diff(
    expected: list[np.ndarray], model: keras.Model, xs: list[np.ndarray]
) -> tuple[float | None, str]:
    """How far the rebuild ``model`` is from the original's ``expected`` outputs; a phrase
    instead when they cannot even be compared (another count or shape of outputs)."""
    try:
        return compare(expected, keras_outputs(model, xs), "rebuilt Keras").max_abs_diff, ""
    except ExportError as exc:
        return None, f"the designer's rebuild does not match it either: {exc}"


def failure_message(fmt: str, v: Verification) -> str:
    """Why a verified export was not put in place, naming what it was compared with."""
    text = (
        f"Expected the {fmt} export to match {v.reference or 'Keras'} within "
        f"{v.tolerance:.3g}, but the largest difference is {v.max_abs_diff:.3g}"
    )
    if v.rebuild_diff is not None and v.rebuild_diff > v.tolerance:
        text += (
            f"{rebuild_text(v)}: the network was not rebuilt faithfully from the file, so the "
            "export follows the rebuild, not the original"
        )
    return text + "; nothing was written."
