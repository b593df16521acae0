"""Export benchmark: time, size and fidelity of every format; inference speed of the artefacts.

    python benchmarks/export.py                      # LeNet-5, MobileNetV2, ResNet50 (weights=None)
    python benchmarks/export.py --models lenet5      # one model
    python benchmarks/export.py --zoo-sweep          # every zoo entry x keras, savedmodel, onnx,
                                                     # tflite, tflite-int8 (a Markdown table)
    python benchmarks/export.py --zoo-sweep --formats onnx tflite --entries lenet5 resnet50
    python benchmarks/export.py --onnx-sweep         # ONNX for the first zoo entry of each family

Prints tables; nothing is kept (everything is written in a temporary folder). The zoo sweep
exits with status 1 when any export fails its check or errors unexpectedly; an export refused
with an ExportError (a named layer and operation that cannot be converted) is listed as
"refused" and counted apart.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras
import numpy as np
import tensorflow as tf

from designer.export import ExportError, VerificationError, export_model
from designer.export.formats import SUFFIXES
from designer.export.report import human_size
from designer.export.signature import random_batch
from designer.export.sweep import build_small
from designer.zoo import list_entries

FORMATS = [
    ("keras", {}),
    ("savedmodel", {}),
    ("onnx", {}),
    ("tflite", {}),
    ("tflite", {"int8": True}),
    ("python", {}),
]


def lenet5() -> keras.Model:
    """LeNet-5 for 28x28 grey digits."""
    inp = keras.Input((28, 28, 1), name="digits")
    x = keras.layers.Conv2D(6, 5, padding="same", activation="tanh", name="c1")(inp)
    x = keras.layers.AveragePooling2D(2, name="s2")(x)
    x = keras.layers.Conv2D(16, 5, activation="tanh", name="c3")(x)
    x = keras.layers.AveragePooling2D(2, name="s4")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(120, activation="tanh", name="f5")(x)
    x = keras.layers.Dense(84, activation="tanh", name="f6")(x)
    return keras.Model(
        inp, keras.layers.Dense(10, activation="softmax", name="out")(x), name="lenet5"
    )


MODELS = {
    "lenet5": lenet5,
    # Logits (no softmax): a random-init softmax is nearly uniform and would hide differences.
    "mobilenetv2": lambda: keras.applications.MobileNetV2(weights=None, classifier_activation=None),
    "resnet50": lambda: keras.applications.ResNet50(weights=None, classifier_activation=None),
}

SWEEP_FORMATS = {
    "keras": ("keras", {}),
    "savedmodel": ("savedmodel", {}),
    "onnx": ("onnx", {}),
    "tflite": ("tflite", {}),
    "tflite-int8": ("tflite", {"int8": True}),
}


def _median_ms(fn, repeats: int) -> float:
    """Median wall time of ``fn()`` in milliseconds after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def inference_speeds(
    model: keras.Model, onnx_path: str, tflite_path: str, batch: int, repeats: int
) -> dict[str, float]:
    """Median milliseconds per batch for Keras, onnxruntime and the TFLite interpreter."""
    import onnxruntime as ort

    x = random_batch(model, batch)[0]
    serve = tf.function(lambda t: model(t, training=False))
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: x}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interp = tf.lite.Interpreter(model_path=tflite_path, num_threads=os.cpu_count())
    detail = interp.get_input_details()[0]
    interp.resize_tensor_input(detail["index"], x.shape)
    interp.allocate_tensors()

    def run_tflite() -> None:
        interp.set_tensor(detail["index"], x)
        interp.invoke()

    return {
        "keras": _median_ms(lambda: serve(x).numpy(), repeats),
        "onnxruntime": _median_ms(lambda: session.run(None, feed), repeats),
        "tflite": _median_ms(run_tflite, repeats),
    }


