"""The ``robustness`` command line: accuracy of a classifier under FGSM or PGD attacks.

``robustness MODEL_OR_PROJECT [--data PATH] [--epsilons 0,0.01,0.03,0.1] [--method fgsm|pgd]
[--samples N] [--json]``. A project without ``--data`` is attacked on its validation data; a
model file (.keras, .h5, SavedModel) needs ``--data`` (a folder, .npz, .npy, IDX, .csv or a
name such as sklearn:digits, detected as ``data inspect`` does). Exit codes: 0 done, 1 the
network cannot be built, 2 unusable input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any, TextIO

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_SAMPLES = 1000


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``robustness`` sub-command to an argparse subparsers object."""
    p = subparsers.add_parser(
        "robustness",
        help="accuracy of a classifier under FGSM or PGD adversarial attacks, per epsilon",
    )
    p.add_argument(
        "path",
        metavar="MODEL_OR_PROJECT",
        help="project file (.ndproj/.json) or Keras model (.keras/.h5, SavedModel folder)",
    )
    p.add_argument(
        "--data",
        metavar="PATH",
        default=None,
        help="data to attack: folder, .npz/.npy/IDX/.csv, keras:mnist, sklearn:digits... "
        "(default for a project: its validation data)",
    )
    p.add_argument(
        "--epsilons",
        default="0,0.01,0.03,0.1",
        help="comma-separated epsilons, as fractions of the input's value range (for images "
        "scaled to 0..1, 0.03 is about 8 of 255 grey levels); default 0,0.01,0.03,0.1",
    )
    p.add_argument("--method", choices=("fgsm", "pgd"), default="fgsm", help="the attack")
    p.add_argument(
        "--samples",
        type=int,
        default=DEFAULT_SAMPLES,
        help=f"attack at most N samples, drawn at random (default {DEFAULT_SAMPLES})",
    )
    p.add_argument("--steps", type=int, default=10, help="PGD iterations (default 10)")
    p.add_argument(
        "--step-size",
        type=float,
        default=None,
        help="PGD step, as a fraction of the value range (default 2.5 * epsilon / steps)",
    )
    p.add_argument("--no-random-start", action="store_true", help="PGD starts at the clean sample")
    p.add_argument("--batch-size", type=int, default=128, help="samples per batch (default 128)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample draw and PGD start")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    from designer.cli.main import add_unsafe_argument

    add_unsafe_argument(p)
    p.set_defaults(func=handle)
    return p


def fail_with(message: str, as_json: bool, out: TextIO, err: TextIO, code: int) -> int:
    if as_json:
        print(json.dumps({"error": message}), file=out)
    print(f"error: {message}", file=err)
    return code


def terminal_progress(err: TextIO) -> Any:
    """A ProgressEvent callback: a one-line percentage on a terminal, nothing otherwise."""
    if not getattr(err, "isatty", lambda: False)():
        return None

    def show(event: Any) -> None:
        frac = event.fraction
        if frac is not None:
            err.write(f"\r{event.message or 'Attacking'}: {frac:6.1%}")
            err.flush()

    return show


def inputs(args: argparse.Namespace, reporter: Any = None) -> tuple[Any, Any, Any, Any]:
    """(model, datastore, sample indices, preprocessing or None) for ``args.path`` and
    ``args.data``; ProjectError, ProjectRunError, DataError or RobustnessError say what is
    wrong with them."""
    import numpy as np

    from designer.app.data_settings import effective_preprocess
    from designer.app.files import is_model_path, load_model_file, open_path
    from designer.app.project_run import ProjectRunError, open_training_data, prepare_run
    from designer.core.build import build_model
    from designer.data.preprocess import derive_preprocess
    from designer.data.registry import detect
    from designer.data.summary import DataError

    unsafe = bool(getattr(args, "unsafe", False))
    project = None
    if is_model_path(args.path):
        if not args.data:
            raise ProjectRunError(
                f"{args.path} is a model file and holds no data: give the data to attack "
                f"with --data PATH"
            )
        model = load_model_file(args.path, allow_unsafe=unsafe)
    else:
        project = open_path(args.path, allow_unsafe=unsafe)
        model = None
    if args.data:
        store = open_training_data(detect(args.data), reporter)
        indices = np.arange(len(store))
        if model is None:
            model = build_model(project.graph)
    else:
        run = prepare_run(_without_folders(project), None, reporter)
        model, indices = run.model, run.validation_indices
        store = run.validation_store if run.validation_store is not None else run.store
        if len(indices) == 0:
            raise ProjectRunError(
                "The project has no validation data (its validation share is 0 %): give the "
                "data to attack with --data PATH"
            )
    if not store.is_image:
        return model, store, indices, None
    shape = tuple(model.inputs[0].shape[1:])
    if project is None:
        return model, store, indices, derive_preprocess(shape)
    config, reason = effective_preprocess(project, shape)
    if config is None:
        raise DataError(f"the images cannot feed the network: {reason}")
    return model, store, indices, config


