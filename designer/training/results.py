"""Results of a trained network on validation data: confusion matrix with per-class
precision/recall/F1, the examples behind each cell, errors first; regression scatter/RMSE."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from designer.training.datainfo import _is_dataset, _split_arrays

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class Sample:
    """One validation example: its index, true and predicted class, confidence."""

    index: int
    true: int
    predicted: int
    confidence: float  # probability of the predicted class

    @property
    def correct(self) -> bool:
        """True when the prediction matches the label."""
        return self.true == self.predicted


@dataclass
class ConfusionResult:
    """Confusion matrix (rows: true class, columns: predicted class) and per-class scores."""

    matrix: np.ndarray
    class_names: list[str]
    y_true: np.ndarray
    y_pred: np.ndarray
    confidence: np.ndarray
    precision: np.ndarray = field(init=False)
    recall: np.ndarray = field(init=False)
    f1: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        m = self.matrix.astype(float)
        tp = np.diag(m)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.precision = np.where(m.sum(0) > 0, tp / m.sum(0), 0.0)
            self.recall = np.where(m.sum(1) > 0, tp / m.sum(1), 0.0)
            denom = self.precision + self.recall
            self.f1 = np.where(denom > 0, 2 * self.precision * self.recall / denom, 0.0)

    @property
    def accuracy(self) -> float:
        """Share of correctly classified examples."""
        total = self.matrix.sum()
        return float(np.trace(self.matrix) / total) if total else 0.0

    @property
    def support(self) -> np.ndarray:
        """Number of examples of each true class."""
        return self.matrix.sum(axis=1)

    def indices(self, true_class: int, predicted_class: int) -> np.ndarray:
        """Indices of the examples counted in one cell."""
        return np.flatnonzero((self.y_true == true_class) & (self.y_pred == predicted_class))

    def samples(self) -> list[Sample]:
        """All examples, errors first (most confident errors first), then correct ones
        (least confident first)."""
        wrong = self.y_true != self.y_pred
        # Errors: descending confidence; correct: ascending confidence.
        key = np.where(wrong, -self.confidence, 1.0 + self.confidence)
        order = np.argsort(key, kind="stable")
        return [
            Sample(int(i), int(self.y_true[i]), int(self.y_pred[i]), float(self.confidence[i]))
            for i in order
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (matrix and per-class scores)."""
        return {
            "class_names": list(self.class_names),
            "matrix": self.matrix.tolist(),
            "precision": self.precision.tolist(),
            "recall": self.recall.tolist(),
            "f1": self.f1.tolist(),
            "support": self.support.tolist(),
            "accuracy": self.accuracy,
        }


def confusion_from_predictions(
    y_true: Any, scores: Any, class_names: list[str] | None = None
) -> ConfusionResult:
    """Confusion result from labels (integers or one-hot) and class scores (N, C),
    or predicted integer classes (N,) (confidence 1 then)."""
    scores = np.asarray(scores)
    y_true = np.asarray(y_true)
    if y_true.ndim == 2 and y_true.shape[1] > 1:
        y_true = y_true.argmax(axis=1)
    y_true = y_true.reshape(-1).astype(int)
    if scores.ndim == 2 and scores.shape[1] == 1:  # one sigmoid unit: two classes
        p = scores[:, 0]
        scores = np.stack([1 - p, p], axis=1)
    if scores.ndim == 2:
        y_pred = scores.argmax(axis=1)
        confidence = scores.max(axis=1).astype(float)
        n_classes = scores.shape[1]
    elif scores.ndim == 1:
        y_pred = scores.astype(int)
        confidence = np.ones(len(y_pred))
        n_classes = int(max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    else:
        raise ValueError(
            f"Expected scores of shape (N, C) or predicted classes (N,), "
            f"received shape {scores.shape}"
        )
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"Expected as many labels as predictions, received {len(y_true)} "
            f"labels and {len(y_pred)} predictions"
        )
    names = list(class_names) if class_names else [str(i) for i in range(n_classes)]
    if len(names) != n_classes:
        raise ValueError(f"Expected {n_classes} class names, received {len(names)}")
    matrix = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(matrix, (y_true, y_pred), 1)
    return ConfusionResult(matrix, names, y_true, y_pred, confidence)


def predict_with_targets(
    model: keras.Model, data: Any, batch_size: int = 128, output: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(targets, predictions) of one output over ``data`` (arrays or tf.data of (x, y))."""
    if _is_dataset(data):
        ys, ps = [], []
        for x, y in data:
            pred = model(x, training=False)
            pred = pred[output] if isinstance(pred, list | tuple) else pred
            y = (
                list(y.values())[output]
                if isinstance(y, dict)
                else (y[output] if isinstance(y, list | tuple) else y)
            )
            ys.append(np.asarray(y))
            ps.append(np.asarray(pred))
        return np.concatenate(ys), np.concatenate(ps)
    x, y, _ = _split_arrays(data)
    pred = model.predict(x, batch_size=batch_size, verbose=0)
    pred = pred[output] if isinstance(pred, list | tuple) else pred
    if isinstance(y, dict):
        y = list(y.values())[output]
    elif isinstance(y, list | tuple):
        y = y[output]
    return np.asarray(y), np.asarray(pred)


def classification_results(
    model: keras.Model,
    data: Any,
    class_names: list[str] | None = None,
    output: int = 0,
    batch_size: int = 128,
) -> ConfusionResult:
    """Confusion matrix and samples of a classification output on ``data``."""
    y, pred = predict_with_targets(model, data, batch_size, output)
    return confusion_from_predictions(y, pred, class_names)


@dataclass
class RegressionResult:
    """Predicted against true values of a regression output, with RMSE and MAE."""

    y_true: np.ndarray
    y_pred: np.ndarray

    @property
    def rmse(self) -> float:
        """Root mean squared error."""
        return float(np.sqrt(np.mean((self.y_true - self.y_pred) ** 2)))

    @property
    def mae(self) -> float:
        """Mean absolute error."""
        return float(np.mean(np.abs(self.y_true - self.y_pred)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary with the arrays as lists."""
        return {
            "rmse": self.rmse,
            "mae": self.mae,
            "y_true": self.y_true.tolist(),
            "y_pred": self.y_pred.tolist(),
        }


def regression_results(
    model: keras.Model, data: Any, output: int = 0, batch_size: int = 128
) -> RegressionResult:
    """Predicted-vs-true arrays and errors of a regression output on ``data``."""
    y, pred = predict_with_targets(model, data, batch_size, output)
    y = y.astype(float).reshape(len(y), -1)
    pred = pred.astype(float).reshape(len(pred), -1)
    if y.shape != pred.shape:
        raise ValueError(
            f"Expected targets shaped like the predictions {pred.shape}, received {y.shape}"
        )
    return RegressionResult(y, pred)
