"""Transfer learning in the main window: Network > Replace Head... and Detection Head..., the
layer actions "Freeze Everything Up To Here" and "Unfreeze The Last N Blocks...", and Training >
Two-Phase Transfer Learning... (which trains in the training feature's progress window)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QInputDialog,
)

from designer.app.transfer_run import (
    CombinedTwoPhase,
    feature_mode_problem,
    frozen_backbone_end,
    is_augmented,
    make_two_phase,
    transfer_outcome,
    transfer_summary,
)
from designer.core.edits import AddLayer, Edit
from designer.core.errors import GraphError
from designer.core.graph import LayerGraph
from designer.core.transfer import (
    plan_freeze_until,
    plan_replace_head,
    plan_unfreeze_last,
)
from designer.ui.common.shell import Shell
from designer.ui.common.worker import show_error
from designer.ui.document.commands import GraphCommand
from designer.ui.training.actions import TrainingActions
from designer.ui.transfer.detection import (
    DetectionHeadDialog,
    backbone_groups,
    detection_classes,
    detection_command,
)
from designer.ui.transfer.dialogs import ReplaceHeadDialog, TwoPhaseDialog


def data_classes(project: Any) -> tuple[int | None, str]:
    """(number of classes or None, a sentence) from the project's data source, if any."""
    from designer.data.registry import open_datastore

    config = project.settings.data.source
    if config is None:
        return None, "The project has no data yet: type the number of classes."
    try:
        store = open_datastore(config)
    except Exception as exc:  # a data problem must not stop the wizard
        return None, f"The project's data cannot be read ({exc}); type the number of classes."
    if store.task == "regression":
        return None, "The project's data is a regression task."
    return len(store.class_names), f"{len(store.class_names)} classes in the project's data."


