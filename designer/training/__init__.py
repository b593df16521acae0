"""Training: options, trainer, progress sinks, transfer learning and result analysis. No Qt."""

from designer.training.callback import TrainingControl
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
from designer.training.history import TrainingResult
from designer.training.options import OptionsError, TrainingOptions
from designer.training.recording import RecordingSink
from designer.training.tasks import default_loss_for, describe_outputs, infer_task
from designer.training.trainer import Trainer, TrainingConfigError

__all__ = [
    "DevicePlan",
    "EpochSummary",
    "IterationPoint",
    "MultiSink",
    "OptionsError",
    "PhaseEvent",
    "RecordingSink",
    "RunInfo",
    "Status",
    "StatusEvent",
    "Trainer",
    "TrainingConfigError",
    "TrainingControl",
    "TrainingOptions",
    "TrainingResult",
    "TrainingSink",
    "ValidationPoint",
    "available_backends",
    "current_backend",
    "default_loss_for",
    "describe_outputs",
    "infer_task",
    "list_devices",
    "plan_devices",
]