def bench_model(name: str, batch: int, repeats: int) -> None:
    """Export ``name`` in every format and print one table row per format, then speeds."""
    model = MODELS[name]()
    print(f"\n## {name}: {model.count_params():,} parameters, input {tuple(model.inputs[0].shape)}")
    print(
        f"{'format':<12} {'size':>10} {'export s':>9} {'check s':>8} {'max |diff|':>11} {'tol':>9}"
    )
    paths = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, options in FORMATS:
            label = fmt + ("-int8" if options.get("int8") else "")
            report = export_model(model, fmt, Path(tmp) / f"{name}-{label}", **options)
            paths[label] = report.path
            v = report.verification
            size = report.size_bytes
            if fmt == "python":
                size += sum(Path(p).stat().st_size for p in report.extra_files)
                label = "python+h5"
            print(
                f"{label:<12} {human_size(size):>10} {report.seconds:>9.2f} "
                f"{report.verify_seconds:>8.2f} {v.max_abs_diff:>11.2e} {v.tolerance:>9.1e}"
            )
        speeds = inference_speeds(model, paths["onnx"], paths["tflite"], batch, repeats)
        int8 = inference_speeds(model, paths["onnx"], paths["tflite-int8"], batch, repeats)
    base = speeds["keras"]
    print(f"inference, batch {batch}, median of {repeats} (ms per batch; speed-up vs Keras):")
    for runtime, ms in [*speeds.items(), ("tflite-int8", int8["tflite"])]:
        print(f"  {runtime:<12} {ms:>9.2f} ms  x{base / ms:.2f}")


def sweep_entries(names: list[str] | None) -> list:
    """The zoo entries to sweep: ``names`` in that order, or all, smallest first."""
    entries = {e.name: e for e in list_entries()}
    if names:
        unknown = [n for n in names if n not in entries]
        if unknown:
            raise SystemExit(f"unknown zoo entries {unknown}; known: {sorted(entries)}")
        return [entries[n] for n in names]
    size = {e.name: e.reference_params.count if e.reference_params else 0 for e in entries.values()}
    return sorted(entries.values(), key=lambda e: size[e.name])


def first_of_each_family() -> list[str]:
    """The first zoo entry of every family (a representative, quicker sweep)."""
    seen: dict[str, str] = {}
    for entry in list_entries():
        seen.setdefault(entry.family, entry.name)
    return list(seen.values())


def sweep_one(model: keras.Model, label: str, out: Path) -> tuple[str, str]:
    """Export ``model`` as ``label``; return (outcome, Markdown cells) for one table row."""
    fmt, options = SWEEP_FORMATS[label]
    start = time.perf_counter()
    try:
        report = export_model(model, fmt, out / f"{model.name}{SUFFIXES[fmt]}", **options)
    except VerificationError as exc:
        report, outcome = exc.report, "FAILED"
    except ExportError as exc:
        seconds = time.perf_counter() - start
        message = " ".join(str(exc).split()).replace("|", "/")
        return "refused", f"- | {seconds:.1f} | - | - | - | - | refused: {message}"
    except Exception as exc:  # anything else is a bug to list, not a reason to stop
        message = " ".join(f"{type(exc).__name__}: {exc}".split()).replace("|", "/")[:600]
        return "ERROR", f"- | {time.perf_counter() - start:.1f} | - | - | - | - | ERROR {message}"
    else:
        outcome = "passed"
    v = report.verification
    notes = list(report.warnings)
    relative = v.max_abs_diff / v.output_scale if v.output_scale else 0.0
    if v.note:  # e.g. "weak check: ..." when the Keras outputs all but vanish
        notes.insert(0, v.note)
    notes = "; ".join(notes)
    cells = (
        f"{human_size(report.size_bytes)} | {report.seconds:.1f} | {v.output_scale:.2e} | "
        f"{v.max_abs_diff:.2e} | {relative:.1e} | {v.tolerance:.1e} | {outcome}{f' ({notes})' if notes else ''}"
    )
    return outcome, cells


HEADER = (
    "| entry | input | params | format | size | export s | max abs out | max abs diff "
    "| relative | tolerance | result |\n|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|"
)


