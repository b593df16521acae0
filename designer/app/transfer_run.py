"""Transfer-learning runs on a project: one phase on the frozen layers, two phases (head, then
fine-tune), or the head alone on features the frozen backbone computes once. Used by the GUI's
Two-Phase Transfer Learning and by ``python main.py transfer``. No Qt."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from designer.app.project import Project
from designer.app.project_run import (
    PreparedRun,
    TrainingOutcome,
    apply_outcome,
    evaluate_run,
    training_outcome,
)

if TYPE_CHECKING:
    import keras

    from designer.training.history import TrainingResult
    from designer.training.transfer import TwoPhaseResult


def unfreeze_count(model: keras.Model, frozen: list[str], n: int) -> int:
    """How many of ``model.layers`` (from the end) hold the last ``n`` frozen layers with
    weights: the ``unfreeze_last`` that makes TwoPhaseTrainer fine-tune exactly those."""
    frozen_set, found = set(frozen), 0
    for k, layer in enumerate(reversed(model.layers), 1):
        if layer.name in frozen_set and layer.weights:
            found += 1
            if found == n:
                return k
    return len(model.layers)


def frozen_names(graph: Any) -> list[str]:
    """Names of the frozen layers; when none is frozen, all layers before the head."""
    from designer.core.transfer import find_head

    names = [n.name for n in graph.nodes if not n.trainable]
    if names:
        return names
    order = graph.topological_order()
    anchor = find_head(graph).anchor
    return [graph.node(nid).name for nid in order[: order.index(anchor) + 1]]


def make_two_phase(
    project: Any,
    run: Any,
    epochs: int,
    unfreeze: int = 2,
    fine_tune_factor: float = 0.1,
    sink: Any = None,
    cancel: Any = None,
) -> Any:
    """The TwoPhaseTrainer of :func:`train_phases` (not started): the graph's frozen layers
    in phase 1, the last ``unfreeze`` of them fine-tuned in phase 2."""
    from designer.training.transfer import TwoPhaseTrainer

    frozen = frozen_names(project.graph)
    return TwoPhaseTrainer(
        run.model,
        run.data.train,
        run.data.validation,
        run.options.replace(max_epochs=epochs),
        frozen=frozen,
        unfreeze_last=unfreeze_count(run.model, frozen, unfreeze),
        fine_tune_factor=fine_tune_factor,
        sink=sink,
        cancel=cancel,
    )


def frozen_backbone_end(project: Any) -> str:
    """Name of the last layer of the frozen backbone (the frozen layers in network order)."""
    graph = project.graph
    order = graph.topological_order()
    frozen = [nid for nid in order if not graph.node(nid).trainable]
    if not frozen:
        raise ValueError(
            "feature extraction needs a frozen backbone: freeze the layers before "
            "the head first (--freeze-until LAYER)"
        )
    return graph.node(frozen[-1]).name


def is_augmented(project: Project) -> bool:
    """Whether the project's training data is augmented (some augmentation switched on)."""
    return project.settings.augmentation.enabled


def feature_mode_problem(project: Any) -> str:
    """Why the head cannot train on features computed once ("" when it can)."""
    if not any(not n.trainable for n in project.graph.nodes):
        return (
            "Feature extraction needs a frozen backbone: select the last layer before the "
            "head and choose Network > Freeze Everything Up To Here (CLI: --freeze-until)."
        )
    if is_augmented(project):
        return (
            "Feature extraction computes the features once, so the data must not be "
            "augmented: turn augmentation off, or train in two phases."
        )
    return ""


def train_phases(
    project: Any,
    run: Any,
    two_phase: bool,
    epochs: int,
    unfreeze: int = 2,
    fine_tune_factor: float = 0.1,
    sink: Any = None,
    trainers: list | None = None,
    feature_extraction: bool = False,
) -> list[tuple[str, Any]]:
    """Train ``run`` (a PreparedRun of ``project``): one phase with the graph's frozen layers,
    or two (head on the frozen layers, then the last ``unfreeze`` of them fine-tuned at
    ``fine_tune_factor`` times the rate); returns (phase name, TrainingResult) pairs.
    ``trainers`` receives the trainer, so that a GUI can stop it."""
    from designer.training.trainer import Trainer

    options = run.options.replace(max_epochs=epochs)
    if two_phase:
        trainer: Any = make_two_phase(project, run, epochs, unfreeze, fine_tune_factor, sink)
        if trainers is not None:
            trainers.append(trainer)
        return trainer.run().named()
    if feature_extraction:
        # The frozen backbone runs once over the data; only the head trains (no augmentation).
        from designer.training.features import train_head_on_features

        result = train_head_on_features(
            run.model,
            frozen_backbone_end(project),
            run.data.train,
            run.data.validation,
            options,
            sink,
            augmented=is_augmented(project),
        )
        return [("features", result)]
    trainer = Trainer(run.model, run.data.train, run.data.validation, options, sink)
    if trainers is not None:
        trainers.append(trainer)
    return [("single", trainer.run())]


class CombinedTwoPhase:
    """A TwoPhaseTrainer for the Training Progress window: run() gives one TrainingResult
    over both phases and keeps the TwoPhaseResult in ``result``."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer
        self.result: TwoPhaseResult | None = None

    @property
    def paused(self) -> bool:
        """Whether the current phase is paused."""
        return self.trainer.paused

    def run(self) -> TrainingResult:
        """Train both phases; the joined result."""
        result: TwoPhaseResult = self.trainer.run()
        self.result = result
        return result.combined()

    def stop(self) -> None:
        """Stop the running phase and skip the next."""
        self.trainer.stop()

    def pause(self) -> None:
        """Pause the current phase."""
        self.trainer.pause()

    def resume(self) -> None:
        """Resume the current phase."""
        self.trainer.resume()


def transfer_outcome(
    project: Project, run: PreparedRun, phases: list[tuple[str, Any]], evaluation: Any = None
) -> TrainingOutcome:
    """The results and weights of the last phase (with ``evaluation``, else one made here)."""
    last = phases[-1][1]
    if evaluation is None and last.status != "failed":
        evaluation = evaluate_run(run)
    return training_outcome(project, run, last, evaluation)


def transfer_summary(
    project: Project, outcome: TrainingOutcome, phases: list[tuple[str, Any]]
) -> dict[str, Any]:
    """A JSON-able summary of a transfer-learning run."""
    return {
        "status": phases[-1][1].status,
        "layers_stored": outcome.layers_stored,
        "frozen": [n.name for n in project.graph.nodes if not n.trainable],
        "phases": [{"phase": name, **r.summary()} for name, r in phases],
        "validation_accuracy": outcome.results.validation_accuracy,
    }


def finish_transfer(
    project: Project, run: PreparedRun, phases: list[tuple[str, Any]], evaluation: Any = None
) -> dict[str, Any]:
    """Store the trained weights and results in the project; returns a JSON-able summary."""
    outcome = transfer_outcome(project, run, phases, evaluation)
    apply_outcome(project, outcome)
    return transfer_summary(project, outcome, phases)


def run_transfer(
    project: Any,
    run: Any,
    two_phase: bool,
    epochs: int,
    unfreeze: int = 2,
    fine_tune_factor: float = 0.1,
    feature_extraction: bool = False,
) -> dict[str, Any]:
    """:func:`train_phases` then :func:`finish_transfer`."""
    phases = train_phases(
        project,
        run,
        two_phase,
        epochs,
        unfreeze,
        fine_tune_factor,
        feature_extraction=feature_extraction,
    )
    return finish_transfer(project, run, phases)
