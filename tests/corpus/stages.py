"""The stages every corpus model goes through, shared by benchmarks/corpus.py and the fast test.

Each stage uses the product's real entry points and returns a :class:`StageResult` (PASS, FAIL
or SKIP with a message); no stage raises. The stages, in order:

``keras``
    the model is saved (``model.save``: ``.keras``, or legacy ``.h5`` for the tf.keras entries)
    and reloaded with ``keras.saving.load_model``: same parameter count, same outputs.
``rebuild``
    ``designer.app.files.open_path(file)`` (the importer, as File > Open and every CLI command
    use it) then ``designer.core.build.build_model(project.graph)``: the same trainable and
    non-trainable parameter counts, the same output structure (tensor / list / dict and its
    keys), number and shapes of outputs, and outputs within 1e-5 of the ORIGINAL model's
    (relative to each output's largest absolute value) on the same random inputs, with the
    weights carried over by the import. A mismatch names the first layer whose output differs.
``analyze``
    ``main.py analyze FILE --json`` in-process (``designer.cli.main.main``): exit 0, and
    ``total_params`` / ``trainable_params`` equal to Keras' ``count_params()`` and trainable count.
``onnx``, ``tflite``
    ``main.py export FILE --format F --out OUT --json`` in-process: exit 0 (the export's own
    verification passed), and then the artefact, run with onnxruntime / the TFLite interpreter
    (the product's own runners), agrees with the ORIGINAL model within the product's tolerance
    (1e-4 x max(1, output scale)) on the corpus inputs.
``python``
    ``main.py export FILE --format python --out OUT.py --json`` in-process: exit 0. The exporter
    writes ``OUT.py`` (``build_model()``, ``WEIGHTS``, ``main()``) and ``OUT.weights.h5`` beside it.
``python-run``
    the generated script in a FRESH interpreter (``.venv/bin/python``, cwd the export folder,
    ``PYTHONPATH`` the repository root, no corpus module imported): a small driver imports the
    script, calls ``build_model()``, loads ``WEIGHTS`` when the file exists, runs the corpus inputs
    and saves the outputs, which must match the ORIGINAL model within 1e-5 (relative).
``screenshot``
    ``main.py FILE --screenshot OUT.png`` in a subprocess with ``QT_QPA_PLATFORM=offscreen``
    (plus ``--custom-objects MODULE.py`` for models with custom classes, when
    ``main.py analyze --help`` lists that option): exit 0, and a PNG of at least 10 KB with more than 16 colours.

Outputs that differ between two calls of the original model (a ``Sampling`` layer drawing from a
SeedGenerator) are compared by shape only, and the message says so.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from tests.corpus import STAGES, Entry

REBUILD_RTOL = 1e-5  # relative to each output's largest absolute value
FREE_DIM = 8  # size for dimensions the model leaves open (the product uses 8 too)
BATCH = 2
SUBPROCESS_TIMEOUT = 300


def repo_root() -> Path:
    """The folder holding main.py and the designer package that is imported."""
    import designer

    return Path(designer.__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- results
@dataclass
class StageResult:
    stage: str
    status: str  # PASS, FAIL, SKIP
    message: str
    seconds: float = 0.0
    detail: str = ""  # more of the error (the whole message, the end of a traceback)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class StageFailure(Exception):
    """The stage ran and the product's answer is wrong; the message says how."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class StageSkipped(Exception):
    """The stage cannot run because an earlier one failed."""


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def first_line(text: str) -> str:
    """The first non-empty line; with the next one when it only introduces it (Keras'
    "Exception encountered when calling X.call().", "the network has errors:")."""
    lines = [line.strip() for line in ANSI.sub("", str(text)).splitlines() if line.strip()]
    if not lines:
        return ""
    if len(lines) > 1 and (lines[0].startswith("Exception encountered") or lines[0][-1] == ":"):
        return f"{lines[0]} {lines[1].lstrip('- ')}"  # the line that says what went wrong
    return lines[0]


def describe(exc: BaseException) -> str:
    """``TypeName: first line`` of an exception."""
    line = first_line(str(exc))
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__


# ----------------------------------------------------------------------------- inputs
def input_layer_names(model: keras.Model) -> list[str]:
    return [t._keras_history[0].name for t in model.inputs]


