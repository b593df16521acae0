"""Command-line interface over the same functions the GUI calls (DESIGN.md section 7)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_ERRORS, EXIT_UNUSABLE = 0, 1, 2


UNSAFE_HELP = (
    "allow layers that run code or an outside graph (Lambda, TFSMLayer); only for files you "
    "trust (custom classes need their code: --custom-objects)"
)
CUSTOM_OBJECTS_HELP = (
    "run this Python file first, to register the custom Keras classes (layers, regularisers, "
    "...) that the model or project uses; repeatable. It runs as Python code with your "
    "permissions: passing it is your consent"
)
TRUST_CODE_HELP = (
    "run the custom layer code files that the project lists (Python code that runs with "
    "your permissions); without it, such a project is refused unless --custom-objects "
    "supplies its classes"
)


def add_unsafe_argument(parser: argparse.ArgumentParser) -> None:
    """The consent options of a command that reads a model or project: ``--unsafe`` (code in
    the file, as Keras' safe_mode), ``--custom-objects FILE.py`` (repeatable: custom classes'
    code, run before the command) and ``--trust-custom-code`` (the code a project lists)."""
    parser.add_argument("--unsafe", action="store_true", help=UNSAFE_HELP)
    parser.add_argument(
        "--custom-objects",
        action="append",
        metavar="FILE.py",
        dest="custom_objects",
        help=CUSTOM_OBJECTS_HELP,
    )
    parser.add_argument("--trust-custom-code", action="store_true", help=TRUST_CODE_HELP)


add_consent_arguments = add_unsafe_argument  # the same options, by what they are


def load_command_code(args: argparse.Namespace) -> bool | None:
    """Run the ``--custom-objects`` files (CustomCodeError says what failed; what each
    registered goes to stderr); returns the consent for a project's listed code: True with
    --trust-custom-code, False (open without it if possible) after --custom-objects, else None."""
    from designer.app.custom_code import load_custom_code

    files = getattr(args, "custom_objects", None) or []
    for file in files:
        code = load_custom_code(file)
        names = ", ".join(code.names) or "nothing"
        print(f"custom code {code.path.name}: registered {names}", file=sys.stderr)
    if getattr(args, "trust_custom_code", False):
        return True
    return False if files else None


def _open(args: argparse.Namespace, read_only_ok: bool = False) -> Any:
    from designer.app.files import open_path

    unsafe = getattr(args, "unsafe", False)
    return open_path(args.path, allow_unsafe=unsafe, read_only_ok=read_only_ok)


def cmd_build(args: argparse.Namespace) -> int:
    """`build PROJECT --out model.keras`: build the Keras model and save it."""
    from designer.core.build import BuildError, build_model

    project = _open(args)
    out = Path(args.out)
    if out.suffix != ".keras":
        raise _Unusable(f"--out must end in .keras; received {out.name}")
    try:
        model = build_model(project.graph)
    except BuildError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_ERRORS
    model.save(out)
    print(f"Saved {out} ({model.count_params():,} parameters)")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """`export PATH --format F --out OUT`: build, export, reload and compare with Keras: with
    the model in PATH itself when PATH is a model file (the build is the designer's rebuild)."""
    from designer.app.export_job import network_to_export, original_reference
    from designer.cli.export import run_export
    from designer.core.build import BuildError
    from designer.export.report import ExportError

    project = _open(args, read_only_ok=True)
    unsafe = getattr(args, "unsafe", False)
    try:
        model, read_only_note = network_to_export(project.graph, project.source_model, unsafe)
    except (BuildError, ExportError) as exc:
        print(f"not exported: {exc}", file=sys.stderr)
        return EXIT_ERRORS
    if read_only_note:  # the original model itself: it is its own reference
        return run_export(model, args, project=project, notes=(read_only_note,))
    source = project.source_model if getattr(args, "verify", True) else None
    reference, note = original_reference(source, allow_unsafe=unsafe)
    return run_export(model, args, project=project, reference=reference, notes=(note,))


class _Unusable(Exception):
    """Input that cannot be used at all (exit code 2)."""


def _registrars() -> list[Callable[[Any], Any]]:
    """``register(subparsers)`` of every sub-command module besides analyze, build and export."""
    from designer.cli import (
        compress,
        data,
        detect,
        experiment,
        explain,
        robustness,
        train,
        transfer,
        zoo,
    )

    return [
        zoo.register,
        data.register,
        train.register,
        transfer.register,
        explain.register,
        robustness.register,
        compress.register,
        experiment.register,
        detect.register,
    ]


def make_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="python main.py",
        description="Network Designer: build, analyse, train and export Keras networks. "
        "Without a command, the GUI opens.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from designer.cli.analyze import register as register_analyze

    register_analyze(sub)
    p = sub.add_parser("build", help="build a project's network and save it as .keras")
    p.add_argument("path", help="project file")
    p.add_argument("--out", required=True, help="output .keras file")
    add_unsafe_argument(p)
    p.set_defaults(func=cmd_build)
    p = sub.add_parser(
        "export",
        help="export a project or model: keras, savedmodel, onnx, "
        "tflite or python; each artefact is reloaded and checked",
    )
    p.add_argument("path", help="project file or Keras model")
    from designer.cli.export import add_export_arguments

    add_export_arguments(p)
    add_unsafe_argument(p)
    p.set_defaults(func=cmd_export)
    for register in _registrars():
        register(sub)
    return parser


COMMANDS = (
    "analyze",
    "build",
    "train",
    "export",
    "zoo",
    "data",
    "transfer",
    "explain",
    "robustness",
    "compress",
    "experiment",
    "experiment-worker",
    "detect",
)


def main(argv: list[str] | None = None) -> int:
    """Run a sub-command; returns the exit code (0 ok, 1 network errors, 2 unusable input)."""
    from designer.core.errors import ProjectError

    parser = make_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "func", None) or getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_UNUSABLE
    from designer.app.custom_code import consent_to_code

    try:
        with consent_to_code(load_command_code(args)):
            return int(handler(args))
    except (ProjectError, _Unusable) as exc:
        print(f"error: {exc}{unsafe_hint(exc)}", file=sys.stderr)
        return EXIT_UNUSABLE


def unsafe_hint(exc: Exception) -> str:
    """How to allow code in a file, after the refusal of one."""
    from designer.core.layers import UnsafeModelError

    if isinstance(exc, UnsafeModelError) and "--unsafe" not in str(exc):
        return " (to allow it, pass --unsafe)"
    return ""