def sweep_rows(formats: list[str], names: list[str] | None) -> None:
    """Export the entries in this process and print one Markdown row per entry x format."""
    with tempfile.TemporaryDirectory() as tmp:
        for entry in sweep_entries(names):
            keras.backend.clear_session()
            keras.utils.set_random_seed(0)  # the same random weights (and table) every run
            model = build_small(entry, logits=True)
            shape = "x".join("?" if d is None else str(d) for d in model.inputs[0].shape[1:])
            head = f"| {entry.name} | {shape} | {model.count_params():,}"
            for label in formats:
                folder = Path(tmp) / f"{entry.name}-{label}"
                folder.mkdir()
                _, cells = sweep_one(model, label, folder)
                shutil.rmtree(folder, ignore_errors=True)  # large artefacts: free the disk
                print(f"{head} | {label} | {cells} |", flush=True)
            del model


def zoo_sweep(formats: list[str], names: list[str] | None) -> int:
    """Export every zoo entry (or ``names``) in ``formats``; print a Markdown table and a count.

    Each entry runs in its own Python process: TensorFlow keeps memory from entry to entry
    (clear_session does not give it all back; the sweep was killed for memory after ~35
    entries in one process), and an entry killed for memory must not end the sweep.
    Returns the exit status: 1 when any export FAILED its check or raised an unexpected error.
    """
    print(HEADER, flush=True)
    counts: dict[str, int] = {}
    for entry in sweep_entries(names):
        cmd = [
            sys.executable,
            __file__,
            "--rows-only",
            "--entries",
            entry.name,
            "--formats",
            *formats,
        ]
        child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        done = []
        for line in child.stdout:
            if line.startswith(f"| {entry.name} |"):
                print(line, end="", flush=True)
                label = line.split(" | ")[3]
                done.append(label)
                result = line.rstrip().rstrip("|").split(" | ")[-1]
                outcome = result.split()[0].rstrip(":")
                counts[outcome] = counts.get(outcome, 0) + 1
        code = child.wait()
        for label in formats[len(done) :]:  # the process died before these rows
            counts["ERROR"] = counts.get("ERROR", 0) + 1
            why = "killed by signal 9 (out of memory?)" if code == -9 else f"exit status {code}"
            print(
                f"| {entry.name} | - | - | {label} | - | - | - | - | - | - | "
                f"ERROR the export process ended early: {why} |",
                flush=True,
            )
    total = sum(counts.values())
    others = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()) if k != "passed")
    print(
        f"\n{counts.get('passed', 0)} of {total} exports passed{f' ({others})' if others else ''}.",
        flush=True,
    )
    return 1 if counts.get("FAILED") or counts.get("ERROR") else 0


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--zoo-sweep", action="store_true", help="export every zoo entry")
    parser.add_argument(
        "--onnx-sweep",
        action="store_true",
        help="--zoo-sweep --formats onnx on the first entry of each family",
    )
    parser.add_argument(
        "--formats",
        nargs="+",
        default=list(SWEEP_FORMATS),
        choices=list(SWEEP_FORMATS),
        help="formats of the zoo sweep",
    )
    parser.add_argument("--entries", nargs="+", help="zoo entries to sweep (default: all)")
    parser.add_argument("--rows-only", action="store_true", help=argparse.SUPPRESS)  # one child
    args = parser.parse_args()
    if args.rows_only:
        sweep_rows(args.formats, args.entries)
        return
    import tf2onnx

    print(
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, tf2onnx {tf2onnx.__version__}, "
        f"{os.cpu_count()} CPU(s)",
        flush=True,
    )
    if args.zoo_sweep or args.onnx_sweep:
        formats = ["onnx"] if args.onnx_sweep else args.formats
        names = args.entries or (first_of_each_family() if args.onnx_sweep else None)
        sys.exit(zoo_sweep(formats, names))
    for name in args.models:
        bench_model(name, args.batch, args.repeats)


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
