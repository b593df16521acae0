"""The ``explain`` command line: heat maps of what an image model looks at.

``explain MODEL_OR_PROJECT IMAGE_OR_FOLDER --method gradcam|occlusion|saliency [--layer NAME]
[--class K] --out OUT.png|DIR [--npy HEATMAP.npy] [--json]``

A project's images get the project's preprocessing (its Input's size and channels with the
user's resize and scaling choices); a plain model file's are resized to its input and scaled
to [0, 1]. The ``.npy`` holds the raw heat map at the image file's size, in [0, 1].

Exit codes: 0 explained, 1 the project's network has errors, 2 unusable input (no such file,
not an image model, no convolutional layer for Grad-CAM, a bad class index, ...).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from designer.insight.explain import METHODS  # NumPy only: parsing imports no Keras

if TYPE_CHECKING:
    import keras

    from designer.data.preprocess import PreprocessConfig

EXIT_OK, EXIT_ERRORS, EXIT_UNUSABLE = 0, 1, 2


class ExplainInputError(ValueError):
    """Arguments that cannot be used (exit code 2)."""


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``explain`` sub-command to an argparse subparsers object."""
    p = subparsers.add_parser(
        "explain",
        help="heat map of what an image model looks at (Grad-CAM, occlusion, saliency)",
        description="Explain an image model's prediction for one image, or for every image of "
        "a folder (one PNG each): the heat map over the image, with a colour bar.",
    )
    p.add_argument("path", metavar="MODEL_OR_PROJECT", help="project file or Keras model")
    p.add_argument("image", metavar="IMAGE_OR_FOLDER", help="an image file or a folder of them")
    p.add_argument("--method", choices=METHODS, default="gradcam", help="default: gradcam")
    p.add_argument(
        "--layer", metavar="NAME", help="Grad-CAM's layer (default: the last convolution)"
    )
    p.add_argument(
        "--class",
        dest="class_index",
        type=int,
        metavar="K",
        help="explain class K (0-based; default: the predicted class)",
    )
    p.add_argument(
        "--out", required=True, metavar="OUT", help="the PNG to write, or a folder (for a folder)"
    )
    p.add_argument(
        "--npy",
        nargs="?",
        const="",
        metavar="HEATMAP.npy",
        help="also save the raw heat map (image size, 0..1); without a name: beside the PNG "
        "(for a folder: one per image)",
    )
    p.add_argument("--patch", type=int, default=8, help="occlusion patch size (default 8)")
    p.add_argument("--stride", type=int, default=4, help="occlusion stride (default 4)")
    p.add_argument(
        "--baseline",
        choices=("zero", "mean"),
        default="zero",
        help="what covers the image under the occlusion patch (default: zero)",
    )
    p.add_argument("--json", action="store_true", help="print JSON (a list for a folder)")
    from designer.cli.main import add_unsafe_argument

    add_unsafe_argument(p)
    p.set_defaults(func=handle)
    return p


@dataclass
class Target:
    """The network to explain, with the preprocessing its images get and its class names."""

    model: keras.Model
    config: PreprocessConfig
    class_names: tuple[str, ...] | None = None


def open_target(path: str | Path, allow_unsafe: bool = False) -> Target:
    """The model of a Keras model file or a project (built with its weights), its images'
    preprocessing and, for a project with classified data, the class names.

    Raises ProjectError (the file), BuildError (the network) or ExplainError (not an image
    classifier)."""
    from designer.app.files import is_model_path, load_model_file, open_path
    from designer.insight.explain import ExplainError, image_input_shape
    from designer.insight.explain_files import model_preprocess

    if is_model_path(path):
        model = load_model_file(path, allow_unsafe)
        return Target(model, model_preprocess(model))
    from designer.app.consistency import data_classes
    from designer.app.data_settings import effective_preprocess
    from designer.core.build import build_model

    project = open_path(path, allow_unsafe)
    model = build_model(project.graph)
    image_input_shape(model)
    config, reason = effective_preprocess(project, tuple(model.inputs[0].shape[1:]))
    if config is None:
        raise ExplainError(f"not an image model: {reason}")
    return Target(model, config, data_classes(project.settings.data.source))


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "layer": args.layer,
        "class_index": args.class_index,
        "patch": args.patch,
        "stride": args.stride,
        "baseline": args.baseline,
    }