def _vocabulary_limit(model: keras.Model) -> int:
    """The smallest vocabulary among the model's Embedding and CategoryEncoding layers."""
    limits = []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.Embedding):
            limits.append(int(layer.input_dim))
        elif isinstance(layer, keras.layers.CategoryEncoding):
            limits.append(int(layer.num_tokens))
    return min(limits) if limits else 2


def _feeds_embedding(model: keras.Model, tensor: Any) -> bool:
    """Whether a float input goes straight into a layer that is or holds an Embedding."""
    graph = getattr(model, "_functional", None) or model  # a Sequential's inner functional
    for operation in getattr(graph, "operations", None) or model.layers:
        for node in getattr(operation, "_inbound_nodes", []):
            if isinstance(operation, keras.layers.Layer) and any(
                t is tensor for t in node.input_tensors
            ):
                inner = operation._flatten_layers(include_self=True, recursive=True)
                if any(isinstance(layer, keras.layers.Embedding) for layer in inner):
                    return True
    return False


def _strings(model: keras.Model, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    words: list[str] = []
    sentences = False
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.StringLookup | keras.layers.TextVectorization):
            vocab = [str(w) for w in layer.get_vocabulary() if str(w) not in ("", "[UNK]")]
            words += vocab
            sentences = sentences or isinstance(layer, keras.layers.TextVectorization)
    words = words or ["alpha", "beta", "gamma"]
    words = words + ["unseen"]  # an out-of-vocabulary value
    flat = [
        " ".join(rng.choice(words, size=5)) if sentences else str(rng.choice(words))
        for _ in range(int(np.prod(shape)))
    ]
    return np.array(flat, dtype=str).reshape(shape)


def make_inputs(model: keras.Model, seed: int = 0) -> dict[str, np.ndarray]:
    """Random inputs for every model input, keyed by input layer name: floats in [0, 1), int
    ids below the smallest vocabulary (also for float inputs feeding an Embedding), strings from
    the StringLookup/TextVectorization vocabularies plus one unseen word."""
    rng = np.random.default_rng(seed)
    vocab = _vocabulary_limit(model)
    arrays: dict[str, np.ndarray] = {}
    for tensor, name in zip(model.inputs, input_layer_names(model), strict=True):
        shape = (BATCH, *(FREE_DIM if d is None else int(d) for d in tensor.shape[1:]))
        dtype = str(tensor.dtype)
        if dtype == "string":
            arrays[name] = _strings(model, rng, shape)
        elif "int" in dtype:
            arrays[name] = rng.integers(0, vocab, size=shape).astype(dtype)
        elif dtype == "bool":
            arrays[name] = rng.integers(0, 2, size=shape).astype(bool)
        elif _feeds_embedding(model, tensor):
            arrays[name] = rng.integers(0, vocab, size=shape).astype(dtype)
        else:
            arrays[name] = rng.random(shape).astype(dtype)
    return arrays


def arrange(model: keras.Model, by_name: dict[str, np.ndarray]) -> Any:
    """The inputs in the structure the model was built with (a tensor, a list or a dict)."""
    names = input_layer_names(model)
    missing = [n for n in names if n not in by_name]
    if missing:
        raise StageFailure(
            f"the model's inputs {names} are not the original's {sorted(by_name)} "
            f"(missing {missing})"
        )
    struct = getattr(model, "_inputs_struct", None)
    if isinstance(struct, dict):
        return {key: by_name[t._keras_history[0].name] for key, t in struct.items()}
    values = [by_name[n] for n in names]
    return values[0] if len(values) == 1 and not isinstance(struct, list | tuple) else values


def run_model(model: keras.Model, by_name: dict[str, np.ndarray]) -> list[np.ndarray]:
    out = model(arrange(model, by_name), training=False)
    return [np.asarray(keras.ops.convert_to_numpy(o)) for o in keras.tree.flatten(out)]


def output_structure(model: keras.Model) -> str:
    """``tensor``, ``list[n]`` or ``dict[k1, k2]``: how the model returns its outputs."""
    struct = getattr(model, "_outputs_struct", None)
    if isinstance(struct, dict):
        return f"dict[{', '.join(sorted(struct))}]"
    if isinstance(struct, list | tuple):
        return f"list[{len(struct)}]"
    return "tensor"