class TransferActions(QObject):
    """The transfer-learning actions of one main window."""

    def __init__(self, shell: Shell, training: TrainingActions) -> None:
        super().__init__(shell.widget())
        self.shell, self.training = shell, training
        self.dialog: ReplaceHeadDialog | None = None
        self.detection_dialog: DetectionHeadDialog | None = None
        self.run_dialog: TwoPhaseDialog | None = None
        self.trainers: list[Any] = []
        self.last_summary: dict[str, Any] | None = None
        self.replace_action = self._add(
            "Replace &Head...",
            self.replace_head,
            "&Network",
            "New output layers for your classes (transfer learning)",
        )
        self.detection_action = self._add(
            "&Detection Head...",
            self.detection_head,
            "&Network",
            "Replace the classification part with a feature pyramid and box and class heads",
        )
        self.freeze_action = self._add(
            "&Freeze Everything Up To Here",
            self.freeze_selected,
            "&Network",
            "Freeze the selected layer and all before it",
        )
        self.unfreeze_action = self._add(
            "&Unfreeze The Last N Blocks...",
            self.unfreeze_last,
            "&Network",
            "Make the last N layers with weights trainable",
        )
        self.two_phase_action = self._add(
            "Two-Phase &Transfer Learning...",
            self.two_phase,
            "&Training",
            "Train the head, then fine-tune",
        )
        shell.add_layer_actions([self.freeze_action, self.unfreeze_action])
        shell.add_toolbar_action(self.replace_action, "Replace Head")

    def _add(self, text: str, slot: Any, menu: str, tip: str) -> QAction:
        action = QAction(text, self)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.shell.menu(menu).addAction(action)
        return action

    @property
    def graph(self) -> LayerGraph:
        """The open network."""
        return self.shell.document.graph

    def push(self, edits: list[Edit], text: str) -> bool:
        """Apply ``edits`` as one undo step (nothing when empty)."""
        if not edits:
            self.shell.show_status(f"{text}: nothing to change", 5000)
            return False
        self.shell.document.push(GraphCommand(self.graph, edits, text))
        self.shell.document.analyse_now()  # views read the report before the timer fires
        return True

    def replace_head(self) -> ReplaceHeadDialog | None:
        """Open the Replace Head wizard; OK applies it as one undo step."""
        classes, note = data_classes(self.shell.document.project)
        try:
            dialog = ReplaceHeadDialog(self.graph, classes, note, self.shell.widget())
        except GraphError as exc:
            show_error(self.shell.widget(), "Replace Head", str(exc))
            return None
        self.dialog = dialog

        def accepted() -> None:
            try:
                edits = plan_replace_head(self.graph, **dialog.choice())
            except GraphError as exc:
                show_error(self.shell.widget(), "Replace Head", str(exc))
                return
            if self.push(edits, "Replace head"):
                new = [e.node_id for e in edits if isinstance(e, AddLayer)]
                self.shell.select_nodes(new[-1:], center=True)

        dialog.accepted.connect(accepted)
        dialog.open()
        return dialog

    def detection_head(self) -> DetectionHeadDialog:
        """Open the Detection Head dialog; OK applies its edits as one undo step."""
        classes, note = detection_classes(self.shell.document.project)
        dialog = DetectionHeadDialog(self.graph, classes, note, self.shell.widget())
        self.detection_dialog = dialog
        dialog.accepted.connect(lambda: self.apply_detection_head(dialog))
        dialog.open()
        return dialog

    def apply_detection_head(self, dialog: DetectionHeadDialog) -> None:
        """Apply the dialog's planned head (and the backbone group) as one undo step."""
        head = dialog.head
        if head is None:
            return
        edits = backbone_groups(self.graph, head) + dialog.edits
        document = self.shell.document
        document.push(detection_command(document, edits, "Detection head"))
        document.analyse_now()
        self.shell.select_nodes([head.class_output], center=True)
        self.shell.show_status(
            f"Detection head for {head.num_classes} classes: outputs bbox_regression and "
            "cls_logits",
            8000,
        )

    def _selected(self, title: str) -> str | None:
        ids = self.shell.scene.selected_node_ids()
        if len(ids) != 1:
            show_error(
                self.shell.widget(), title, f"Select one layer first; {len(ids)} are selected."
            )
            return None
        return ids[0]

    def freeze_selected(self) -> bool:
        """Freeze the selected layer and every layer before it (one undo step)."""
        nid = self._selected("Freeze")
        if nid is None:
            return False
        return self.push(
            plan_freeze_until(self.graph, nid), f"Freeze up to {self.graph.node(nid).name}"
        )

    def unfreeze_last(self, n: int | None = None) -> bool:
        """Unfreeze the last ``n`` layers with weights (asked when None); one undo step."""
        if n is None:
            n, ok = QInputDialog.getInt(
                self.shell.widget(),
                "Unfreeze",
                "Number of layers with weights to unfreeze (from the output back):",
                2,
                1,
                100000,
            )
            if not ok:
                return False
        return self.push(plan_unfreeze_last(self.graph, n), f"Unfreeze the last {n} layers")

    def two_phase(self) -> TwoPhaseDialog:
        """Open the two-phase settings (Start trains in the Training Progress window)."""
        if self.run_dialog is None:
            self.run_dialog = TwoPhaseDialog(0, self.shell.widget())
            self.run_dialog.start_button.clicked.connect(self.start_two_phase)
        self.run_dialog.set_frozen(sum(not n.trainable for n in self.graph.nodes))
        self.run_dialog.show()
        self.run_dialog.raise_()
        return self.run_dialog

    def stop(self) -> None:
        """Stop the running phase and skip the next."""
        progress = self.training.progress
        if self.trainers and progress is not None:
            progress.stop()

    def start_two_phase(self) -> None:
        """Train both phases in the Training Progress window (one plot, phase line), or, in
        the dialog's feature-extraction mode, the head alone on features computed once."""

        dialog, project = self.run_dialog, self.shell.document.project
        epochs, unfreeze, factor = (
            dialog.epochs.value(),
            dialog.unfreeze.value(),
            dialog.factor.value(),
        )
        features = dialog.features_mode
        title = "Transfer Learning on Features" if features else "Two-Phase Transfer Learning"
        actions = self.training
        progress = actions.progress_window()
        if progress.running:
            show_error(
                self.shell.widget(),
                title,
                "A training run is still going; stop it or wait for it to end.",
            )
            actions.show_progress()
            return
        if features:
            problem = feature_mode_problem(project)
            if problem:
                show_error(self.shell.widget(), title, problem)
                return
            split = frozen_backbone_end(project)
        dialog.accept()
        self.last_summary = None
        runs: list[Any] = []
        self.trainers = runs

        def make_trainer(run: Any, sink: Any, token: Any) -> Any:
            if features:
                from designer.training.features import FeatureHeadTrainer

                trainer: Any = FeatureHeadTrainer(
                    run.model,
                    split,
                    run.data.train,
                    run.data.validation,
                    run.options.replace(max_epochs=epochs),
                    sink,
                    cancel=token,
                    augmented=is_augmented(project),
                )
            else:
                trainer = CombinedTwoPhase(
                    make_two_phase(project, run, epochs, unfreeze, factor, sink, cancel=token)
                )
            runs.append(trainer)
            return trainer

        def outcome(run: Any, result: Any, evaluation: Any) -> Any:
            last = runs[-1] if runs else None
            if features:
                phases = [("features", result)]
            else:
                two = last.result if last is not None else None
                phases = two.named() if two is not None else [("frozen", result)]
            stored = transfer_outcome(project, run, phases, evaluation)
            self.last_summary = transfer_summary(project, stored, phases)
            if features and last is not None and last.extract_seconds is not None:
                self.last_summary["feature_seconds"] = last.extract_seconds
            return stored

        def finished(result: Any) -> None:
            progress.finished.disconnect(finished)
            self.trainers = []
            if self.last_summary is None:
                status = result.status if result is not None else "failed"
                message = result.message if result is not None else "could not start"
                self.last_summary = {"status": status, "error": message}
            acc = self.last_summary.get("validation_accuracy")
            seconds = self.last_summary.get("feature_seconds")
            text = (
                f"{title}: {self.last_summary['status']}"
                + (f", validation accuracy {acc:.3f}" if acc is not None else "")
                + (f" (features computed once in {seconds:.1f} s)" if seconds is not None else "")
            )
            self.shell.show_status(text, 8000)

        progress.finished.connect(finished)
        actions.show_progress()
        progress.start(epochs, make_trainer=make_trainer, title=title, outcome=outcome)
