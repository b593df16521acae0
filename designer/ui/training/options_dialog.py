"""The Training Options dialog: every TrainingOptions field, grouped, defaults shown."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from designer.training import options as opt
from designer.training.options import OptionsError, TrainingOptions

GROUPS: dict[str, list[str]] = {
    "Solver": [
        "solver",
        "initial_learn_rate",
        "momentum",
        "beta1",
        "beta2",
        "rho",
        "epsilon",
        "weight_decay",
    ],
    "Schedule": [
        "schedule",
        "drop_factor",
        "drop_period",
        "decay_rate",
        "min_learn_rate",
        "warmup_epochs",
    ],
    "Data": ["mini_batch_size", "max_epochs", "validation_frequency", "shuffle"],
    "Regularization": [
        "l2_regularization",
        "l2_factors",
        "gradient_clipping",
        "gradient_threshold",
        "lr_factors",
    ],
    "Stopping": [
        "validation_patience",
        "monitor",
        "min_delta",
        "restore_best",
        "checkpoint_dir",
        "checkpoint_every",
        "checkpoint_best_only",
    ],
    "Loss and metrics": ["losses", "from_logits", "metrics"],
    "Environment": [
        "seed",
        "execution_environment",
        "devices",
        "mixed_precision",
        "backend",
        "tensorboard_dir",
    ],
}
CHOICES = {
    "solver": opt.SOLVERS,
    "schedule": opt.SCHEDULES,
    "shuffle": opt.SHUFFLES,
    "gradient_clipping": opt.CLIPPINGS,
    "execution_environment": opt.ENVIRONMENTS,
    "mixed_precision": opt.PRECISIONS,
    "backend": opt.BACKENDS,
}
INTS = ("drop_period", "warmup_epochs", "mini_batch_size", "max_epochs", "checkpoint_every")
OPTIONAL_INTS = ("validation_patience", "seed")
BOOLS = ("restore_best", "checkpoint_best_only")
OPTIONAL_TEXT = ("checkpoint_dir", "tensorboard_dir")
JSON_FIELDS = ("l2_factors", "lr_factors", "losses")
LISTS = ("metrics", "devices")
HINTS = {
    "validation_frequency": 'iterations between validations, or "epoch"',
    "validation_patience": "validation checks without improvement before stopping; empty = never",
    "l2_factors": 'JSON, e.g. {"conv1": 0.5}: multiplier of the L2 factor per layer',
    "lr_factors": 'JSON, e.g. {"fc": [10, 20]}: (weights, bias) learn-rate factors per layer',
    "losses": 'JSON, e.g. {"output": "mse"}; empty = chosen from each output',
    "metrics": "comma-separated, e.g. accuracy, top5_accuracy; empty = chosen from the task",
    "devices": "comma-separated device names; empty = all of the chosen environment",
    "seed": "empty = a different run each time",
    "monitor": "metric watched by early stopping and best checkpoints",
}
DEFAULTS = TrainingOptions()


class TrainingOptionsDialog(QDialog):
    """Edit training options; ``options()`` returns the validated result after Accept."""

    def __init__(
        self, values: dict[str, Any] | TrainingOptions | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Training Options")
        self.widgets: dict[str, QWidget] = {}
        tabs = QTabWidget()
        for title, names in GROUPS.items():
            page = QWidget()
            form = QFormLayout(page)
            for name in names:
                widget = self._make(name)
                self.widgets[name] = widget
                default = _show(getattr(DEFAULTS, name))
                label = QLabel(name.replace("_", " ").capitalize() + ":")
                tip = f"{name} (default: {default})"
                if name in HINTS:
                    tip += f"\n{HINTS[name]}"
                label.setToolTip(tip)
                widget.setToolTip(tip)
                form.addRow(label, widget)
            tabs.addTab(page, title)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #a00000;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            lambda: self.set_options(TrainingOptions())
        )
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        if isinstance(values, dict):
            values = TrainingOptions.from_dict(values)
        self.set_options(values or TrainingOptions())
        self._result: TrainingOptions | None = None

    def _make(self, name: str) -> QWidget:
        if name in CHOICES:
            box = QComboBox()
            box.addItems(list(CHOICES[name]))
            return box
        if name in INTS:
            spin = QSpinBox()
            spin.setRange(0 if name == "warmup_epochs" else 1, 10_000_000)
            return spin
        if name in BOOLS:
            return QCheckBox()
        if name == "from_logits":
            box = QComboBox()
            box.addItems(["auto", "yes", "no"])
            return box
        if name in ("validation_frequency", "monitor"):
            box = QComboBox()
            box.setEditable(True)
            box.addItems(
                ["epoch"]
                if name == "validation_frequency"
                else ["val_loss", "val_accuracy", "loss", "accuracy"]
            )
            return box
        edit = QLineEdit()
        default = getattr(DEFAULTS, name)
        edit.setPlaceholderText("none" if default in (None, {}) else _show(default))
        return edit

    # -- values -----------------------------------------------------------------------
    def set_options(self, options: TrainingOptions) -> None:
        """Show ``options`` in the widgets."""
        for name, widget in self.widgets.items():
            value = getattr(options, name)
            if isinstance(widget, QSpinBox):
                widget.setValue(int(value))
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QComboBox):
                if name == "from_logits":
                    value = {None: "auto", True: "yes", False: "no"}[value]
                widget.setCurrentText(str(value))
            else:
                widget.setText(_show(value) if value not in (None, {}, []) else "")
        self.error.setText("")

    def raw_values(self) -> dict[str, Any]:
        """The widgets' values as TrainingOptions keyword arguments (not yet validated)."""
        out: dict[str, Any] = {}
        problems: list[str] = []
        for name, widget in self.widgets.items():
            try:
                out[name] = self._read(name, widget)
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
        if problems:
            raise OptionsError("Invalid training options:\n- " + "\n- ".join(problems))
        return out

    def _read(self, name: str, widget: QWidget) -> Any:
        if isinstance(widget, QSpinBox):
            return widget.value()
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QComboBox):
            text = widget.currentText().strip()
            if name == "from_logits":
                return {"auto": None, "yes": True, "no": False}[text]
            if name == "validation_frequency":
                return text if text == "epoch" else _int(text)
            return text
        text = widget.text().strip()
        if name in OPTIONAL_INTS:
            return _int(text) if text else None
        if name in OPTIONAL_TEXT:
            return text or None
        if name in LISTS:
            items = [t.strip() for t in text.split(",") if t.strip()]
            return items or None
        if name in JSON_FIELDS:
            if not text:
                return None if name == "losses" else {}
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"expected JSON such as {HINTS[name].split(': ')[0]}, "
                    f"received {text!r} ({exc.msg})"
                ) from exc
        try:
            return float(text) if text else getattr(DEFAULTS, name)
        except ValueError:
            raise ValueError(f"expected a number, received {text!r}") from None

    def options(self) -> TrainingOptions:
        """The validated options (raises OptionsError listing every problem)."""
        return TrainingOptions(**self.raw_values())

    def accept(self) -> None:
        """Close only when the options are valid; otherwise show the problems."""
        try:
            self._result = self.options()
        except (OptionsError, TypeError) as exc:
            self.error.setText(str(exc))
            return
        super().accept()

    @property
    def result_options(self) -> TrainingOptions | None:
        """The accepted options (None before a successful Accept)."""
        return self._result


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected an integer, received {text!r}") from None


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in value.items()})
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "none" if value is None else str(value)


def changed_fields(options: TrainingOptions) -> list[str]:
    """Names of the fields that differ from the defaults."""
    return [
        f.name
        for f in dataclasses.fields(TrainingOptions)
        if getattr(options, f.name) != getattr(DEFAULTS, f.name)
    ]