def _plain(structure: str) -> str:
    """A one-element list and a tensor are the same structure for this comparison."""
    return "tensor" if structure == "list[1]" else structure


def weight_counts(model: keras.Model) -> tuple[int, int]:
    """(trainable, non-trainable) parameter counts, as Keras counts them."""

    def size(weights: list[Any]) -> int:
        return int(sum(int(np.prod(w.shape)) for w in weights))

    return size(model.trainable_weights), size(model.non_trainable_weights)


# ----------------------------------------------------------------------------- comparisons
def compare_outputs(
    reference: list[np.ndarray],
    actual: list[np.ndarray],
    random: set[int],
    tolerance: Callable[[float], float],
    what: str,
) -> str:
    """Raise StageFailure unless ``actual`` matches ``reference``; a summary otherwise."""
    if len(actual) != len(reference):
        ref_shapes = [tuple(r.shape) for r in reference]
        got_shapes = [tuple(np.shape(a)) for a in actual]
        raise StageFailure(
            f"{what} gives {len(actual)} outputs, the original {len(reference)} "
            f"(shapes {got_shapes} vs {ref_shapes})"
        )
    worst_rel, notes = 0.0, []
    for i, (ref, got) in enumerate(zip(reference, actual, strict=True)):
        got = np.asarray(got)
        if tuple(got.shape) != tuple(ref.shape):
            raise StageFailure(
                f"{what}: output {i} has shape {tuple(got.shape)}, the original {tuple(ref.shape)}"
            )
        if i in random or not ref.size or ref.dtype.kind in "OSU":
            if i in random:
                notes.append(f"output {i} is random: shape only")
            elif ref.dtype.kind in "OSU" and not np.array_equal(ref, got):
                raise StageFailure(f"{what}: output {i} (strings) differs")
            continue
        diff = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64))))
        diff = float("inf") if np.isnan(diff) else diff
        scale = float(np.max(np.abs(ref.astype(np.float64))))
        if diff > tolerance(scale):
            raise StageFailure(
                f"{what}: output {i} differs from the original by {diff:.3g} "
                f"(relative {diff / scale if scale else diff:.3g}, tolerance {tolerance(scale):.2g})"
            )
        worst_rel = max(worst_rel, diff / scale if scale else diff)
    text = f"outputs match (largest relative difference {worst_rel:.2g})"
    return f"{text}; {'; '.join(notes)}" if notes else text


def rebuild_tolerance(scale: float) -> float:
    return REBUILD_RTOL * scale + 1e-7


def export_tolerance(scale: float) -> float:
    from designer.export.verify import tolerance_for

    return tolerance_for(scale)


def _call_outputs(layer: Any) -> list[Any]:
    return list(layer._inbound_nodes[0].output_tensors)


def first_divergence(
    original: keras.Model, rebuilt: keras.Model, by_name: dict[str, np.ndarray]
) -> str:
    """The first top-level layer (in the original's order) whose output differs between the two
    models on ``by_name``, as ``'name' (Class): difference``; '' when none can be told."""
    pairs = []
    for layer in original.layers:
        if isinstance(layer, keras.layers.InputLayer) or len(layer._inbound_nodes) != 1:
            continue
        try:
            other = rebuilt.get_layer(layer.name)
        except ValueError:
            continue
        if len(other._inbound_nodes) != 1:
            continue
        pairs.append((layer, other))
    if not pairs:
        return ""
    try:
        # The outputs of each layer's call (a nested model's .output is its own inner tensor).
        probe_a = keras.Model(original.inputs, [_call_outputs(layer) for layer, _ in pairs])
        probe_b = keras.Model(rebuilt.inputs, [_call_outputs(other) for _, other in pairs])
        out_a = probe_a([by_name[n] for n in input_layer_names(original)], training=False)
        out_b = probe_b([by_name[n] for n in input_layer_names(rebuilt)], training=False)
    except Exception:  # probing is best effort
        return ""
    for (layer, _), a, b in zip(pairs, out_a, out_b, strict=True):
        flat_a, flat_b = keras.tree.flatten(a), keras.tree.flatten(b)
        if len(flat_a) != len(flat_b):
            return (
                f"'{layer.name}' ({type(layer).__name__}): {len(flat_b)} outputs, not {len(flat_a)}"
            )
        for x, y in zip(flat_a, flat_b, strict=True):
            x, y = np.asarray(x), np.asarray(y)
            if x.shape != y.shape:
                return f"'{layer.name}' ({type(layer).__name__}): shape {y.shape}, not {x.shape}"
            if x.dtype.kind in "OSUb":
                continue
            diff = (
                float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64))))
                if x.size
                else 0.0
            )
            scale = float(np.max(np.abs(x))) if x.size else 0.0
            if diff > rebuild_tolerance(scale):
                return f"'{layer.name}' ({type(layer).__name__}): differs by {diff:.3g}"
    return ""


