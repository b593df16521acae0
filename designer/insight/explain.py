"""Why an image model answers as it does: Grad-CAM, occlusion sensitivity, gradient saliency.

Each method takes a ``keras.Model`` with one image Input (height, width, channels) and one
classifier output (batch, classes), and one image already preprocessed as the model expects
(float, (H, W, C)); it returns a heat map (H, W) in [0, 1] at the image's size, where 1 marks
what matters most for the class (the predicted one unless ``class_index`` says otherwise).

Gradients are taken of the class *score*: the logit before a final softmax or sigmoid when
the network ends in one (a saturated probability of 1.0 has no gradient), else the output.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # Keras is imported when an explanation is asked for
    import os

    import keras

    from designer.insight.explain_files import FolderResult

METHODS = ("gradcam", "occlusion", "saliency")
METHOD_LABELS = {
    "gradcam": "Grad-CAM",
    "occlusion": "Occlusion sensitivity",
    "saliency": "Gradient saliency",
}
BASELINES = ("zero", "mean")

#: progress(done, total, message) as a ProgressReporter takes it; it raises Cancelled.
Progress = Callable[..., None]


class ExplainError(ValueError):
    """The model, image or choice cannot be explained (one sentence: expected, received)."""


@dataclass(frozen=True)
class Explanation:
    """One explained prediction: the method, the class, its probability and the heat map."""

    method: str
    class_index: int
    probability: float
    heatmap: np.ndarray = field(repr=False)  # (H, W) float32 in [0, 1]
    class_name: str | None = None
    layer: str | None = None  # Grad-CAM's layer
    predicted_index: int = 0
    predicted_probability: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (without the heat map): method, class, class_name, probability, layer."""
        return {
            "method": self.method,
            "class": self.class_index,
            "class_name": self.class_name,
            "probability": round(float(self.probability), 6),
            "layer": self.layer,
        }

    def caption(self) -> str:
        """A line for the picture: method, class and probability."""
        name = f" ({self.class_name})" if self.class_name else ""
        where = f", layer {self.layer}" if self.layer else ""
        return (
            f"{METHOD_LABELS[self.method]}{where}: class {self.class_index}{name}, "
            f"p = {self.probability:.3f}"
        )


# --- the model ----------------------------------------------------------------------------


def image_input_shape(model: keras.Model) -> tuple[int | None, int | None, int]:
    """(height, width, channels) of the model's one image Input; ExplainError otherwise."""
    if len(model.inputs) != 1:
        raise ExplainError(
            f"expected a model with one image input, received {len(model.inputs)} inputs"
        )
    shape = tuple(model.inputs[0].shape)
    if len(shape) != 4 or shape[-1] is None:
        raise ExplainError(
            f"not an image model: expected an input shaped (batch, height, width, channels), "
            f"received {shape}"
        )
    if len(model.outputs) != 1 or len(model.outputs[0].shape) != 2:
        outs = [tuple(o.shape) for o in model.outputs]
        raise ExplainError(
            f"expected one classifier output shaped (batch, classes), received {outs}"
        )
    return shape[1], shape[2], int(shape[3])


def num_classes(model: keras.Model) -> int:
    """How many classes the output scores (2 for one sigmoid unit)."""
    units = int(model.outputs[0].shape[-1])
    return 2 if units == 1 else units


def _is_4d(layer: Any) -> bool:
    try:
        output = layer.output
    except (AttributeError, ValueError):
        return False
    return not isinstance(output, list | tuple) and len(output.shape) == 4


def conv_layers(model: keras.Model) -> list[str]:
    """Names of the layers whose output is a 4-D feature map (batch, h, w, channels), in
    network order: the layers Grad-CAM can use (the Input excluded)."""
    import keras

    return [
        layer.name
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer) and _is_4d(layer)
    ]


def _spatial(layer: Any) -> tuple[Any, Any]:
    return tuple(layer.output.shape[1:3])


def last_conv_layer(model: keras.Model) -> str:
    """Grad-CAM's default layer: the last convolution's feature maps, taken after what
    follows it at the same resolution (normalisation, activation, a residual Add), as in
    ResNet's ``conv5_block3_out``; without a convolution, the last layer with a 4-D output.
    ExplainError when there is none."""
    import keras

    layers = [model.get_layer(name) for name in conv_layers(model)]
    if not layers:
        raise ExplainError(
            f"Grad-CAM needs a convolutional layer (one with a 4-D output); the model "
            f"'{model.name}' has none"
        )
    convs = [
        i
        for i, layer in enumerate(layers)
        if "Conv" in type(layer).__name__ or isinstance(layer, keras.Model)
    ]
    if not convs:
        return str(layers[-1].name)
    chosen = layers[convs[-1]]
    for layer in layers[convs[-1] + 1 :]:
        if _spatial(layer) == _spatial(chosen):
            chosen = layer
    return str(chosen.name)


