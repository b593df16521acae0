"""Training: options, trainer, progress sinks, transfer learning and result analysis. No Qt.

The names below are imported from their submodules on first use (PEP 562, :mod:`designer.core.lazy`), so that
the window can import ``designer.training.options`` before Keras has been imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from designer.core.lazy import lazy_exports

if TYPE_CHECKING:
    from designer.training.callback import TrainingControl
    from designer.training.console import ConsoleProgressSink, train_model
    from designer.training.environment import (
        DevicePlan,
        available_backends,
        current_backend,
        list_devices,
        plan_devices,
    )
    from designer.training.events import (
        EpochSummary,
        IterationPoint,
        MultiSink,
        PhaseEvent,
        RunInfo,
        Status,
        StatusEvent,
        TrainingSink,
        ValidationPoint,
    )
    from designer.training.features import measure_feature_speedup, train_head_on_features
    from designer.training.history import TrainingResult
    from designer.training.options import OptionsError, TrainingOptions
    from designer.training.recording import RecordingSink
    from designer.training.results import (
        ConfusionResult,
        RegressionResult,
        classification_results,
        confusion_from_predictions,
        regression_results,
    )
    from designer.training.tasks import default_loss_for, describe_outputs, infer_task
    from designer.training.trainer import Trainer, TrainingConfigError
    from designer.training.transfer import TwoPhaseResult, TwoPhaseTrainer, train_two_phase

_EXPORTS = {
    "designer.training.callback": ("TrainingControl",),
    "designer.training.console": (
        "ConsoleProgressSink",
        "train_model",
    ),
    "designer.training.environment": (
        "DevicePlan",
        "available_backends",
        "current_backend",
        "list_devices",
        "plan_devices",
    ),
    "designer.training.events": (
        "EpochSummary",
        "IterationPoint",
        "MultiSink",
        "PhaseEvent",
        "RunInfo",
        "Status",
        "StatusEvent",
        "TrainingSink",
        "ValidationPoint",
    ),
    "designer.training.features": (
        "measure_feature_speedup",
        "train_head_on_features",
    ),
    "designer.training.history": ("TrainingResult",),
    "designer.training.options": (
        "OptionsError",
        "TrainingOptions",
    ),
    "designer.training.recording": ("RecordingSink",),
    "designer.training.results": (
        "ConfusionResult",
        "RegressionResult",
        "classification_results",
        "confusion_from_predictions",
        "regression_results",
    ),
    "designer.training.tasks": (
        "default_loss_for",
        "describe_outputs",
        "infer_task",
    ),
    "designer.training.trainer": (
        "Trainer",
        "TrainingConfigError",
    ),
    "designer.training.transfer": (
        "TwoPhaseResult",
        "TwoPhaseTrainer",
        "train_two_phase",
    ),
}
__getattr__ = lazy_exports(globals(), _EXPORTS)

__all__ = [
    "ConfusionResult",
    "ConsoleProgressSink",
    "DevicePlan",
    "EpochSummary",
    "IterationPoint",
    "MultiSink",
    "OptionsError",
    "PhaseEvent",
    "RecordingSink",
    "RegressionResult",
    "RunInfo",
    "Status",
    "StatusEvent",
    "Trainer",
    "TrainingConfigError",
    "TrainingControl",
    "TrainingOptions",
    "TrainingResult",
    "TrainingSink",
    "TwoPhaseResult",
    "TwoPhaseTrainer",
    "ValidationPoint",
    "available_backends",
    "classification_results",
    "confusion_from_predictions",
    "current_backend",
    "default_loss_for",
    "describe_outputs",
    "infer_task",
    "list_devices",
    "measure_feature_speedup",
    "plan_devices",
    "regression_results",
    "train_head_on_features",
    "train_model",
    "train_two_phase",
]
