"""The ``detect`` command line: boxes found by a detector, drawn on copies of the images.

``detect MODEL_OR_PROJECT IMAGE_OR_FOLDER --out DIR [--score 0.5] [--resize-mode MODE]
[--rescale MODE] [--json] [--unsafe]``

Writes into DIR a copy of every image (same relative name) with the boxes drawn, a colour
per class, and ``DIR/detections.json``: per image its size and its detections (box in xyxy
pixels of the original image, class, class index, score), and the files skipped. A model
file's images are stretched to its input and scaled to 0..1 (how the tiny detector trains);
a project's get its own preprocessing; ``--resize-mode`` and ``--rescale`` override both.

Exit codes: 0 at least one image processed (damaged and non-image files are skipped and
listed), 2 unusable input (no such file, no detector, no readable image).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from designer.data.preprocess import RESCALE_MODES, RESIZE_MODES  # NumPy and Pillow only

EXIT_OK, EXIT_UNUSABLE = 0, 2
PROGRESS_FROM = 20  # images: a folder this big reports progress on stderr
RESCALES = tuple(m for m in RESCALE_MODES if m != "preprocess_input")  # a project's is kept


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``detect`` sub-command to an argparse subparsers object."""
    p = subparsers.add_parser(
        "detect",
        help="find objects in images with a detector; draw the boxes, write detections.json",
        description="Run a trained detector (a .keras file that train saved, or a project) "
        "on an image or a folder of images. Each image is copied into --out with its boxes "
        "drawn; DIR/detections.json lists the boxes in the pixels of the original images.",
    )
    p.add_argument("path", metavar="MODEL_OR_PROJECT", help="detector .keras file or project")
    p.add_argument("image", metavar="IMAGE_OR_FOLDER", help="an image file or a folder of them")
    p.add_argument(
        "--out", required=True, metavar="DIR", help="folder for the pictures and detections.json"
    )
    p.add_argument(
        "--score", type=float, default=0.5, help="keep boxes scoring at least this (default 0.5)"
    )
    p.add_argument(
        "--resize-mode",
        choices=RESIZE_MODES,
        default=None,
        help="how images are fitted to the network's input (default: the project's; "
        "stretch for a model file)",
    )
    p.add_argument(
        "--rescale",
        choices=RESCALES,
        default=None,
        help="how pixel values are scaled (default: the project's; unit, 0..1, for a model file)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    from designer.cli.main import add_unsafe_argument

    add_unsafe_argument(p)
    p.set_defaults(func=handle)
    return p


def _fail(message: str, as_json: bool, out: TextIO, err: TextIO) -> int:
    from designer.data.summary import one_line

    message = one_line(message)
    if as_json:
        out.write(json.dumps({"error": message}) + "\n")
    err.write(f"error: {message}\n")
    return EXIT_UNUSABLE


def handle(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``detect``; returns the exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    as_json = bool(args.json)
    if not 0.0 <= args.score <= 1.0:
        return _fail(
            f"--score expects a number in [0, 1], received {args.score}", as_json, out, err
        )
    from designer.app.detect_run import DetectError
    from designer.app.project import ProjectError
    from designer.cli.main import unsafe_hint

    try:
        return _run(args, out, err)
    except ProjectError as exc:
        return _fail(f"{exc}{unsafe_hint(exc)}", as_json, out, err)
    except DetectError as exc:
        return _fail(str(exc), as_json, out, err)
    except OSError as exc:  # the output cannot be written (permissions, a full disk)
        where = f" {exc.filename}" if exc.filename else ""
        return _fail(f"cannot write{where}: {exc.strerror or exc}", as_json, out, err)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from designer.app import detect_run as dr

    files, skipped = dr.image_files(args.image, args.out)  # input errors before the model
    detector = dr.open_detector(args.path, args.unsafe, args.resize_mode, args.rescale)
    detector = dr.with_threshold(detector, args.score)
    run = dr.DetectRun(str(args.path), args.score, detector, skipped=skipped)
    progress = _progress(err) if len(files) >= PROGRESS_FROM else None
    dr.detect_images(detector, files, args.out, run, progress)
    for item in run.skipped:
        err.write(f"warning: skipped {item['file']}: {item['reason']}\n")
    if not run.images:
        raise dr.DetectError(f"no readable image in {args.image} ({len(run.skipped)} skipped)")
    summary = dr.write_summary(run, args.out)
    if args.json:
        out.write(json.dumps(run.to_dict(), indent=1) + "\n")
    else:
        _print_summary(run, summary, out)
    return EXIT_OK


def _print_summary(run: Any, summary: Path, out: TextIO) -> None:
    for note in run.detector.notes:
        out.write(f"note: {note}\n")
    for item in run.images:
        found = item.detections
        shown = ", ".join(f"{d.class_name} {d.score:.2f}" for d in found[:5])
        more = f", ... ({len(found) - 5} more)" if len(found) > 5 else ""
        what = f": {shown}{more}" if found else ""
        out.write(f"{item.file}: {len(found)} detection{'s' * (len(found) != 1)}{what}\n")
    out.write(
        f"detected in {len(run.images)} image{'s' * (len(run.images) != 1)} "
        f"(score >= {run.score_threshold}), skipped "
        f"{len(run.skipped)}; wrote {summary}\n"
    )


def _progress(err: TextIO) -> Any:
    """A ProgressReporter writing to ``err``: a bar on a terminal, else a line now and then."""
    from designer.core.progress import ProgressReporter

    tty = err.isatty()

    def show(event: Any) -> None:
        frac = event.fraction or 0.0
        if tty:
            bar = "#" * int(30 * frac)
            end = "\n" if frac >= 1.0 else ""
            err.write(f"\r[{bar:.<30}] {frac:6.1%} {event.message}{end}")
        else:
            err.write(f"{event.message}\n")
        err.flush()

    return ProgressReporter(show, min_interval=0.1 if tty else 5.0)