def _layer_output(model: keras.Model, name: str) -> Any:
    """The symbolic output of layer ``name`` in ``model``'s own graph."""
    import keras

    try:
        layer = model.get_layer(name)
    except ValueError as exc:
        known = ", ".join(conv_layers(model)) or "none"
        raise ExplainError(
            f"no layer named '{name}' in the model; its convolutional layers: {known}"
        ) from exc
    if not _is_4d(layer):
        raise ExplainError(
            f"Grad-CAM needs a layer with a 4-D output (batch, h, w, channels); '{name}' "
            f"gives {getattr(layer.output, 'shape', '?')}"
        )
    # A nested model's ``output`` belongs to its own graph; its call in this one is a node.
    candidates = [layer.output]
    for node in getattr(layer, "_inbound_nodes", []):
        candidates += list(node.output_tensors)
    for tensor in candidates:
        try:
            keras.Model(model.inputs[0], tensor)
        except ValueError:
            continue
        return tensor
    raise ExplainError(f"the layer '{name}' is not reached from the model's input")


_SQUASHING = ("softmax", "sigmoid")


def _logits(model: keras.Model) -> tuple[Any, tuple[Any, Any] | None]:
    """The output's pre-activation when the last layer ends in softmax or sigmoid, else the
    output; with (twin, last) when the pre-activation comes from a linear twin of the last
    layer, whose weights must follow the last layer's (:meth:`_Scorer.sync`)."""
    import keras

    output = model.outputs[0]
    last = model.layers[-1] if model.layers else None
    if last is None or last.output is not output:
        return output, None
    if isinstance(last, keras.layers.Softmax):
        return last.input, None
    config = last.get_config()
    if config.get("activation") not in _SQUASHING:
        return output, None
    if isinstance(last, keras.layers.Activation):
        return last.input, None
    twin = type(last).from_config({**config, "activation": "linear", "name": last.name + "_z"})
    logits = twin(last.input)
    return logits, (twin, last)


@dataclass
class _Scorer:
    """A sub-model from the input to [feature map (optional), scores, output]."""

    model: Any
    binary: bool  # one output unit: class 1 scores z, class 0 scores -z
    twin: tuple[Any, Any] | None = None  # (linear twin, last layer) giving the logits

    def sync(self) -> None:
        """Give the twin the last layer's current weights (the network may have trained)."""
        if self.twin is not None:
            self.twin[0].set_weights(self.twin[1].get_weights())

    def score(self, scores: Any, class_index: int) -> Any:
        if self.binary:
            return scores[:, 0] if class_index == 1 else -scores[:, 0]
        return scores[:, class_index]


_SCORERS: weakref.WeakKeyDictionary[Any, dict[str | None, _Scorer]] = weakref.WeakKeyDictionary()


def _scorer(model: keras.Model, layer: str | None = None) -> _Scorer:
    """The (cached) scorer of ``model``, with the feature map of ``layer`` when given."""
    cached = _SCORERS.setdefault(model, {})
    if layer not in cached:
        cached[layer] = _make_scorer(model, layer)
    cached[layer].sync()
    return cached[layer]


def _make_scorer(model: keras.Model, layer: str | None) -> _Scorer:
    import keras

    image_input_shape(model)
    logits, twin = _logits(model)
    outputs = [logits, model.outputs[0]]
    if layer is not None:
        outputs.insert(0, _layer_output(model, layer))
    sub = keras.Model(model.inputs[0], outputs)
    return _Scorer(sub, int(model.outputs[0].shape[-1]) == 1, twin)


def probabilities(raw: np.ndarray) -> np.ndarray:
    """Class probabilities (N, K) from a classifier's outputs (N, units): kept when they are
    probabilities already, else softmax; one unit is a sigmoid's P(class 1)."""
    raw = np.asarray(raw, np.float64)
    if raw.shape[-1] == 1:
        p1 = raw[:, 0] if np.all((raw >= 0) & (raw <= 1)) else 1 / (1 + np.exp(-raw[:, 0]))
        return np.stack([1 - p1, p1], axis=-1)
    if np.all(raw >= 0) and np.allclose(raw.sum(-1), 1.0, atol=1e-3):
        return raw
    shifted = np.exp(raw - raw.max(-1, keepdims=True))
    return shifted / shifted.sum(-1, keepdims=True)


