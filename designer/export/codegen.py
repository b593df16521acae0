"""A complete, runnable script: imports, build functions, optional data/training, main().

``data`` (a plain dict) describes where the training data is; one of:

- ``{"kind": "arrays", "path": "data.npz", "x": "x", "y": "y", "validation_split": 0.1}``:
  a NumPy ``.npz`` file; ``x`` may be a list of keys for a multi-input model.
- ``{"kind": "image_folder", "path": "images", "image_size": [224, 224],
  "color_mode": "rgb", "label_mode": "categorical", "validation_split": 0.2, "seed": 0}``:
  one sub-folder per class, read by ``keras.utils.image_dataset_from_directory``.

Relative paths are taken from the script's folder. ``training`` (a plain dict) holds
``optimizer`` (a keras.optimizers name), ``learning_rate``, ``loss``, ``metrics``, ``epochs``
and ``batch_size``; only ``loss`` is required.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import keras
import numpy as np

from designer.core.keras_compat import is_private_path
from designer.export import script_check
from designer.export.codegen_graph import CodegenError, FunctionWriter
from designer.export.naming import weights_name
from designer.export.pyrender import Source, render, statement

#: Source run by ``python -c`` to check a generated script in a fresh process.
CHECK_SOURCE = Path(script_check.__file__).read_text(encoding="utf-8")
#: Seconds the fresh process may take to import Keras, build the model and run it.
SCRIPT_TIMEOUT = 600.0

TRAINING_KEYS = {"optimizer", "learning_rate", "loss", "metrics", "epochs", "batch_size"}
DATA_KINDS = {
    "arrays": {"kind", "path", "x", "y", "validation_split"},
    "image_folder": {
        "kind",
        "path",
        "image_size",
        "color_mode",
        "label_mode",
        "validation_split",
        "seed",
        "batch_size",
    },
}


def _check_keys(what: str, given: dict[str, Any], allowed: set[str]) -> None:
    """Raise CodegenError for keys outside ``allowed``."""
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise CodegenError(f"Expected {what} keys among {sorted(allowed)}, but received {unknown}.")


def _optimizer_class(name: str) -> str:
    """``keras.optimizers.Adam`` for "adam", checked against Keras."""
    try:
        optimizer = keras.optimizers.get(name)
    except ValueError as exc:
        raise CodegenError(f"Expected a keras.optimizers name, but received {name!r}.") from exc
    return f"keras.optimizers.{type(optimizer).__name__}"


def training_section(training: dict[str, Any]) -> list[str]:
    """Source of ``train(model, data)``: compile with the options, then fit."""
    _check_keys("training", training, TRAINING_KEYS)
    if "loss" not in training:
        raise CodegenError(
            f"Expected a 'loss' in the training options, but got {sorted(training)}."
        )
    opt_kwargs = {}
    if training.get("learning_rate") is not None:
        opt_kwargs["learning_rate"] = float(training["learning_rate"])
    optimizer = statement(
        "", _optimizer_class(training.get("optimizer", "adam")), [], opt_kwargs, 0
    )
    compile_kwargs = {"optimizer": Source(optimizer), "loss": training["loss"]}
    if training.get("metrics"):
        compile_kwargs["metrics"] = list(training["metrics"])
    lines = [
        "def train(model: keras.Model, data: dict) -> keras.callbacks.History:",
        '    """Compile the model with the exported options and fit it on ``data``."""',
        statement("", "model.compile", [], compile_kwargs),
    ]
    fit = {"epochs": int(training.get("epochs", 10))}
    lines.append(f"    fit_options = {render(fit)}")
    lines.append('    if "batch_size" in data:')
    lines.append('        fit_options["batch_size"] = data["batch_size"]')
    lines.append('    return model.fit(*data["train"], **data["fit"], **fit_options)')
    return lines


def data_section(data: dict[str, Any], training: dict[str, Any] | None) -> list[str]:
    """Source of ``load_data()`` returning what ``train`` needs."""
    kind = data.get("kind")
    if kind not in DATA_KINDS:
        raise CodegenError(f"Expected a data kind among {sorted(DATA_KINDS)}, but got {kind!r}.")
    _check_keys(f"{kind} data", data, DATA_KINDS[kind])
    if "path" not in data:
        raise CodegenError(f"Expected a 'path' in the data options, but got {sorted(data)}.")
    batch = int((training or {}).get("batch_size", data.get("batch_size", 32)))
    lines = [
        "def load_data() -> dict:",
        '    """Load the training data described when the script was exported."""',
        f"    path = HERE / {render(str(data['path']))}",
    ]
    split = float(data.get("validation_split", 0.0))
    if kind == "arrays":
        x = data.get("x", "x")
        x_src = (
            f"[arrays[k] for k in {render(list(x))}]"
            if isinstance(x, list)
            else f"arrays[{render(x)}]"
        )
        lines += [
            "    arrays = np.load(path)",
            f"    x = {x_src}",
            f"    y = arrays[{render(data.get('y', 'y'))}]",
            "    return {",
            '        "train": (x, y),',
            f'        "fit": {{"validation_split": {render(split)}}},',
            f'        "batch_size": {batch},',
            "    }",
        ]
        return lines
    options = {
        "image_size": tuple(data.get("image_size", (224, 224))),
        "color_mode": data.get("color_mode", "rgb"),
        "label_mode": data.get("label_mode", "categorical"),
        "batch_size": batch,
        "seed": int(data.get("seed", 0)),
    }
    if split:
        options.update(validation_split=split, subset="both")
        lines.append(
            statement(
                "train_ds, val_ds = ", "keras.utils.image_dataset_from_directory", ["path"], options
            )
        )
        lines.append('    return {"train": (train_ds,), "fit": {"validation_data": val_ds}}')
    else:
        lines.append(
            statement("train_ds = ", "keras.utils.image_dataset_from_directory", ["path"], options)
        )
        lines.append('    return {"train": (train_ds,), "fit": {}}')
    return lines


def generate_code(
    model: keras.Model,
    *,
    weights_file: str | None = None,
    training: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> str:
    """Source of a standalone script that rebuilds ``model`` with the Keras functional API.

    ``weights_file`` (a name beside the script) is loaded when present; ``training`` and
    ``data`` add ``train()`` and ``load_data()`` sections (see the module docstring).
    """
    return generate(model, weights_file=weights_file, training=training, data=data)[0]


def generate(
    model: keras.Model,
    *,
    weights_file: str | None = None,
    training: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> tuple[str, list[str]]:
    """:func:`generate_code`'s source, and notes on how each custom object gets into it."""
    writer = FunctionWriter()
    writer.builder(model, "build_model")
    custom = writer.custom
    sections = [*custom.blocks, *(text.rstrip("\n") for text in writer.functions)]
    if data:
        sections.append("\n".join(data_section(data, training)))
    if training:
        sections.append("\n".join(training_section(training)))
    sections.append("\n".join(_main(bool(training), bool(data), model.name)))
    body = "\n\n\n".join(sections)
    does = ", load its weights" if weights_file else ""
    does += ", train it" if training and data else ""
    plain = {"import keras", *custom.other_imports}
    if "np." in body:
        plain.add("import numpy as np")
    froms = set(custom.imports) | ({"from keras import layers"} if "layers." in body else set())
    lines = [
        f'"""Keras model {model.name!r}, generated by Network Designer.',
        "",
        f"Run this file to rebuild the network{does} and print a summary.",
        *_custom_paragraph(custom.notes),
        '"""',
        "",
        "from pathlib import Path",
        "",
        *_import_lines(plain, froms),
        "",
        "HERE = Path(__file__).resolve().parent",
        f"WEIGHTS = HERE / {render(weights_file)}" if weights_file else "WEIGHTS = None",
    ]
    tail = '\n\n\nif __name__ == "__main__":\n    main()\n'
    return "\n".join(lines) + "\n\n\n" + body + tail, list(custom.notes)


