"""The export formats and their options, as plain constants (no Keras: the CLI's --help reads them)."""

from pathlib import Path

FORMATS = ("keras", "savedmodel", "onnx", "tflite", "python")
SUFFIXES = {
    "keras": ".keras",
    "savedmodel": "",
    "onnx": ".onnx",
    "tflite": ".tflite",
    "python": ".py",
}
RUNTIMES = {
    "keras": "keras.saving.load_model",
    "savedmodel": "tf.saved_model.load serving_default",
    "onnx": "onnxruntime",
    "tflite": "tf.lite.Interpreter",
    "python": "generated code + weights",
}
DEFAULT_OPSET = 17
MIN_OPSET = 13
MAX_OPSET = 18  # the newest opset tf2onnx 1.17 knows


def target_path(fmt: str, out: str | Path) -> tuple[Path, list[str]]:
    """Where ``fmt`` is written for ``out``, adding the usual suffix when it is missing."""
    path = Path(out).expanduser()
    suffix = SUFFIXES[fmt]
    if suffix and path.suffix.lower() != suffix:
        fixed = path.with_name(path.name + suffix)
        return fixed, [f"added the {suffix} suffix: writing {str(fixed)!r}"]
    return path, []