def predict(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """Class probabilities (N, K) of a batch of preprocessed images (N, H, W, C)."""
    out = model(np.asarray(images, np.float32), training=False)
    return probabilities(np.asarray(out))


def _check_image(model: keras.Model, image: np.ndarray) -> np.ndarray:
    h, w, c = image_input_shape(model)
    image = np.asarray(image, np.float32)
    if image.ndim == 2 and c == 1:
        image = image[..., None]
    if (
        image.ndim != 3
        or image.shape[-1] != c
        or (h and image.shape[0] != h)
        or (w and image.shape[1] != w)
    ):
        want = f"({h or 'H'}, {w or 'W'}, {c})"
        raise ExplainError(f"expected an image shaped {want}, received {image.shape}")
    return image


def _class_index(probs: np.ndarray, class_index: int | None) -> int:
    count = probs.shape[-1]
    if class_index is None:
        return int(np.argmax(probs))
    if not 0 <= int(class_index) < count:
        raise ExplainError(
            f"class index {class_index} is out of range: the model scores {count} classes "
            f"(0 to {count - 1})"
        )
    return int(class_index)


def _unit(heat: np.ndarray) -> np.ndarray:
    """Scaled to [0, 1] by its maximum (all zeros stay zeros), float32."""
    heat = np.nan_to_num(np.maximum(np.asarray(heat, np.float64), 0.0))
    top = float(heat.max()) if heat.size else 0.0
    return (heat / top if top > 0 else heat).astype(np.float32)


def _resize(heat: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of (h, w) to ``size`` (height, width), corners aligned to the pixels'
    centres as tf.image.resize does."""
    import tensorflow as tf

    if heat.shape == tuple(size):
        return heat.astype(np.float32)
    out = tf.image.resize(heat[None, ..., None].astype(np.float32), size, method="bilinear")
    return np.asarray(out)[0, ..., 0]


# --- the methods --------------------------------------------------------------------------


def grad_cam(
    model: keras.Model,
    image: np.ndarray,
    layer: str | None = None,
    class_index: int | None = None,
) -> np.ndarray:
    """Grad-CAM heat map (H, W) in [0, 1]: the feature maps of ``layer`` (the last
    convolutional one by default) weighted by the mean gradient of the class score, ReLU,
    upsampled bilinearly to the image's size."""
    import tensorflow as tf

    image = _check_image(model, image)
    layer = layer or last_conv_layer(model)
    scorer = _scorer(model, layer)
    x = tf.convert_to_tensor(image[None])
    with tf.GradientTape() as tape:
        features, scores, output = scorer.model(x, training=False)
        index = _class_index(probabilities(np.asarray(output)), class_index)
        score = scorer.score(scores, index)
    grads = tape.gradient(score, features)
    if grads is None:
        raise ExplainError(f"the class score does not depend on the layer '{layer}'")
    weights = tf.reduce_mean(grads, axis=(1, 2))
    cam = tf.nn.relu(tf.reduce_sum(features * weights[:, None, None, :], axis=-1))[0]
    return _unit(_resize(np.asarray(cam), image.shape[:2]))


def saliency(model: keras.Model, image: np.ndarray, class_index: int | None = None) -> np.ndarray:
    """Gradient saliency (H, W) in [0, 1]: |d score / d input|, the maximum over channels."""
    import tensorflow as tf

    image = _check_image(model, image)
    scorer = _scorer(model)
    x = tf.convert_to_tensor(image[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores, output = scorer.model(x, training=False)
        index = _class_index(probabilities(np.asarray(output)), class_index)
        score = scorer.score(scores, index)
    grads = tape.gradient(score, x)
    if grads is None:
        raise ExplainError("the class score does not depend on the input image")
    return _unit(np.max(np.abs(np.asarray(grads)[0]), axis=-1))


def _positions(size: int, patch: int, stride: int) -> list[int]:
    """Top (or left) edges of the patches: every ``stride`` pixels, the last one at the edge."""
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return starts


def _baseline(image: np.ndarray, baseline: str | float) -> np.ndarray:
    if baseline == "mean":
        return image.mean(axis=(0, 1))
    if baseline == "zero":
        return np.zeros(image.shape[-1], np.float32)
    try:
        return np.full(image.shape[-1], float(baseline), np.float32)
    except (TypeError, ValueError) as exc:
        raise ExplainError(
            f"expected an occlusion baseline among {BASELINES} or a number, received {baseline!r}"
        ) from exc


def occlusion(
    model: keras.Model,
    image: np.ndarray,
    patch: int = 8,
    stride: int = 4,
    class_index: int | None = None,
    baseline: str | float = "zero",
    batch_size: int = 64,
    progress: Progress | None = None,
) -> np.ndarray:
    """Occlusion sensitivity (H, W) in [0, 1]: how much the class probability drops when a
    ``patch`` square (filled with ``baseline``: "zero", "mean" of the image, or a value) covers
    each place, every ``stride`` pixels; a pixel gets the mean drop of the patches covering it.

    Runs ``batch_size`` occluded images at a time; ``progress(done, total, message)`` is
    called before each batch (a ProgressReporter raises Cancelled there when asked to stop).
    """
    image = _check_image(model, image)
    if patch < 1 or stride < 1 or batch_size < 1:
        raise ExplainError(
            f"expected patch, stride and batch size of at least 1, received {patch}, "
            f"{stride} and {batch_size}"
        )
    height, width = image.shape[:2]
    ph, pw = min(patch, height), min(patch, width)
    fill = _baseline(image, baseline).astype(np.float32)
    places = [(y, x) for y in _positions(height, ph, stride) for x in _positions(width, pw, stride)]
    base = predict(model, image[None])[0]
    index = _class_index(base, class_index)
    total, drops = np.zeros((height, width)), np.zeros((height, width))
    for start in range(0, len(places), batch_size):
        if progress is not None:
            progress(start, len(places), "occlusion")
        chunk = places[start : start + batch_size]
        batch = np.repeat(image[None], len(chunk), axis=0)
        for k, (y, x) in enumerate(chunk):
            batch[k, y : y + ph, x : x + pw] = fill
        probs = predict(model, batch)[:, index]
        for (y, x), p in zip(chunk, probs, strict=True):
            drops[y : y + ph, x : x + pw] += base[index] - p
            total[y : y + ph, x : x + pw] += 1
    if progress is not None:
        progress(len(places), len(places), "occlusion", force=True)
    return _unit(drops / np.maximum(total, 1))


def explain(
    model: keras.Model,
    image: np.ndarray,
    method: str = "gradcam",
    *,
    layer: str | None = None,
    class_index: int | None = None,
    class_names: Sequence[str] | None = None,
    patch: int = 8,
    stride: int = 4,
    baseline: str | float = "zero",
    batch_size: int = 64,
    progress: Progress | None = None,
) -> Explanation:
    """Explain the model's answer for one preprocessed image with ``method`` (one of METHODS)."""
    if method not in METHODS:
        raise ExplainError(f"expected a method among {METHODS}, received '{method}'")
    image = _check_image(model, image)
    probs = predict(model, image[None])[0]
    index = _class_index(probs, class_index)
    if class_names is not None and len(class_names) not in (0, len(probs)):
        class_names = None  # names of other data: better none than wrong ones
    if method == "gradcam":
        layer = layer or last_conv_layer(model)
        heat = grad_cam(model, image, layer, index)
    elif method == "occlusion":
        layer = None
        heat = occlusion(model, image, patch, stride, index, baseline, batch_size, progress)
    else:
        layer = None
        heat = saliency(model, image, index)
    top = int(np.argmax(probs))
    return Explanation(
        method=method,
        class_index=index,
        probability=float(probs[index]),
        heatmap=heat,
        class_name=str(class_names[index]) if class_names else None,
        layer=layer,
        predicted_index=top,
        predicted_probability=float(probs[top]),
    )


def explain_folder(
    model: keras.Model,
    folder: str | os.PathLike[str],
    method: str,
    out_dir: str | os.PathLike[str],
    **options: Any,
) -> FolderResult:
    """One PNG (overlay and colour bar) per image of ``folder`` in ``out_dir``, unreadable files
    skipped and reported: :func:`designer.insight.explain_files.explain_folder`."""
    from designer.insight.explain_files import explain_folder as run

    return run(model, folder, method, out_dir, **options)