def _single_outputs(args: argparse.Namespace, image: Path) -> tuple[Path, Path | None]:
    """(PNG, .npy or None) for one image; ExplainInputError for unusable names."""
    out = Path(args.out)
    if out.is_dir():
        out = out / f"{image.stem}.png"
    if out.suffix.lower() != ".png":
        raise ExplainInputError(f"--out must be a .png file (or a folder); received {args.out}")
    npy = None
    if args.npy is not None:
        npy = out.with_suffix(".npy") if args.npy == "" else Path(args.npy)
        if npy.suffix.lower() != ".npy":
            raise ExplainInputError(f"--npy must end in .npy; received {args.npy}")
    for path in (out, npy):
        if path is not None and not path.parent.is_dir():
            raise ExplainInputError(f"the folder of {path} does not exist")
    return out, npy


def run_explain(
    args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """Explain an image or a folder as ``args`` say; prints the result, returns the exit code."""
    from designer.core.build import BuildError
    from designer.core.errors import ProjectError
    from designer.data.summary import DataError, one_line
    from designer.insight.explain import ExplainError

    try:
        image = Path(args.image)
        if not image.exists():
            raise ExplainInputError(f"cannot explain {image}: no such file or folder")
        if image.is_dir():
            outputs = None
            if Path(args.out).suffix.lower() == ".png" or Path(args.out).is_file():
                raise ExplainInputError(
                    f"for a folder of images, --out is a folder; received {args.out}"
                )
            if args.npy:
                raise ExplainInputError(
                    "for a folder, --npy takes no file name: one .npy is written beside each PNG"
                )
        else:
            outputs = _single_outputs(args, image)
        target = open_target(args.path, getattr(args, "unsafe", False))
        if outputs is None:
            return _folder(target, args, out, err)
        return _one(target, args, image, outputs, out)
    except BuildError as exc:
        err.write(f"error: the network has errors; fix them first: {one_line(str(exc))}\n")
        return EXIT_ERRORS
    except ProjectError as exc:
        from designer.cli.main import unsafe_hint

        err.write(f"error: {one_line(str(exc))}{unsafe_hint(exc)}\n")
        return EXIT_UNUSABLE
    except (ExplainError, ExplainInputError, DataError) as exc:
        err.write(f"error: {one_line(str(exc))}\n")
        return EXIT_UNUSABLE
    except OSError as exc:  # the output cannot be written (permissions, a full disk)
        where = f" {exc.filename}" if exc.filename else ""
        err.write(f"error: cannot write{where}: {exc.strerror or exc}\n")
        return EXIT_UNUSABLE


def handle(args: argparse.Namespace) -> int:
    """The handler ``main.py explain`` calls."""
    return run_explain(args)


def _one(
    target: Target,
    args: argparse.Namespace,
    image: Path,
    outputs: tuple[Path, Path | None],
    out: TextIO,
) -> int:
    from designer.insight.explain_files import explain_file

    png, npy = outputs
    item = explain_file(
        target.model,
        image,
        args.method,
        out=png,
        npy=npy,
        config=target.config,
        class_names=target.class_names,
        progress=_progress_bar(),
        **_options(args),
    )
    if args.json:
        data = item.to_dict()
        data.pop("image")
        out.write(json.dumps(data, indent=1) + "\n")
    else:
        out.write(_line(item) + "\n")
    return EXIT_OK


def _folder(target: Target, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from designer.data.summary import one_line
    from designer.insight.explain_files import explain_folder

    result = explain_folder(
        target.model,
        args.image,
        args.method,
        args.out,
        npy=args.npy is not None,
        config=target.config,
        class_names=target.class_names,
        progress=_progress_bar(),
        **_options(args),
    )
    for problem in result.skipped:
        err.write(f"skipped: {one_line(problem.message)}\n")
    if args.json:
        out.write(json.dumps(result.to_list(), indent=1) + "\n")
    else:
        for item in result.items:
            out.write(_line(item) + "\n")
        out.write(f"explained {len(result.items)} images, skipped {len(result.skipped)}\n")
    if not result.items:
        err.write(f"error: no readable image in {args.image}\n")
        return EXIT_UNUSABLE
    return EXIT_OK


def _line(item: Any) -> str:
    found = item.explanation
    name = f" ({found.class_name})" if found.class_name else ""
    layer = f", layer {found.layer}" if found.layer else ""
    npy = f" and {item.npy}" if item.npy else ""
    return (
        f"{item.path}: {found.method}{layer}: class {found.class_index}{name}, "
        f"p = {found.probability:.4f} -> {item.png}{npy}"
    )


def _progress_bar(width: int = 30) -> Any:
    """A progress(done, total, message) drawing one line on a terminal's stderr; None when
    stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None
    from designer.core.progress import ProgressReporter

    def show(event: Any) -> None:
        frac = event.fraction or 0.0
        filled = int(width * frac)
        end = "\n" if frac >= 1.0 else ""
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {frac:6.1%} {end}")
        sys.stderr.flush()

    return ProgressReporter(show)
