"""Training options: one plain dataclass, validated, JSON-able for the project file.

Defaults follow MATLAB's ``trainingOptions("sgdm")`` where that makes sense for Keras.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

OPTIONS_VERSION = 1

SOLVERS = ("sgdm", "adam", "adamw", "rmsprop", "nadam")
SCHEDULES = ("none", "piecewise", "cosine", "exponential")
SHUFFLES = ("never", "once", "every-epoch")
CLIPPINGS = ("none", "norm", "global_norm", "value")
ENVIRONMENTS = ("auto", "cpu", "gpu", "multi-gpu", "multi-worker")
PRECISIONS = ("none", "float16", "bfloat16")
BACKENDS = ("tensorflow", "jax", "torch")
LOSSES = (
    "auto",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_crossentropy",
    "mse",
    "mae",
)
METRICS = ("accuracy", "top5_accuracy", "rmse", "mae", "mean_iou")
FOLDERS = ("checkpoint_dir", "tensorboard_dir")  # the options that name a folder to write


class OptionsError(ValueError):
    """Raised when training options are invalid; the message lists every problem."""


@dataclass(frozen=True)
class TrainingOptions:
    """Everything that configures one training run (solver, schedule, data, stops, devices)."""

    # Solver and its parameters.
    solver: str = "sgdm"
    initial_learn_rate: float = 0.01
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    rho: float = 0.9  # rmsprop squared-gradient decay
    epsilon: float = 1e-7
    weight_decay: float = 0.004  # adamw only
    # Learning-rate schedule (epochs), optionally after a linear warm-up.
    schedule: str = "none"
    drop_factor: float = 0.1
    drop_period: int = 10
    decay_rate: float = 0.9  # exponential: factor per epoch
    min_learn_rate: float = 0.0  # cosine floor
    warmup_epochs: int = 0
    # Data.
    mini_batch_size: int = 128
    max_epochs: int = 30
    validation_frequency: int | str = 50  # iterations, or "epoch"
    shuffle: str = "once"
    # Regularisation and clipping.
    l2_regularization: float = 1e-4
    l2_factors: dict[str, float] = field(default_factory=dict)
    gradient_clipping: str = "none"
    gradient_threshold: float = 1.0
    lr_factors: dict[str, tuple[float, float]] = field(default_factory=dict)
    # Adversarial training (designer/training/adversarial.py): this share of every batch
    # replaced by FGSM examples at this epsilon (a fraction of the value range; 0 = off).
    adversarial_epsilon: float = 0.0
    adversarial_ratio: float = 0.5
    # Early stopping and checkpoints.
    validation_patience: int | None = None  # validation checks without improvement
    monitor: str = "val_loss"
    min_delta: float = 0.0
    restore_best: bool = True
    checkpoint_dir: str | None = None
    checkpoint_every: int = 1  # epochs
    checkpoint_best_only: bool = False
    # Loss and metrics (None = chosen from the task of each output).
    losses: dict[str, str] | None = None
    from_logits: bool | None = None
    metrics: list[str] | None = None
    # Environment.
    seed: int | None = None
    execution_environment: str = "auto"
    devices: list[str] | None = None
    mixed_precision: str = "none"
    backend: str = "tensorflow"
    tensorboard_dir: str | None = None
    # Data-parallel workers that ``train`` starts on this machine (1: train in the process;
    # docs/multi_worker.md).
    workers: int = 1

    def __post_init__(self) -> None:
        factors = {
            str(k): (float(v[0]), float(v[1])) if _is_pair(v) else v
            for k, v in (self.lr_factors or {}).items()
        }
        object.__setattr__(self, "lr_factors", factors)  # frozen: normalised once, here
        problems = self.problems()
        if problems:
            raise OptionsError("Invalid training options:\n- " + "\n- ".join(problems))

    def problems(self) -> list[str]:
        """Every problem with these options, as sentences (empty when valid)."""
        p: list[str] = []
        _choice(p, "solver", self.solver, SOLVERS)
        _choice(p, "schedule", self.schedule, SCHEDULES)
        _choice(p, "shuffle", self.shuffle, SHUFFLES)
        _choice(p, "gradient_clipping", self.gradient_clipping, CLIPPINGS)
        _choice(p, "execution_environment", self.execution_environment, ENVIRONMENTS)
        _choice(p, "mixed_precision", self.mixed_precision, PRECISIONS)
        _choice(p, "backend", self.backend, BACKENDS)
        _positive(p, "initial_learn_rate", self.initial_learn_rate)
        _positive(p, "epsilon", self.epsilon)
        _positive(p, "gradient_threshold", self.gradient_threshold)
        for name in ("momentum", "beta1", "beta2", "rho"):
            _in_unit(p, name, getattr(self, name), upper_open=True)
        _in_unit(p, "drop_factor", self.drop_factor, upper_open=False)
        _in_unit(p, "decay_rate", self.decay_rate, upper_open=False)
        _in_unit(p, "adversarial_epsilon", self.adversarial_epsilon, upper_open=False)
        _in_unit(p, "adversarial_ratio", self.adversarial_ratio, upper_open=False)
        _non_negative(p, "weight_decay", self.weight_decay)
        _non_negative(p, "l2_regularization", self.l2_regularization)
        _non_negative(p, "min_delta", self.min_delta)
        _non_negative(p, "min_learn_rate", self.min_learn_rate)
        _positive_int(p, "drop_period", self.drop_period)
        _positive_int(p, "mini_batch_size", self.mini_batch_size)
        _positive_int(p, "max_epochs", self.max_epochs)
        _positive_int(p, "checkpoint_every", self.checkpoint_every)
        _positive_int(p, "workers", self.workers)
        if not _is_int(self.warmup_epochs) or self.warmup_epochs < 0:
            p.append(f"warmup_epochs: expected an integer >= 0, received {self.warmup_epochs!r}")
        if self.validation_frequency != "epoch":
            _positive_int(p, "validation_frequency", self.validation_frequency, extra=' or "epoch"')
        if self.validation_patience is not None:
            _positive_int(p, "validation_patience", self.validation_patience, extra=" or None")
        if self.seed is not None and not _is_int(self.seed):
            p.append(f"seed: expected an integer or None, received {self.seed!r}")
        for name, factor in self.l2_factors.items():
            if not _is_number(factor) or factor < 0:
                p.append(f"l2_factors[{name!r}]: expected a number >= 0, received {factor!r}")
        for name, pair in self.lr_factors.items():
            if not _is_pair(pair) or min(pair) < 0:
                p.append(
                    f"lr_factors[{name!r}]: expected (weight_factor, bias_factor) with "
                    f"numbers >= 0, received {pair!r}"
                )
        if self.losses is not None:
            if not isinstance(self.losses, dict):
                p.append(f"losses: expected a dict output name -> loss, received {self.losses!r}")
            else:
                for out, loss in self.losses.items():
                    _choice(p, f"losses[{out!r}]", loss, LOSSES)
        if self.metrics is not None:
            if not isinstance(self.metrics, list | tuple):
                p.append(f"metrics: expected a list of names, received {self.metrics!r}")
            else:
                for m in self.metrics:
                    _choice(p, "metrics", m, METRICS)
        for name in FOLDERS:
            folder = getattr(self, name)
            if folder is not None and (not isinstance(folder, str) or "\x00" in folder):
                p.append(f"{name}: expected a folder path or None, received {folder!r}")
        if self.devices is not None and not all(isinstance(d, str) for d in self.devices):
            p.append(f"devices: expected a list of device names, received {self.devices!r}")
        if not isinstance(self.monitor, str) or not self.monitor:
            p.append(
                f"monitor: expected a metric name such as 'val_loss', received {self.monitor!r}"
            )
        return p

    @property
    def validate_per_epoch(self) -> bool:
        """True when validation runs once per epoch rather than every N iterations."""
        return self.validation_frequency == "epoch"

    def replace(self, **changes: Any) -> TrainingOptions:
        """A validated copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (tuples become lists), with a format version."""
        d = dataclasses.asdict(self)
        d["lr_factors"] = {k: [v[0], v[1]] for k, v in self.lr_factors.items()}
        if d["devices"] is not None:
            d["devices"] = list(d["devices"])
        if d["metrics"] is not None:
            d["metrics"] = list(d["metrics"])
        # Newer keys: at their defaults, written as files were before them.
        for key in ("adversarial_epsilon", "adversarial_ratio", "workers"):
            if d[key] == _DEFAULTS[key]:
                d.pop(key)
        d["version"] = OPTIONS_VERSION
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingOptions:
        """Options from :meth:`to_dict` output; unknown keys or versions are refused."""
        if not isinstance(data, dict):
            raise OptionsError(
                f"Expected a dict of training options, received {type(data).__name__}"
            )
        data = dict(data)
        version = data.pop("version", OPTIONS_VERSION)
        if not _is_int(version) or version > OPTIONS_VERSION:
            raise OptionsError(
                f"Training options version {version!r} is newer than this program "
                f"understands (at most {OPTIONS_VERSION})"
            )
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise OptionsError(
                f"Unknown training option(s) {unknown}; expected some of {sorted(known)}"
            )
        try:
            return cls(**data)
        except (TypeError, AttributeError) as exc:  # e.g. lr_factors that is not an object
            raise OptionsError(f"Invalid training options: {exc}") from exc


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _is_pair(v: Any) -> bool:
    return isinstance(v, list | tuple) and len(v) == 2 and all(_is_number(x) for x in v)


def _choice(p: list[str], name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        p.append(f"{name}: expected one of {', '.join(allowed)}; received {value!r}")


def _positive(p: list[str], name: str, value: Any) -> None:
    if not _is_number(value) or value <= 0:
        p.append(f"{name}: expected a number > 0, received {value!r}")


def _non_negative(p: list[str], name: str, value: Any) -> None:
    if not _is_number(value) or value < 0:
        p.append(f"{name}: expected a number >= 0, received {value!r}")


def _positive_int(p: list[str], name: str, value: Any, extra: str = "") -> None:
    if not _is_int(value) or value < 1:
        p.append(f"{name}: expected an integer >= 1{extra}, received {value!r}")


def _in_unit(p: list[str], name: str, value: Any, upper_open: bool) -> None:
    ok = _is_number(value) and value >= 0 and (value < 1 if upper_open else value <= 1)
    if not ok:
        bound = "[0, 1)" if upper_open else "[0, 1]"
        p.append(f"{name}: expected a number in {bound}, received {value!r}")


_DEFAULTS = {f.name: f.default for f in dataclasses.fields(TrainingOptions)}