def _custom_paragraph(notes: list[str]) -> list[str]:
    """Docstring lines saying how each custom object gets into the script."""
    if not notes:
        return []
    return ["", "Custom objects:", *(f"- {note}." for note in notes)]


def _import_lines(plain: set[str], froms: set[str]) -> list[str]:
    """The third-party import block, sorted the way ruff's isort wants: ``import m`` and
    ``import m as n`` lines, then one ``from m import A, B`` line per module (``from m import
    N as n`` on lines of their own).

    A module private to Keras (a class it does not export, such as ConvNeXt's LayerScale) is
    marked for ruff's banned-API rule, which the designer's own configuration enables.
    """
    straight = sorted((ln for ln in plain if ln.startswith("import ")), key=_module_key)
    aliased = [ln for ln in plain | froms if ln.startswith("from ") and " as " in ln]
    names: dict[str, set[str]] = {}
    for line in froms - set(aliased):
        _, module, _, name = line.split()
        names.setdefault(module, set()).add(name)
    merged = [f"from {m} import {', '.join(sorted(names[m]))}" for m in names]
    return straight + [
        line + ("  # noqa: TID251" if is_private_path(line.split()[1]) else "")
        for line in sorted(merged + aliased, key=_module_key)
    ]


def _module_key(line: str) -> tuple[str, str]:
    """Sort key of an import line: its module, then the whole line."""
    return line.split()[1].lower(), line