# ----------------------------------------------------------------------------- the subject
@dataclass
class Subject:
    """One corpus model, built, saved, with its inputs and reference outputs."""

    entry: Entry
    workdir: Path
    model: Any = None
    path: Path | None = None
    inputs: dict[str, np.ndarray] = field(default_factory=dict)
    reference: list[np.ndarray] = field(default_factory=list)
    random_outputs: set[int] = field(default_factory=set)
    build_error: str = ""
    save_error: str = ""
    results: dict[str, StageResult] = field(default_factory=dict)


def prepare(entry: Entry, workdir: Path) -> Subject:
    """Build the model, make inputs, compute its outputs twice (to find random ones), save it."""
    workdir.mkdir(parents=True, exist_ok=True)
    subject = Subject(entry, workdir)
    try:
        subject.model = entry.build()
        subject.inputs = make_inputs(subject.model)
        subject.reference = run_model(subject.model, subject.inputs)
        again = run_model(subject.model, subject.inputs)
        subject.random_outputs = {
            i
            for i, (a, b) in enumerate(zip(subject.reference, again, strict=True))
            if a.dtype.kind not in "OSU" and not np.array_equal(a, b)
        }
    except Exception as exc:  # the corpus model itself is broken
        subject.build_error = f"the corpus model does not build: {describe(exc)}"
        return subject
    path = workdir / f"{entry.name}{entry.suffix}"
    try:
        subject.model.save(path)
        subject.path = path
    except Exception as exc:  # Keras cannot save it: the keras stage reports it
        subject.save_error = f"model.save({path.name}): {describe(exc)}"
    return subject


