"""Command-line helpers for ``python main.py export PATH --format F --out OUT``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, TextIO

from designer.export.formats import FORMATS, MAX_OPSET, MIN_OPSET

if TYPE_CHECKING:
    import keras

    from designer.app.project import Project
    from designer.core.progress import ProgressEvent
    from designer.export.report import Reference

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHECK_FAILED = 2


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --format, --out, --opset, --int8, --no-verify, --json and training options."""
    parser.add_argument("--format", "-f", required=True, choices=FORMATS, help="export format")
    parser.add_argument("--out", "-o", required=True, help="output file (a folder for savedmodel)")
    parser.add_argument(
        "--opset",
        type=int,
        default=None,
        help=f"ONNX opset ({MIN_OPSET}-{MAX_OPSET}, default 17)",
    )
    parser.add_argument("--int8", action="store_true", help="TFLite: dynamic-range int8 weights")
    parser.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="skip reloading the artefact and comparing it with Keras",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--training-json",
        default=None,
        help="python: JSON object with optimizer, learning_rate, loss, metrics, epochs, "
        "batch_size for a training section",
    )
    parser.add_argument(
        "--data-json",
        default=None,
        help='python: JSON object describing the data, e.g. {"kind": "arrays", "path": "d.npz"}',
    )


def _json_option(text: str | None, what: str) -> dict | None:
    """Parse a JSON object option, or raise ExportError saying what was wrong."""
    from designer.export.report import ExportError

    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExportError(f"Expected {what} to be a JSON object, but: {exc}") from exc
    if not isinstance(value, dict):
        raise ExportError(f"Expected {what} to be a JSON object, but got {type(value).__name__}.")
    return value


def _export_target(
    model: keras.Model, args: argparse.Namespace, project: Project | None
) -> tuple[keras.Model, str]:
    """``model``, or the GraphDetector around it when it is a detector network: with the
    detection settings of ``project``, else of the project file ``args.path`` (neither:
    the network)."""
    from designer.app.detection_setup import detection_outputs
    from designer.app.export_job import detector_for_export
    from designer.export.detection_export import FORMATS

    try:
        if args.format not in FORMATS or detection_outputs(model) is None:
            return model, ""
    except (AttributeError, ValueError):  # no known outputs: export_model says why
        return model, ""
    if project is None:
        if not getattr(args, "path", None):
            return model, ""  # no project, no detection settings: the raw outputs
        from designer.app.files import open_path

        try:
            project = open_path(args.path, allow_unsafe=getattr(args, "unsafe", False))
        except Exception as exc:  # the model was built from it: the detector settings failed
            return model, f"exported the raw detector outputs only, without decoding: {exc}"
    return detector_for_export(model, project, args.format)


def run_export(
    model: keras.Model,
    args: argparse.Namespace,
    stream: TextIO | None = None,
    project: Project | None = None,
    reference: Reference | None = None,
    notes: tuple[str, ...] = (),
) -> int:
    """Export ``model`` as the parsed ``args`` say, print the report; 0 only if it passed.
    A detector network is exported with the decoding (savedmodel, onnx) set up by the
    detection settings of ``project`` (read from ``args.path`` when not given; neither:
    the raw outputs alone). With ``reference`` (the original of a rebuilt ``model``) the
    artefact is checked against it; ``notes`` go into the report's warnings."""
    from designer.export.exporter import export_model
    from designer.export.report import ExportError, VerificationError

    out = stream or sys.stdout
    model, note = _export_target(model, args, project)
    extra = [n for n in (note, *notes) if n]
    as_json = getattr(args, "json", False)

    def progress(event: ProgressEvent) -> None:
        if not as_json and event.message:
            print(f"... {event.message}", file=sys.stderr)

    try:
        report = export_model(
            model,
            args.format,
            args.out,
            opset=getattr(args, "opset", None),
            int8=getattr(args, "int8", False),
            verify=getattr(args, "verify", True),
            progress=progress,
            training=_json_option(getattr(args, "training_json", None), "--training-json"),
            data=_json_option(getattr(args, "data_json", None), "--data-json"),
            reference=reference,
        )
    except VerificationError as exc:
        exc.report.warnings.extend(extra)
        _print(exc.report.to_dict() | {"error": str(exc)}, exc.report.summary(), as_json, out)
        if not as_json:
            print(f"error: {exc}", file=out)
        return EXIT_CHECK_FAILED
    except ExportError as exc:
        _print({"error": str(exc), "passed": False}, f"error: {exc}", as_json, out)
        return EXIT_ERROR
    report.warnings.extend(extra)
    _print(report.to_dict(), report.summary(), as_json, out)
    return EXIT_OK if report.passed else EXIT_CHECK_FAILED


def _print(data: dict, text: str, as_json: bool, out: TextIO) -> None:
    """Print JSON or text."""
    print(json.dumps(data, indent=2) if as_json else text, file=out)
