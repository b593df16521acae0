"""Export benchmark: time, size and fidelity of every format; inference speed of the artefacts.

    python benchmarks/export.py                      # LeNet-5, MobileNetV2, ResNet50 (weights=None)
    python benchmarks/export.py --models lenet5      # one model
    python benchmarks/export.py --onnx-sweep         # ONNX for one model of every keras.applications family

Prints tables; nothing is kept (everything is written in a temporary folder).
"""

from __future__ import annotations

import argparse
import os
import statistics
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

from designer.export import ExportError, export_model
from designer.export.report import human_size
from designer.export.signature import random_batch

FORMATS = [("keras", {}), ("savedmodel", {}), ("onnx", {}), ("tflite", {}),
           ("tflite", {"int8": True}), ("python", {})]  # fmt: skip


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
    return keras.Model(inp, keras.layers.Dense(10, activation="softmax", name="out")(x), name="lenet5")


MODELS = {
    "lenet5": lenet5,
    # Logits (no softmax): a random-init softmax is nearly uniform and would hide differences.
    "mobilenetv2": lambda: keras.applications.MobileNetV2(weights=None, classifier_activation=None),
    "resnet50": lambda: keras.applications.ResNet50(weights=None, classifier_activation=None),
}

SWEEP = {
    "MobileNet": (keras.applications.MobileNet, 32),
    "MobileNetV2": (keras.applications.MobileNetV2, 32),
    "MobileNetV3Small": (keras.applications.MobileNetV3Small, 32),
    "ResNet50": (keras.applications.ResNet50, 32),
    "ResNet50V2": (keras.applications.ResNet50V2, 32),
    "VGG16": (keras.applications.VGG16, 32),
    "Xception": (keras.applications.Xception, 71),
    "InceptionV3": (keras.applications.InceptionV3, 75),
    "InceptionResNetV2": (keras.applications.InceptionResNetV2, 75),
    "DenseNet121": (keras.applications.DenseNet121, 32),
    "NASNetMobile": (keras.applications.NASNetMobile, 32),
    "EfficientNetB0": (keras.applications.EfficientNetB0, 32),
    "EfficientNetV2B0": (keras.applications.EfficientNetV2B0, 32),
    "ConvNeXtTiny": (keras.applications.ConvNeXtTiny, 32),
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


def inference_speeds(model: keras.Model, onnx_path: str, tflite_path: str, batch: int,
                     repeats: int) -> dict[str, float]:  # fmt: skip
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
    print(f"{'format':<12} {'size':>10} {'export s':>9} {'check s':>8} {'max |diff|':>11} {'tol':>9}")
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
            print(f"{label:<12} {human_size(size):>10} {report.seconds:>9.2f} "
                  f"{report.verify_seconds:>8.2f} {v.max_abs_diff:>11.2e} {v.tolerance:>9.1e}")  # fmt: skip
        speeds = inference_speeds(model, paths["onnx"], paths["tflite"], batch, repeats)
        int8 = inference_speeds(model, paths["onnx"], paths["tflite-int8"], batch, repeats)
    base = speeds["keras"]
    print(f"inference, batch {batch}, median of {repeats} (ms per batch; speed-up vs Keras):")
    for runtime, ms in [*speeds.items(), ("tflite-int8", int8["tflite"])]:
        print(f"  {runtime:<12} {ms:>9.2f} ms  x{base / ms:.2f}")


def onnx_sweep() -> None:
    """ONNX export and onnxruntime check for one model of each keras.applications family."""
    print(f"{'model':<18} {'input':>5} {'params':>12} {'export s':>9} {'max |diff|':>11}  result")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (cls, size) in SWEEP.items():
            model = cls(
                weights=None, input_shape=(size, size, 3), classes=10, classifier_activation=None
            )
            try:
                report = export_model(model, "onnx", Path(tmp) / f"{name}.onnx")
                v = report.verification
                result = "passed" if v.passed else "FAILED"
                print(f"{name:<18} {size:>5} {model.count_params():>12,} {report.seconds:>9.1f} "
                      f"{v.max_abs_diff:>11.2e}  {result}")  # fmt: skip
            except ExportError as exc:
                print(f"{name:<18} {size:>5} {model.count_params():>12,} {'-':>9} {'-':>11}  {exc}")
            keras.backend.clear_session()


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--onnx-sweep", action="store_true")
    args = parser.parse_args()
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPU(s)")
    if args.onnx_sweep:
        onnx_sweep()
        return
    for name in args.models:
        bench_model(name, args.batch, args.repeats)


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
