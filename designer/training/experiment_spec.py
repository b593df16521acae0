"""An experiment's definition, as kept in the project: what varies, how it is searched, what
is optimised and the budget. Plain data, no Optuna (see :mod:`designer.training.sweep`).

A parameter's ``target`` names what it changes:

- ``training.<option>``: a :class:`~designer.training.options.TrainingOptions` field
  (``training.initial_learn_rate``, ``training.mini_batch_size``),
- ``augmentation.<field>``: an augmentation setting (``augmentation.rotation``),
- ``layer.<layer name>.<parameter>``: a layer parameter (``layer.drop1.rate``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

STRATEGIES = ("grid", "random", "tpe")
KINDS = ("list", "range", "log", "choice")  # list/choice: the values given; range/log: low..high
PRUNERS = ("none", "median", "hyperband")
DIRECTIONS = ("auto", "minimize", "maximize")
SECTIONS = ("training", "augmentation", "layer")
GRID_POINTS = 3  # values a range takes in a grid search unless it says otherwise


class ExperimentError(ValueError):
    """An experiment definition or search space is invalid; the message says what and why."""


@dataclass(frozen=True)
class Parameter:
    """One varying setting: its target and its values (a list, a choice or a range)."""

    target: str
    kind: str = "list"
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    step: float | None = None  # range only: the grid of a linear range, or int steps
    integer: bool = False  # range only: whole numbers (batch sizes, filters)
    points: int = GRID_POINTS  # grid strategy: how many values a range takes

    @property
    def section(self) -> str:
        """``training``, ``augmentation`` or ``layer``."""
        return self.target.split(".", 1)[0]

    @property
    def label(self) -> str:
        """A short column title: ``initial_learn_rate``, ``drop1.rate``."""
        return self.target.split(".", 1)[1] if "." in self.target else self.target

    def grid_values(self) -> list[Any]:
        """The values this parameter takes in a grid search."""
        if self.kind in ("list", "choice"):
            return list(self.values)
        assert self.low is not None and self.high is not None
        if self.kind == "range" and self.step:
            count = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
            out = [self.low + i * self.step for i in range(count)]
        elif self.kind == "log":
            ratio = (self.high / self.low) ** (1 / max(self.points - 1, 1))
            out = [self.low * ratio**i for i in range(self.points)]
        else:
            width = (self.high - self.low) / max(self.points - 1, 1)
            out = [self.low + i * width for i in range(self.points)]
        out = [float(f"{v:.6g}") for v in out]
        if self.integer:
            return sorted({int(round(v)) for v in out})
        return out

    def validate(self) -> list[str]:
        """Problems, one sentence each (empty when valid)."""
        problems: list[str] = []
        if self.section not in SECTIONS or self.target.count(".") < (
            2 if self.section == "layer" else 1
        ):
            problems.append(
                f"parameter {self.target!r}: expected a target 'training.<option>', "
                "'augmentation.<setting>' or 'layer.<layer name>.<parameter>'"
            )
        if self.kind not in KINDS:
            problems.append(
                f"parameter {self.target!r}: expected a kind among {', '.join(KINDS)}, "
                f"received {self.kind!r}"
            )
        elif self.kind in ("list", "choice"):
            if not self.values:
                problems.append(f"parameter {self.target!r}: expected at least one value")
            elif len({repr(v) for v in self.values}) != len(self.values):
                problems.append(f"parameter {self.target!r}: a value is listed twice")
        else:
            problems += self._range_problems()
        return problems

    def _range_problems(self) -> list[str]:
        name = f"parameter {self.target!r}"
        if not all(_finite(v) for v in (self.low, self.high)):
            return [f"{name}: a {self.kind} expects finite numbers low and high"]
        assert self.low is not None and self.high is not None
        problems = []
        if not self.low < self.high:
            problems.append(f"{name}: expected low < high, received {self.low} and {self.high}")
        if self.kind == "log" and self.low <= 0:
            problems.append(f"{name}: a log range expects low > 0, received {self.low}")
        if self.step is not None and not (_finite(self.step) and self.step > 0):
            problems.append(f"{name}: expected a step > 0, received {self.step}")
        if self.kind == "log" and self.step is not None:
            problems.append(f"{name}: a log range takes no step")
        if not 2 <= self.points <= 100:
            problems.append(f"{name}: expected 2 to 100 grid points, received {self.points}")
        return problems

    def to_dict(self) -> dict[str, Any]:
        """Plain data, defaults left out."""
        out: dict[str, Any] = {"target": self.target, "kind": self.kind}
        if self.kind in ("list", "choice"):
            out["values"] = list(self.values)
        else:
            out["low"], out["high"] = self.low, self.high
            for name in ("step", "integer", "points"):
                value = getattr(self, name)
                if value != _PARAMETER_DEFAULTS[name]:
                    out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Parameter:
        """A checked Parameter from plain data; ExperimentError says what is wrong."""
        if not isinstance(data, dict) or not isinstance(data.get("target"), str):
            raise ExperimentError(
                f"expected a parameter as an object with a 'target' string, received {data!r}"[:200]
            )
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ExperimentError(
                f"parameter {data['target']!r}: unknown keys {', '.join(sorted(unknown))}"
            )
        values = data.get("values", ())
        if not isinstance(values, list | tuple) or not all(_plain(v) for v in values):
            raise ExperimentError(
                f"parameter {data['target']!r}: expected 'values' as a list of numbers, strings "
                "or booleans"
            )
        numbers = {k: data.get(k) for k in ("low", "high", "step")}
        for key, value in numbers.items():
            if value is not None and (isinstance(value, bool) or not _finite(value)):
                raise ExperimentError(
                    f"parameter {data['target']!r}: expected {key} as a number, received {value!r}"
                )
        points = data.get("points", GRID_POINTS)
        if isinstance(points, bool) or not isinstance(points, int):
            raise ExperimentError(f"parameter {data['target']!r}: expected points as an integer")
        param = cls(
            target=data["target"],
            kind=str(data.get("kind", "list")),
            values=tuple(values),
            low=_number(numbers["low"]),
            high=_number(numbers["high"]),
            step=_number(numbers["step"]),
            integer=bool(data.get("integer", False)),
            points=points,
        )
        problems = param.validate()
        if problems:
            raise ExperimentError("; ".join(problems))
        return param


_PARAMETER_DEFAULTS = {"step": None, "integer": False, "points": GRID_POINTS}


@dataclass(frozen=True)
class ExperimentSpec:
    """What an experiment varies and how: strategy, objective, budget and pruning."""

    parameters: tuple[Parameter, ...] = ()
    strategy: str = "tpe"
    objective: str = "val_loss"  # any metric of the history: val_accuracy, loss, val_mae...
    direction: str = "auto"  # auto: minimise losses and errors, maximise the rest
    trials: int = 8
    timeout_s: float | None = None  # wall-time budget of one invocation
    pruner: str = "none"
    epochs: int | None = None  # epochs per trial (default: the project's max_epochs)
    seed: int | None = 0

    @property
    def empty(self) -> bool:
        """True when nothing varies (the project has no experiment)."""
        return not self.parameters

    @property
    def resolved_direction(self) -> str:
        """``minimize`` or ``maximize`` (``auto`` decided from the objective's name)."""
        if self.direction != "auto":
            return self.direction
        name = self.objective.removeprefix("val_")
        lower = name in ("loss", "mae", "mse", "rmse") or name.endswith("loss")
        return "minimize" if lower else "maximize"

    def parameter(self, target: str) -> Parameter | None:
        """The parameter with ``target``, if any."""
        return next((p for p in self.parameters if p.target == target), None)

    def with_parameter(self, param: Parameter) -> ExperimentSpec:
        """A copy with ``param`` added, or replacing the one with its target."""
        kept = tuple(p for p in self.parameters if p.target != param.target)
        return dataclasses.replace(self, parameters=(*kept, param))

    def without(self, target: str) -> ExperimentSpec:
        """A copy without the parameter ``target``."""
        return dataclasses.replace(
            self, parameters=tuple(p for p in self.parameters if p.target != target)
        )

    def replace(self, **changes: Any) -> ExperimentSpec:
        """A validated copy with some fields changed."""
        spec = dataclasses.replace(self, **changes)
        spec.check()
        return spec

    def grid_size(self) -> int:
        """How many trials a full grid takes."""
        size = 1
        for p in self.parameters:
            size *= len(p.grid_values())
        return size

    def validate(self) -> list[str]:
        """Problems, one sentence each (empty when valid)."""
        problems = [text for p in self.parameters for text in p.validate()]
        targets = [p.target for p in self.parameters]
        if len(set(targets)) != len(targets):
            problems.append("a parameter is listed twice")
        for name, allowed in (
            ("strategy", STRATEGIES),
            ("direction", DIRECTIONS),
            ("pruner", PRUNERS),
        ):
            if getattr(self, name) not in allowed:
                problems.append(
                    f"expected {name} among {', '.join(allowed)}, received {getattr(self, name)!r}"
                )
        if not self.objective or not isinstance(self.objective, str):
            problems.append("expected an objective metric name such as val_loss")
        if isinstance(self.trials, bool) or not isinstance(self.trials, int) or self.trials < 1:
            problems.append(f"expected trials >= 1, received {self.trials!r}")
        if self.timeout_s is not None and not (_finite(self.timeout_s) and self.timeout_s > 0):
            problems.append(f"expected a timeout > 0 seconds, received {self.timeout_s!r}")
        if self.epochs is not None and (
            isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 1
        ):
            problems.append(f"expected epochs per trial >= 1, received {self.epochs!r}")
        return problems

    def check(self) -> None:
        """Raise ExperimentError listing every problem."""
        problems = self.validate()
        if problems:
            raise ExperimentError("The experiment is invalid: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the project file ({} for the empty default)."""
        if self == ExperimentSpec():
            return {}
        out: dict[str, Any] = {"parameters": [p.to_dict() for p in self.parameters]}
        for f in dataclasses.fields(self):
            if f.name != "parameters" and getattr(self, f.name) != f.default:
                out[f.name] = getattr(self, f.name)
        return out

    @classmethod
    def from_dict(cls, data: Any) -> ExperimentSpec:
        """A checked spec from plain data (a project's experiment section or a space file)."""
        if data is None or data == {}:
            return cls()
        if not isinstance(data, dict):
            raise ExperimentError(f"expected the experiment as an object, received {data!r}"[:200])
        allowed = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - allowed
        if unknown:
            raise ExperimentError(f"unknown experiment keys: {', '.join(sorted(unknown))}")
        raw = data.get("parameters", [])
        if not isinstance(raw, list):
            raise ExperimentError("expected 'parameters' as a list")
        fields: dict[str, Any] = {k: v for k, v in data.items() if k != "parameters"}
        timeout = fields.get("timeout_s")
        if isinstance(timeout, int) and not isinstance(timeout, bool):
            fields["timeout_s"] = float(timeout)
        spec = cls(parameters=tuple(Parameter.from_dict(p) for p in raw), **fields)
        spec.check()
        return spec


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _plain(value: Any) -> bool:
    return isinstance(value, str | bool) or _finite(value)