# ----------------------------------------------------------------------------- CLI helpers
def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``python main.py ARGV`` in-process: (exit code, stdout, stderr)."""
    from designer.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = int(main(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


_HELP_CACHE: dict[str, bool] = {}


def cli_has_custom_objects() -> bool:
    """Whether ``main.py analyze --help`` lists ``--custom-objects``."""
    if "cli" not in _HELP_CACHE:
        _, out, err = run_cli(["analyze", "--help"])
        _HELP_CACHE["cli"] = "--custom-objects" in out + err
    return _HELP_CACHE["cli"]


def _needs_file(subject: Subject) -> Path:
    if subject.path is None:
        raise StageSkipped("no model file (the keras stage failed)")
    return subject.path


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _cli_failure(code: int, out: str, err: str, data: Any) -> StageFailure:
    message = ""
    if isinstance(data, dict):
        if data.get("error"):
            message = str(data["error"])
        elif data.get("errors"):
            message = "; ".join(str(e.get("message", e)) for e in data["errors"][:3])
    message = message or first_line(err) or first_line(out) or "no message"
    return StageFailure(f"exit {code}: {first_line(message)}", detail=(message + "\n" + err)[:4000])


# ----------------------------------------------------------------------------- the stages
def stage_keras(subject: Subject) -> str:
    if subject.save_error:
        raise StageFailure(subject.save_error)
    path = _needs_file(subject)
    reloaded = keras.saving.load_model(path, compile=False)
    if reloaded.count_params() != subject.model.count_params():
        raise StageFailure(
            f"reloaded model has {reloaded.count_params():,} parameters, the original "
            f"{subject.model.count_params():,}"
        )
    summary = compare_outputs(
        subject.reference,
        run_model(reloaded, subject.inputs),
        subject.random_outputs,
        rebuild_tolerance,
        "the reloaded model",
    )
    return f"{path.name} {path.stat().st_size / 1024:.0f} KB reloads; {summary}"


def stage_rebuild(subject: Subject) -> str:
    from designer.app.files import open_path
    from designer.core.build import build_model

    path = _needs_file(subject)
    project = open_path(path)
    rebuilt = build_model(project.graph)
    original = subject.model
    want, got = weight_counts(original), weight_counts(rebuilt)
    if want != got:
        raise StageFailure(
            f"parameters (trainable, non-trainable) {got[0]:,}, {got[1]:,} after the round "
            f"trip; the original has {want[0]:,}, {want[1]:,}"
        )
    want_struct, got_struct = output_structure(original), output_structure(rebuilt)
    if _plain(want_struct) != _plain(got_struct):
        raise StageFailure(f"outputs come back as {got_struct}; the original returns {want_struct}")
    try:
        actual = run_model(rebuilt, subject.inputs)
        return compare_outputs(
            subject.reference,
            actual,
            subject.random_outputs,
            rebuild_tolerance,
            "the rebuilt model",
        )
    except StageFailure as exc:
        where = first_divergence(original, rebuilt, subject.inputs)
        if where:
            raise StageFailure(f"{exc}; first differing layer {where}") from None
        raise


def stage_analyze(subject: Subject) -> str:
    path = _needs_file(subject)
    code, out, err = run_cli(["analyze", str(path), "--json"])
    data = _json_or_none(out)
    if code != 0 or not isinstance(data, dict):
        raise _cli_failure(code, out, err, data)
    total, trainable = int(data["total_params"]), int(data["trainable_params"])
    want_total = int(subject.model.count_params())
    want_trainable = weight_counts(subject.model)[0]
    if (total, trainable) != (want_total, want_trainable):
        raise StageFailure(
            f"analyze reports {total:,} parameters ({trainable:,} trainable); Keras counts "
            f"{want_total:,} ({want_trainable:,} trainable)"
        )
    return f"{total:,} parameters ({trainable:,} trainable), {len(data['layers'])} layers"


def _export(subject: Subject, fmt: str, suffix: str) -> tuple[Path, dict[str, Any]]:
    path = _needs_file(subject)
    out = subject.workdir / f"export-{fmt}" / f"{subject.entry.name}{suffix}"
    out.parent.mkdir(parents=True, exist_ok=True)
    code, stdout, stderr = run_cli(
        ["export", str(path), "--format", fmt, "--out", str(out), "--json"]
    )
    data = _json_or_none(stdout)
    if code != 0 or not isinstance(data, dict):
        raise _cli_failure(code, stdout, stderr, data)
    return out, data


def _own_check(data: dict[str, Any]) -> str:
    verification = data.get("verification") or {}
    diff = verification.get("max_abs_diff")
    return f"own check passed ({diff:.2g})" if isinstance(diff, float | int) else "exported"


def _artefact_names(subject: Subject) -> list[str]:
    from designer.export.signature import safe_name

    used: set[str] = set()
    return [safe_name(n, used) for n in input_layer_names(subject.model)]


def _artefact_check(subject: Subject, fmt: str, out: Path, data: dict[str, Any]) -> str:
    from designer.export.onnx_export import run_onnx
    from designer.export.tflite_export import run_tflite

    runner = run_onnx if fmt == "onnx" else run_tflite
    names = _artefact_names(subject)
    xs = [subject.inputs[n] for n in input_layer_names(subject.model)]
    own = _own_check(data)
    try:
        actual = runner(out, xs, names)
    except Exception as exc:  # the runtime's own errors
        raise StageFailure(
            f"{own}, but the artefact does not run on the original's inputs: {describe(exc)}"
        ) from None
    try:
        summary = compare_outputs(
            subject.reference,
            [np.asarray(a) for a in actual],
            subject.random_outputs,
            export_tolerance,
            f"the {fmt} artefact",
        )
    except StageFailure as exc:
        raise StageFailure(f"{own} against the designer's rebuild, but {exc}") from None
    return f"{own}; against the original: {summary}"


def stage_onnx(subject: Subject) -> str:
    out, data = _export(subject, "onnx", ".onnx")
    return _artefact_check(subject, "onnx", out, data)


def stage_tflite(subject: Subject) -> str:
    out, data = _export(subject, "tflite", ".tflite")
    return _artefact_check(subject, "tflite", out, data)


def stage_python(subject: Subject) -> str:
    out, data = _export(subject, "python", ".py")
    extras = [Path(p).name for p in data.get("extra_files", [])]
    return f"{_own_check(data)}; wrote {out.name}" + (f" + {', '.join(extras)}" if extras else "")


DRIVER = '''"""Run a script written by `main.py export --format python` in a fresh interpreter."""
import importlib.util
import json
import sys

import numpy as np

script, inputs_path, outputs_path = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("generated_model", script)
module = importlib.util.module_from_spec(spec)
sys.modules["generated_model"] = module
spec.loader.exec_module(module)
model = module.build_model()
weights = getattr(module, "WEIGHTS", None)
loaded = False
if weights is not None and weights.exists():
    model.load_weights(weights)
    loaded = True
import keras

data = np.load(inputs_path)
names = json.loads(str(data["__names__"]))
by_name = {n: data[f"in{i}"] for i, n in enumerate(names)}
own = [t._keras_history[0].name for t in model.inputs]
if sorted(own) != sorted(names):
    print(f"note: inputs {own} are not the original's {names}; fed by position", file=sys.stderr)
    by_name = dict(zip(own, [by_name[n] for n in names]))
struct = getattr(model, "_inputs_struct", None)
if isinstance(struct, dict):
    feed = {k: by_name[t._keras_history[0].name] for k, t in struct.items()}
else:
    feed = [by_name[n] for n in own]
    feed = feed[0] if len(feed) == 1 and not isinstance(struct, (list, tuple)) else feed
out = keras.tree.flatten(model(feed, training=False))
np.savez(outputs_path, **{f"out{i}": np.asarray(keras.ops.convert_to_numpy(o)) for i, o in enumerate(out)})
print(json.dumps({"outputs": len(out), "weights_loaded": loaded}))
'''


def _fresh_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(repo_root())
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def _tail(text: str, lines: int = 1) -> str:
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(kept[-lines:])


def stage_python_run(subject: Subject) -> str:
    script = subject.workdir / "export-python" / f"{subject.entry.name}.py"
    if not script.exists():
        raise StageSkipped("no generated script (the python export failed)")
    names = input_layer_names(subject.model)
    inputs_file = subject.workdir / "python-inputs.npz"
    outputs_file = subject.workdir / "python-outputs.npz"
    outputs_file.unlink(missing_ok=True)
    arrays = {f"in{i}": subject.inputs[n] for i, n in enumerate(names)}
    np.savez(inputs_file, __names__=np.array(json.dumps(names)), **arrays)
    driver = subject.workdir / "run_generated.py"
    driver.write_text(DRIVER, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(driver), str(script), str(inputs_file), str(outputs_file)],
        cwd=script.parent,
        env=_fresh_env(),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )
    if proc.returncode != 0:
        raise StageFailure(
            f"the generated script fails in a fresh process: {_tail(proc.stderr)}",
            detail=proc.stderr[-4000:],
        )
    with np.load(outputs_file) as data:
        actual = [data[f"out{i}"] for i in range(len(data.files))]
    report = _json_or_none(_tail(proc.stdout)) or {}
    summary = compare_outputs(
        subject.reference,
        actual,
        subject.random_outputs,
        rebuild_tolerance,
        "the generated script's model",
    )
    loaded = "weights loaded" if report.get("weights_loaded") else "NO weights file loaded"
    return f"{loaded}; {summary}"


def _run_fresh(command: list[str]) -> subprocess.CompletedProcess[str]:
    """``command`` in a fresh process at the repository root, its output captured."""
    return subprocess.run(
        command,
        cwd=repo_root(),
        env=_fresh_env(),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )


def stage_screenshot(subject: Subject) -> str:
    path = _needs_file(subject)
    png = subject.workdir / f"{subject.entry.name}.png"
    png.unlink(missing_ok=True)
    command = [sys.executable, str(repo_root() / "main.py"), str(path), "--screenshot", str(png)]
    note = ""
    if subject.entry.custom_objects:
        if cli_has_custom_objects():
            command += ["--custom-objects", str(subject.entry.file)]
            note = f" (with --custom-objects {subject.entry.file.name})"
        else:
            note = " (custom classes; main.py analyze --help lists no --custom-objects)"
    proc = _run_fresh(command)
    if proc.returncode != 0:
        raise StageFailure(
            f"exit {proc.returncode}: {_tail(proc.stderr) or _tail(proc.stdout)}{note}",
            detail=proc.stderr[-4000:],
        )
    if not png.exists() or png.stat().st_size < 10_000:
        raise StageFailure(f"no PNG or a tiny one ({png.stat().st_size if png.exists() else 0} B)")
    from PIL import Image

    with Image.open(png) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        size = image.size
    if colours is not None and len(colours) <= 16:
        raise StageFailure(f"the PNG has {len(colours)} colours only")
    return f"{png.name} {size[0]}x{size[1]}, {png.stat().st_size / 1024:.0f} KB{note}"


def stage_no_code(subject: Subject) -> str:
    """A model with custom classes, analysed in a fresh process without their code: it must
    open read-only (not be refused), with Keras' totals whenever every custom layer's output
    shape is recorded in the file (a custom layer that ends the network has none)."""
    path = _needs_file(subject)
    if not subject.entry.custom_objects:
        raise StageSkipped("no custom classes")
    proc = _run_fresh(
        [sys.executable, str(repo_root() / "main.py"), "analyze", str(path), "--json"]
    )
    data = _json_or_none(proc.stdout)
    if proc.returncode not in (0, 1) or not isinstance(data, dict):
        raise _cli_failure(proc.returncode, proc.stdout, proc.stderr, data)
    if not data.get("read_only"):
        raise StageFailure("opened without its code but not read-only")
    if data["errors"]:
        ends = "; ".join(str(e["message"])[:80] for e in data["errors"][:2])
        if not all("its class is not loaded" in str(e["message"]) for e in data["errors"]):
            raise StageFailure(f"read-only, but other errors: {ends}")
        return f"read-only, {len(data['layers'])} layers; unknown output shape: {ends}"
    total, want = int(data["total_params"]), int(subject.model.count_params())
    if total != want:
        raise StageFailure(f"read-only, {total:,} parameters; Keras counts {want:,}")
    return f"read-only, {len(data['layers'])} layers, {total:,} parameters as Keras counts"


STAGE_FUNCTIONS: dict[str, Callable[[Subject], str]] = {
    "keras": stage_keras,
    "rebuild": stage_rebuild,
    "analyze": stage_analyze,
    "onnx": stage_onnx,
    "tflite": stage_tflite,
    "python": stage_python,
    "python-run": stage_python_run,
    "screenshot": stage_screenshot,
    "no-code": stage_no_code,
}


def run_stage(stage: str, subject: Subject) -> StageResult:
    """Run one stage on a prepared subject; never raises."""
    start = time.perf_counter()
    if subject.build_error:
        status, message, detail = "FAIL", subject.build_error, ""
    else:
        try:
            message, status, detail = STAGE_FUNCTIONS[stage](subject), "PASS", ""
        except StageSkipped as exc:
            status, message, detail = "SKIP", str(exc), ""
        except StageFailure as exc:
            status, message, detail = "FAIL", str(exc), exc.detail or str(exc)
        except subprocess.TimeoutExpired as exc:
            status, message, detail = "FAIL", f"subprocess timed out after {exc.timeout:.0f} s", ""
        except Exception as exc:  # the product raised: that is the failure to record
            status, message = "FAIL", describe(exc)
            detail = (str(exc)[:3000] + "\n" + traceback.format_exc()[-3000:]).strip()
    result = StageResult(stage, status, message, round(time.perf_counter() - start, 2), detail)
    subject.results[stage] = result
    return result


def run_entry(
    entry: Entry,
    stages: list[str] | tuple[str, ...],
    workdir: Path,
    on_result: Callable[[StageResult], None] | None = None,
) -> list[StageResult]:
    """Prepare one model and run the stages in order; ``on_result`` after each."""
    subject = prepare(entry, workdir)
    results = []
    for stage in STAGES:
        if stage not in stages:
            continue
        if stage == "python-run" and "python" not in stages and not subject.build_error:
            run_stage("python", subject)  # its script is what python-run runs
        result = run_stage(stage, subject)
        results.append(result)
        if on_result is not None:
            on_result(result)
    keras.backend.clear_session()
    return results
