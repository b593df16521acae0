"""Detection metrics during training: a callback that puts COCO mAP
(:mod:`designer.training.coco_eval`) into each epoch's logs (``val_map50``, ``val_map``) for
the curves and the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from designer.training.coco_eval import MAP, MAP50, coco_map, predict_all

__all__ = ["MAP", "MAP50", "DetectionMetrics", "coco_map", "predict_all"]


class DetectionMetrics(keras.callbacks.Callback):
    """Computes COCO mAP@0.5 and mAP@[.5:.95] on validation data after every ``every``
    epochs into the logs as ``val_map50`` and ``val_map`` (list it before the callbacks
    that read the logs: the history and the designer's progress callback)."""

    def __init__(
        self,
        validation_data: Any,
        class_names: Sequence[str] | int,
        every: int = 1,
        prefix: str = "val_",
        box_format: str = "xyxy",
    ) -> None:
        super().__init__()
        self.validation_data = validation_data
        self.class_names = class_names
        self.every = max(1, int(every))
        self.prefix = prefix
        self.box_format = box_format
        self.last: dict[str, float] = {}

    def evaluate(self) -> dict[str, float]:
        """The metrics of the model now (no epoch needed)."""
        truth, found = predict_all(self.model, self.validation_data)
        return coco_map(truth, found, self.class_names, self.box_format)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if (epoch + 1) % self.every:
            return
        self.last = self.evaluate()
        if logs is not None:
            logs.update({self.prefix + key: value for key, value in self.last.items()})
