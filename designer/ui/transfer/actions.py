"""Transfer learning in the main window: Network > Replace Head..., the layer actions
"Freeze Everything Up To Here" and "Unfreeze The Last N Blocks...", and Training >
Two-Phase Transfer Learning... ``install(window)`` is the entry point."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QUndoCommand
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer.core.errors import GraphError
from designer.core.graph import LayerGraph
from designer.core.transfer import (
    Edit,
    apply_edits,
    find_head,
    plan_freeze_until,
    plan_replace_head,
    plan_unfreeze_last,
    revert_edits,
)
from designer.ui.common.worker import show_error


class ApplyEdits(QUndoCommand):
    """A list of transfer-learning graph edits as one undo step."""

    def __init__(self, graph: LayerGraph, edits: list[Edit], text: str) -> None:
        super().__init__(text)
        self.graph, self.edits = graph, list(edits)
        self._undo: list[tuple[str, Any]] = []

    def redo(self) -> None:
        self._undo = apply_edits(self.graph, self.edits)

    def undo(self) -> None:
        revert_edits(self.graph, self._undo)


def data_classes(project: Any) -> tuple[int | None, str]:
    """(number of classes or None, a sentence) from the project's data source, if any."""
    from designer.app.data_settings import source_config
    from designer.data.registry import open_datastore

    try:
        config = source_config(project)
        if config is None:
            return None, "The project has no data yet: type the number of classes."
        store = open_datastore(config)
    except Exception as exc:  # a data problem must not stop the wizard
        return None, f"The project's data cannot be read ({exc}); type the number of classes."
    if store.task == "regression":
        return None, "The project's data is a regression task."
    return len(store.class_names), f"{len(store.class_names)} classes in the project's data."