def _without_folders(project: Any) -> Any:
    """The project without checkpoint/TensorBoard folders: attacking it writes nothing."""
    training = project.settings.training.replace(checkpoint_dir=None, tensorboard_dir=None)
    return dataclasses.replace(project, settings=project.settings.replace(training=training))


def handle(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``robustness``: a table, or JSON with method, epsilons, accuracy, clean_accuracy."""
    from designer.app.project import ProjectError
    from designer.app.project_run import ProjectRunError
    from designer.cli.main import unsafe_hint
    from designer.core.build import BuildError
    from designer.core.progress import Cancelled, ProgressReporter
    from designer.data.summary import DataError, one_line
    from designer.insight.robustness import (
        RobustnessError,
        accuracy_curve,
        parse_epsilons,
        sample_arrays,
        value_range,
    )

    out = out or sys.stdout
    err = err or sys.stderr
    as_json = bool(getattr(args, "json", False))
    try:
        epsilons = parse_epsilons(args.epsilons)
        for name in ("samples", "steps", "batch_size"):
            if getattr(args, name) < 1:
                raise RobustnessError(
                    f"--{name.replace('_', '-')} expects an integer >= 1, received "
                    f"{getattr(args, name)}"
                )
        if args.step_size is not None and not 0 < args.step_size <= 1:
            raise RobustnessError(
                f"--step-size expects a fraction of the value range in (0, 1], received "
                f"{args.step_size}"
            )
    except RobustnessError as exc:
        return fail_with(str(exc), as_json, out, err, EXIT_UNUSABLE)
    show = terminal_progress(err)
    reporter = ProgressReporter(show)
    try:
        model, store, indices, preprocess = inputs(args, reporter)
        x, y = sample_arrays(store, indices, preprocess, args.samples, args.seed)
        curve = accuracy_curve(
            model,
            x,
            y,
            epsilons,
            args.method,
            args.batch_size,
            reporter,
            value_range=value_range(preprocess, x),
            steps=args.steps,
            step_size=args.step_size,
            random_start=not args.no_random_start,
            seed=args.seed,
            examples=0,
        )
    except (ProjectError, ProjectRunError, DataError, RobustnessError) as exc:
        return fail_with(one_line(str(exc)) + unsafe_hint(exc), as_json, out, err, EXIT_UNUSABLE)
    except BuildError as exc:
        return fail_with(f"the network cannot be built: {exc}", as_json, out, err, EXIT_FAILED)
    except (Cancelled, KeyboardInterrupt):
        print("\ninterrupted", file=err)
        return EXIT_INTERRUPTED
    if show is not None:
        err.write("\n")
    if as_json:
        print(json.dumps(curve.to_dict(), indent=1), file=out)
    else:
        print(format_table(curve), file=out)
    return EXIT_OK


def format_table(curve: Any) -> str:
    """The curve as a table: epsilon, accuracy, drop from the clean accuracy."""
    low, high = curve.value_range.to_list()
    span = f"{low:g}..{high:g}" if isinstance(low, float) else "per channel"
    how = f" ({curve.steps} steps)" if curve.method == "pgd" else ""
    lines = [
        f"{curve.method.upper()}{how} on {curve.samples} samples, value range {span}",
        f"{'epsilon':>8}  {'accuracy':>8}  {'drop':>7}",
    ]
    for eps, acc in zip(curve.epsilons, curve.accuracy, strict=True):
        drop = curve.clean_accuracy - acc
        lines.append(f"{eps:>8g}  {acc:>8.1%}  {drop:>7.1%}")
    lines.append(f"Clean accuracy: {curve.clean_accuracy:.1%}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m designer.cli.robustness MODEL --data PATH``."""
    parser = argparse.ArgumentParser(prog="robustness")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(["robustness", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
