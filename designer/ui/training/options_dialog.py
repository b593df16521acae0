"""The Training Options dialog: every TrainingOptions field, grouped, defaults shown."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from designer.app.run_dirs import confirm_folder, is_confirmed
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
        "adversarial_epsilon",
        "adversarial_ratio",
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
        "workers",
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
INTS = (
    "drop_period",
    "warmup_epochs",
    "mini_batch_size",
    "max_epochs",
    "checkpoint_every",
    "workers",
)
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
    "workers": "data-parallel worker processes on this machine (MultiWorkerMirroredStrategy, "
    "each on a shard of the data); 1 = train in the app",
    "monitor": "metric watched by early stopping and best checkpoints",
    "adversarial_epsilon": "adversarial training: FGSM epsilon as a fraction of the value "
    "range (0.03 is about 8 of 255 grey levels); 0 = off",
    "adversarial_ratio": "adversarial training: share of every batch replaced by its FGSM "
    "examples (0 to 1)",
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
        self.chosen: set[str] = set()  # folder fields the user typed or picked here
        self.choosers: dict[str, QPushButton] = {}
        tabs = self.tabs = QTabWidget()
        tabs.setUsesScrollButtons(False)  # every group's tab in sight: the dialog fits them
        for title, names in GROUPS.items():
            page = QWidget()
            form = QFormLayout(page)
            for name in names:
                widget = self._make(name)
                self.widgets[name] = widget
                row = self._with_chooser(name, widget) if name in OPTIONAL_TEXT else widget
                default = _show(getattr(DEFAULTS, name))
                label = QLabel(name.replace("_", " ").capitalize() + ":")
                tip = f"{name} (default: {default})"
                if name in HINTS:
                    tip += f"\n{HINTS[name]}"
                label.setToolTip(tip)
                widget.setToolTip(tip)
                form.addRow(label, row)
            tabs.addTab(page, title)
        self.note = QLabel("")
        self.note.setWordWrap(True)
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
        layout.addWidget(self.note)
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

    def _with_chooser(self, name: str, edit: QWidget) -> QWidget:
        """The folder field with a "Choose..." button; typing or choosing confirms it."""
        assert isinstance(edit, QLineEdit)
        edit.textEdited.connect(lambda _text: self.chosen.add(name))
        button = QPushButton("Choose...")
        button.setToolTip("Pick the folder training writes to")
        button.clicked.connect(lambda: self.choose_folder(name))
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(edit, 1)
        box.addWidget(button)
        self.choosers[name] = button
        return row

    def choose_folder(self, name: str, folder: str | None = None) -> None:
        """Set the folder of ``name`` (asking with a folder dialog when ``folder`` is None)."""
        edit = self._line(name)
        if folder is None:
            start = edit.text().strip() or os.getcwd()
            folder = QFileDialog.getExistingDirectory(self, name.replace("_", " "), start)
        if folder:
            edit.setText(folder)
            self.chosen.add(name)
            self._show_unconfirmed()

    def _line(self, name: str) -> QLineEdit:
        edit = self.widgets[name]
        assert isinstance(edit, QLineEdit)
        return edit

    def _show_unconfirmed(self) -> None:
        lines = []
        for name in OPTIONAL_TEXT:
            text = self._line(name).text().strip()
            path = os.path.expanduser(text)
            if text and os.path.isabs(path) and name not in self.chosen and not is_confirmed(path):
                lines.append(
                    f"{name} {text} was read from the project file: choose it (Choose...) or "
                    "type it to let training write there."
                )
        self.note.setText("\n".join(lines))

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
        self._show_unconfirmed()

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
        """Close only when the options are valid; otherwise show the problems. Absolute
        folders typed or chosen here are confirmed for training in this session."""
        try:
            self._result = self.options()
        except (OptionsError, TypeError) as exc:
            self.error.setText(str(exc))
            return
        for name in OPTIONAL_TEXT:
            folder = getattr(self._result, name)
            if folder and name in self.chosen and os.path.isabs(os.path.expanduser(folder)):
                confirm_folder(folder)
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