class ReplaceHeadDialog(QDialog):
    """The Replace Head wizard: classes, task, optional extra Dense and Dropout."""

    def __init__(self, graph: LayerGraph, classes: int | None, note: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Replace Head")
        head = find_head(graph)
        names = ", ".join(graph.node(n).name for n in head.nodes)
        form = QFormLayout(self)
        form.addRow(QLabel(f"Replaces: <b>{names}</b> (after '{graph.node(head.anchor).name}')"))
        form.addRow(QLabel(note))
        self.task = QComboBox()
        self.task.addItems(["Classification", "Regression"])
        self.classes = QSpinBox()
        self.classes.setRange(2, 100000)
        self.classes.setValue(classes or 2)
        self.extra = QCheckBox("Extra Dense layer")
        self.extra_units = QSpinBox()
        self.extra_units.setRange(1, 100000)
        self.extra_units.setValue(128)
        self.dropout = QCheckBox("Dropout before the output")
        self.rate = QDoubleSpinBox()
        self.rate.setRange(0.0, 0.95)
        self.rate.setSingleStep(0.05)
        self.rate.setValue(0.5)
        form.addRow("Task", self.task)
        form.addRow("Number of classes", self.classes)
        form.addRow(self.extra, self.extra_units)
        form.addRow(self.dropout, self.rate)
        self.task.currentIndexChanged.connect(lambda i: self.classes.setEnabled(i == 0))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def choice(self) -> dict[str, Any]:
        """Keyword arguments for plan_replace_head."""
        regression = self.task.currentIndex() == 1
        return {"num_classes": 1 if regression else self.classes.value(), "regression": regression,
                "extra_dense": self.extra_units.value() if self.extra.isChecked() else None,
                "dropout": self.rate.value() if self.dropout.isChecked() else None}


class _CombinedRun:
    """A TwoPhaseTrainer for the Training Progress window: run() gives one TrainingResult
    over both phases and keeps the TwoPhaseResult in ``result``."""

    def __init__(self, trainer: Any) -> None:
        self.trainer, self.result = trainer, None

    @property
    def paused(self) -> bool:
        """Whether the current phase is paused."""
        return self.trainer.paused

    def run(self) -> Any:
        """Train both phases; the joined result."""
        self.result = self.trainer.run()
        return self.result.combined()

    def stop(self) -> None:
        """Stop the running phase and skip the next."""
        self.trainer.stop()

    def pause(self) -> None:
        """Pause the current phase."""
        self.trainer.pause()

    def resume(self) -> None:
        """Resume the current phase."""
        self.trainer.resume()


class TwoPhaseDialog(QDialog):
    """Settings of a two-phase run; Start trains it in the Training Progress window."""

    def __init__(self, frozen: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Two-Phase Transfer Learning")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        self.frozen_label = QLabel()
        form.addRow(self.frozen_label)
        self.method = QComboBox()
        self.method.addItem("Two phases: train the head, then fine-tune", "two-phase")
        self.method.addItem("Head only, on features computed once (fast; no augmentation)", "features")
        self.method.setToolTip(
            "Feature extraction runs the frozen backbone once over the data and then trains only "
            "the head on its outputs: much faster than running the frozen layers every epoch, "
            "but it needs the backbone frozen and the data not augmented.")
        form.addRow("Method", self.method)
        self.set_frozen(frozen)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 10000)
        self.epochs.setValue(3)
        self.unfreeze = QSpinBox()
        self.unfreeze.setRange(1, 10000)
        self.unfreeze.setValue(2)
        self.unfreeze.setSuffix(" layers with weights")
        self.factor = QDoubleSpinBox()
        self.factor.setDecimals(3)
        self.factor.setRange(0.001, 1.0)
        self.factor.setValue(0.1)
        form.addRow("Epochs per phase", self.epochs)
        form.addRow("Phase 2 unfreezes the last", self.unfreeze)
        form.addRow("Phase 2 learning-rate factor", self.factor)
        self.method.currentIndexChanged.connect(lambda _i: self._method_changed(form))
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        for widget in (self.start_button, self.cancel_button):
            layout.addWidget(widget)

    @property
    def features_mode(self) -> bool:
        """Whether the head trains on features computed once (no second phase)."""
        return self.method.currentData() == "features"

    def _method_changed(self, form: QFormLayout) -> None:
        for widget in (self.unfreeze, self.factor):
            form.setRowVisible(widget, not self.features_mode)
        form.labelForField(self.epochs).setText("Epochs" if self.features_mode else "Epochs per phase")
        self.set_frozen(self._frozen)

    def set_frozen(self, frozen: int) -> None:
        """Say how many layers stay frozen (phase 1, or the feature-extraction backbone)."""
        self._frozen = frozen
        if self.features_mode:
            text = (f"The {frozen} frozen layers compute the features once; the rest trains" if frozen
                    else "No frozen layers: freeze the backbone first (Freeze Everything Up To Here)")
        else:
            text = (f"Phase 1 trains with the {frozen} frozen layers frozen" if frozen
                    else "No frozen layers: phase 1 freezes every layer before the head")
        self.frozen_label.setText(text)


class TransferActions(QObject):
    """The transfer-learning actions of one main window."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: ReplaceHeadDialog | None = None
        self.run_dialog: TwoPhaseDialog | None = None
        self.trainers: list[Any] = []
        self.last_summary: dict[str, Any] | None = None
        self.replace_action = self._add("Replace &Head...", self.replace_head, "&Network",
                                        "New output layers for your classes (transfer learning)")
        self.freeze_action = self._add("&Freeze Everything Up To Here", self.freeze_selected,
                                       "&Network", "Freeze the selected layer and all before it")
        self.unfreeze_action = self._add("&Unfreeze The Last N Blocks...", self.unfreeze_last,
                                         "&Network", "Make the last N layers with weights trainable")
        self.two_phase_action = self._add("Two-Phase &Transfer Learning...", self.two_phase,
                                          "&Training", "Train the head, then fine-tune")
        window.view.contextRequested.disconnect(window.edits.context_menu)
        window.view.contextRequested.connect(self.context_menu)

    def _add(self, text: str, slot: Any, menu: str, tip: str) -> QAction:
        action = QAction(text, self.window)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.window.menu(menu).addAction(action)
        return action

    def context_menu(self, item: Any, global_pos: Any) -> Any:
        """The standard layer menu plus the transfer-learning actions (the view has selected
        the layer under the mouse, which the actions act on)."""
        menu = self.window.edits.context_menu(item, global_pos)
        if item is not None:
            menu.addSeparator()
            menu.addAction(self.freeze_action)
            menu.addAction(self.unfreeze_action)
        return menu

    @property
    def graph(self) -> LayerGraph:
        """The open network."""
        return self.window.document.graph

    def push(self, edits: list[Edit], text: str) -> bool:
        """Apply ``edits`` as one undo step (nothing when empty)."""
        if not edits:
            self.window.statusBar().showMessage(f"{text}: nothing to change", 5000)
            return False
        self.window.document.push(ApplyEdits(self.graph, edits, text))
        self.window.document.analyse_now()  # views read the report before the timer fires
        return True

    def replace_head(self) -> ReplaceHeadDialog | None:
        """Open the Replace Head wizard; OK applies it as one undo step."""
        classes, note = data_classes(self.window.document.project)
        try:
            dialog = ReplaceHeadDialog(self.graph, classes, note, self.window)
        except GraphError as exc:
            show_error(self.window, "Replace Head", str(exc))
            return None
        self.dialog = dialog

        def accepted() -> None:
            try:
                edits = plan_replace_head(self.graph, **dialog.choice())
            except GraphError as exc:
                show_error(self.window, "Replace Head", str(exc))
                return
            if self.push(edits, "Replace head"):
                new = [e.args[0] for e in edits if e.op == "add"]
                self.window.select_nodes(new[-1:], center=True)

        dialog.accepted.connect(accepted)
        dialog.open()
        return dialog

    def _selected(self, title: str) -> str | None:
        ids = self.window.scene.selected_node_ids()
        if len(ids) != 1:
            show_error(self.window, title, f"Select one layer first; {len(ids)} are selected.")
            return None
        return ids[0]

    def freeze_selected(self) -> bool:
        """Freeze the selected layer and every layer before it (one undo step)."""
        nid = self._selected("Freeze")
        if nid is None:
            return False
        return self.push(plan_freeze_until(self.graph, nid),
                         f"Freeze up to {self.graph.node(nid).name}")

    def unfreeze_last(self, n: int | None = None) -> bool:
        """Unfreeze the last ``n`` layers with weights (asked when None); one undo step."""
        if n is None:
            n, ok = QInputDialog.getInt(self.window, "Unfreeze", "Number of layers with weights "
                                        "to unfreeze (from the output back):", 2, 1, 100000)
            if not ok:
                return False
        return self.push(plan_unfreeze_last(self.graph, n), f"Unfreeze the last {n} layers")

    def two_phase(self) -> TwoPhaseDialog:
        """Open the two-phase settings (Start trains in the Training Progress window)."""
        if self.run_dialog is None:
            self.run_dialog = TwoPhaseDialog(0, self.window)
            self.run_dialog.start_button.clicked.connect(self.start_two_phase)
        self.run_dialog.set_frozen(sum(not n.trainable for n in self.graph.nodes))
        self.run_dialog.show()
        self.run_dialog.raise_()
        return self.run_dialog

    def stop(self) -> None:
        """Stop the running phase and skip the next."""
        progress = self.window.training_actions.progress
        if self.trainers and progress is not None:
            progress.stop()

    def start_two_phase(self) -> None:
        """Train both phases in the Training Progress window (one plot, phase line), or, in
        the dialog's feature-extraction mode, the head alone on features computed once."""
        from designer.app.transfer_run import (
            feature_mode_problem,
            finish_transfer,
            frozen_backbone_end,
            make_two_phase,
        )

        dialog, project = self.run_dialog, self.window.document.project
        epochs, unfreeze, factor = dialog.epochs.value(), dialog.unfreeze.value(), dialog.factor.value()
        features = dialog.features_mode
        title = "Transfer Learning on Features" if features else "Two-Phase Transfer Learning"
        actions = self.window.training_actions
        progress = actions.progress_window()
        if progress.running:
            show_error(self.window, title, "A training run is still going; stop it or wait for it to end.")
            actions.show_progress()
            return
        if features:
            problem = feature_mode_problem(project)
            if problem:
                show_error(self.window, title, problem)
                return
            split = frozen_backbone_end(project)
        dialog.accept()
        self.last_summary = None
        runs: list[Any] = []
        self.trainers = runs

        def make_trainer(run: Any, sink: Any, token: Any) -> Any:
            if features:
                from designer.app.transfer_run import is_augmented
                from designer.training.features import FeatureHeadTrainer

                trainer: Any = FeatureHeadTrainer(run.model, split, run.data.train, run.data.validation,
                                                  run.options.replace(max_epochs=epochs), sink,
                                                  cancel=token, augmented=is_augmented(project))  # fmt: skip
            else:
                trainer = _CombinedRun(make_two_phase(project, run, epochs, unfreeze, factor,
                                                      sink, cancel=token))  # fmt: skip
            runs.append(trainer)
            return trainer

        def store(run: Any, result: Any, evaluation: Any) -> None:
            last = runs[-1] if runs else None
            if features:
                phases = [("features", result)]
            else:
                two = last.result if last is not None else None
                phases = two.named() if two is not None else [("frozen", result)]
            self.last_summary = finish_transfer(project, run, phases, evaluation)
            if features and last is not None and last.extract_seconds is not None:
                self.last_summary["feature_seconds"] = last.extract_seconds
            self.window.document.analyse_now()

        def finished(result: Any) -> None:
            progress.finished.disconnect(finished)
            self.trainers = []
            if self.last_summary is None:
                status = result.status if result is not None else "failed"
                message = result.message if result is not None else "could not start"
                self.last_summary = {"status": status, "error": message}
            acc = self.last_summary.get("validation_accuracy")
            seconds = self.last_summary.get("feature_seconds")
            text = f"{title}: {self.last_summary['status']}" + (
                f", validation accuracy {acc:.3f}" if acc is not None else "") + (
                f" (features computed once in {seconds:.1f} s)" if seconds is not None else "")
            self.window.statusBar().showMessage(text, 8000)

        progress.finished.connect(finished)
        actions.show_progress()
        progress.start(epochs, make_trainer=make_trainer, title=title, store=store)


def install(window: Any) -> None:
    """Add the transfer-learning actions to ``window``."""
    window.transfer = TransferActions(window)
    toolbar = getattr(window, "toolbar", None)
    if toolbar is not None:
        window.transfer.replace_action.setIconText("Replace Head")
        toolbar.addAction(window.transfer.replace_action)
