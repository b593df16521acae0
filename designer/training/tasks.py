"""Tasks of a model's outputs (classification, regression, ...) and the losses and metrics they imply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

TASKS = ("classification", "binary", "multilabel", "regression", "segmentation")

# Layers that change shape or pass values through without an activation of their own.
_PASS_THROUGH = (
    "Reshape",
    "Flatten",
    "Dropout",
    "Identity",
    "Permute",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianNoise",
    "ActivityRegularization",
)


@dataclass(frozen=True)
class OutputInfo:
    """What the trainer knows about one model output."""

    name: str
    task: str
    activation: str  # softmax, sigmoid, linear or another activation name
    units: int
    rank: int  # number of dimensions including the batch

    @property
    def from_logits(self) -> bool:
        """True when the output has no softmax/sigmoid, so losses must apply it themselves."""
        return self.activation not in ("softmax", "sigmoid")


def _activation_of(layer: Any) -> str:
    cls = type(layer).__name__
    if cls == "Softmax":
        return "softmax"
    act = getattr(layer, "activation", None)
    if act is None:
        return "linear"
    name = getattr(act, "__name__", None) or str(act)
    return "linear" if name in ("linear", "None") else name


def _producer(tensor: Any) -> Any:
    history = getattr(tensor, "_keras_history", None)
    return history[0] if history else None


def _output_activation(tensor: Any) -> str:
    layer = _producer(tensor)
    for _ in range(16):  # walk back through pass-through layers (Reshape after softmax, ...)
        if layer is None:
            return "linear"
        if type(layer).__name__ not in _PASS_THROUGH:
            return _activation_of(layer)
        inputs = layer._inbound_nodes[0].input_tensors if layer._inbound_nodes else []
        layer = _producer(inputs[0]) if inputs else None
    return "linear"


def describe_outputs(model: keras.Model) -> list[OutputInfo]:
    """One :class:`OutputInfo` per model output, with the task inferred from the output layer."""
    infos = []
    names = list(getattr(model, "output_names", None) or [])
    for i, tensor in enumerate(model.outputs):
        shape = tuple(tensor.shape)
        units = int(shape[-1]) if shape[-1] is not None else 1
        act = _output_activation(tensor)
        name = names[i] if i < len(names) else f"output_{i}"
        infos.append(OutputInfo(name, _infer(act, units, len(shape)), act, units, len(shape)))
    return infos


def _infer(activation: str, units: int, rank: int) -> str:
    if activation == "softmax" and units > 1:
        return "segmentation" if rank >= 4 else "classification"
    if activation == "sigmoid":
        return "binary" if units == 1 else "multilabel"
    return "regression"


def infer_task(model: keras.Model, output: str | None = None) -> str:
    """Task of one output (the first by default): softmax with N units -> classification, etc."""
    infos = describe_outputs(model)
    if output is None:
        return infos[0].task
    for info in infos:
        if info.name == output:
            return info.task
    raise KeyError(f"Expected an output name among {[i.name for i in infos]}, received {output!r}")


def default_loss_for(
    model: keras.Model, task: str | dict[str, str] | None = None, sparse_labels: bool = True
) -> dict[str, str]:
    """Loss name per output: cross-entropy for classification, MSE for regression.

    ``task`` overrides the inferred task (for all outputs, or per output name);
    ``sparse_labels`` says whether class labels are integers (True) or one-hot.
    """
    losses = {}
    for info in describe_outputs(model):
        t = task.get(info.name, info.task) if isinstance(task, dict) else (task or info.task)
        if t not in TASKS:
            raise ValueError(f"Expected a task among {TASKS}, received {t!r}")
        if t in ("classification", "segmentation"):
            name = (
                "sparse_categorical_crossentropy" if sparse_labels else "categorical_crossentropy"
            )
        elif t in ("binary", "multilabel"):
            name = "binary_crossentropy"
        else:
            name = "mse"
        losses[info.name] = name
    return losses


def default_metrics_for(task: str) -> list[str]:
    """Metrics shown by default for a task (accuracy for classification, RMSE for regression)."""
    return ["rmse"] if task == "regression" else ["accuracy"]


def make_loss(name: str, from_logits: bool) -> keras.losses.Loss:
    import keras

    """A Keras loss object from one of the loss names of :mod:`options`."""
    if name == "categorical_crossentropy":
        return keras.losses.CategoricalCrossentropy(from_logits=from_logits)
    if name == "sparse_categorical_crossentropy":
        return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    if name == "binary_crossentropy":
        return keras.losses.BinaryCrossentropy(from_logits=from_logits)
    if name == "mse":
        return keras.losses.MeanSquaredError()
    if name == "mae":
        return keras.losses.MeanAbsoluteError()
    raise ValueError(
        f"Expected a loss name among categorical_crossentropy, "
        f"sparse_categorical_crossentropy, binary_crossentropy, mse, mae; "
        f"received {name!r}"
    )


def make_metric(name: str, info: OutputInfo, loss_name: str) -> keras.metrics.Metric:
    """A Keras metric object for one output, matched to its loss (sparse/one-hot, logits)."""
    import keras

    sparse = loss_name == "sparse_categorical_crossentropy"
    categorical = loss_name in ("sparse_categorical_crossentropy", "categorical_crossentropy")
    if name == "accuracy":
        if categorical:
            cls = (
                keras.metrics.SparseCategoricalAccuracy
                if sparse
                else keras.metrics.CategoricalAccuracy
            )
            return cls(name="accuracy")
        if loss_name == "binary_crossentropy":
            return keras.metrics.BinaryAccuracy(
                name="accuracy", threshold=0.0 if info.from_logits else 0.5
            )
        raise ValueError(
            f"Metric 'accuracy' expects a classification output; output "
            f"{info.name!r} is trained with {loss_name} (task {info.task})"
        )
    if name == "top5_accuracy":
        if not categorical:
            raise ValueError(
                f"Metric 'top5_accuracy' expects a softmax classification output; "
                f"output {info.name!r} is trained with {loss_name}"
            )
        cls = (
            keras.metrics.SparseTopKCategoricalAccuracy
            if sparse
            else keras.metrics.TopKCategoricalAccuracy
        )
        return cls(k=5, name="top5_accuracy")
    if name == "rmse":
        return keras.metrics.RootMeanSquaredError(name="rmse")
    if name == "mae":
        return keras.metrics.MeanAbsoluteError(name="mae")
    if name == "mean_iou":
        if not categorical:
            raise ValueError(
                f"Metric 'mean_iou' expects a softmax (segmentation) output; "
                f"output {info.name!r} is trained with {loss_name}"
            )
        return keras.metrics.MeanIoU(
            num_classes=info.units, sparse_y_true=sparse, sparse_y_pred=False, name="mean_iou"
        )
    raise ValueError(
        f"Expected a metric among accuracy, top5_accuracy, rmse, mae, mean_iou; received {name!r}"
    )


def compile_targets(
    model: keras.Model,
    losses: dict[str, str] | None,
    metrics: list[str] | None,
    from_logits: bool | None,
    sparse_labels: bool,
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Loss and metric objects per output name, ready for ``model.compile``."""
    infos = describe_outputs(model)
    defaults = default_loss_for(model, sparse_labels=sparse_labels)
    loss_objs: dict[str, Any] = {}
    metric_objs: dict[str, list[Any]] = {}
    for info in infos:
        chosen = (losses or {}).get(info.name, "auto")
        loss_name = defaults[info.name] if chosen == "auto" else chosen
        logits = info.from_logits if from_logits is None else from_logits
        loss_objs[info.name] = make_loss(loss_name, logits)
        names = (
            metrics
            if metrics is not None
            else default_metrics_for("regression" if loss_name in ("mse", "mae") else info.task)
        )
        if metrics is not None and len(infos) > 1:
            # With several outputs, apply each metric only where it makes sense.
            names = [m for m in names if _applicable(m, loss_name)]
        metric_objs[info.name] = [make_metric(m, info, loss_name) for m in names]
    unknown = set(losses or {}) - {i.name for i in infos}
    if unknown:
        raise ValueError(
            f"losses: expected output names among {[i.name for i in infos]}, "
            f"received {sorted(unknown)}"
        )
    return loss_objs, metric_objs


def _applicable(metric: str, loss_name: str) -> bool:
    if metric in ("rmse", "mae"):
        return loss_name in ("mse", "mae")
    if metric in ("top5_accuracy", "mean_iou"):
        return loss_name.endswith("categorical_crossentropy")
    return loss_name.endswith("crossentropy")