def _main(training: bool, data: bool, name: str) -> list[str]:
    """Source of ``main()``."""
    lines = [
        "def main() -> None:",
        '    """Build the model, load the saved weights if any, and show a summary."""',
        "    model = build_model()",
        "    if WEIGHTS is not None and WEIGHTS.exists():",
        "        model.load_weights(WEIGHTS)",
        "    model.summary()",
    ]
    if training and data:
        lines += [
            "    train(model, load_data())",
            f"    model.save(HERE / {render(name + '_trained.keras')})",
        ]
    return lines


def write_python(
    model: keras.Model,
    path: Path,
    *,
    training: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> list[str]:
    """Write the script at ``path`` and the weights beside it; return notes."""
    weights = weights_name(path)
    code, notes = generate(model, weights_file=weights, training=training, data=data)
    model.save_weights(path.with_name(weights))
    path.write_text(code, encoding="utf-8")
    return notes


def load_script(path: Path) -> Any:
    """Import a generated script as a module (its ``main()`` is not run)."""
    name = f"_generated_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CodegenError(f"Expected an importable Python file, but {str(path)!r} is not.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def run_python(
    path: Path, xs: list[np.ndarray], timeout: float = SCRIPT_TIMEOUT
) -> list[np.ndarray]:
    """Run the generated script at ``path`` in a fresh Python process (none of the designer's
    imported or registered classes): build the model, load its weights, run it on ``xs``."""
    with tempfile.TemporaryDirectory(prefix="nd-script-check-") as tmp:
        inputs, outputs = Path(tmp) / "inputs.npz", Path(tmp) / "outputs.npz"
        np.savez(inputs, **{f"x{i}": x for i, x in enumerate(xs)})
        command = [sys.executable, "-c", CHECK_SOURCE, str(path), str(inputs), str(outputs)]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3")}
        try:
            done = subprocess.run(
                command, cwd=path.parent, env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise CodegenError(
                f"Expected the generated script to build and run the model within {timeout:.0f} s "
                "in a fresh Python process, but it did not finish."
            ) from exc
        if done.returncode != 0 or not outputs.exists():
            raise CodegenError(
                "Expected the generated script to build and run the model in a fresh Python "
                f"process, but it failed: {_last_error(done.stderr)}"
            )
        with np.load(outputs) as data:
            return [data[f"y{i}"] for i in range(len(data.files))]


def _last_error(stderr: str) -> str:
    """The exception line of a traceback (the last line that is not a log message)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if re.match(r"^[\w.]+(Error|Exception|Exit)\b", ln)]
    return (errors or lines or ["no output"])[-1][:1000]
