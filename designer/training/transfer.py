"""Transfer learning: a two-phase preset (train the head on a frozen backbone, then
fine-tune) reporting to one sink with continuous iteration numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import keras

from designer.core.progress import CancelToken
from designer.training.events import PhaseEvent, Status, StatusEvent, TrainingSink, as_sink
from designer.training.history import TrainingResult
from designer.training.options import TrainingOptions
from designer.training.trainer import Trainer


def layers_up_to(model: keras.Model, name: str) -> list[keras.layers.Layer]:
    """The model's top-level layers from the first up to and including ``name``."""
    names = [la.name for la in model.layers]
    if name not in names:
        raise KeyError(
            f"Expected a top-level layer name of the model, received {name!r}; layers: {names}"
        )
    return model.layers[: names.index(name) + 1]


def resolve_frozen(model: keras.Model, frozen: str | list[str]) -> list[keras.layers.Layer]:
    """Layers to freeze: all up to a named layer (str) or exactly the named ones (list)."""
    if isinstance(frozen, str):
        return layers_up_to(model, frozen)
    by_name = {la.name: la for la in model.layers}
    missing = [n for n in frozen if n not in by_name]
    if missing:
        raise KeyError(
            f"Expected top-level layer names of the model, received {missing}; "
            f"layers: {list(by_name)}"
        )
    return [by_name[n] for n in frozen]


def _trainable_state(model: keras.Model) -> list[tuple[keras.layers.Layer, bool]]:
    return [(la, la.trainable) for la in model._flatten_layers(include_self=False, recursive=True)]


def _restore(state: list[tuple[keras.layers.Layer, bool]]) -> None:
    for layer, flag in state:
        layer.trainable = flag


def _freeze_batchnorm(layers: list[keras.layers.Layer]) -> None:
    """Keep BatchNormalization in inference mode (Keras 3: trainable False does that)."""
    for layer in layers:
        for sub in layer._flatten_layers(include_self=True, recursive=True):
            if isinstance(sub, keras.layers.BatchNormalization):
                sub.trainable = False


@dataclass
class TwoPhaseResult:
    """Results of both phases (phase 2 is None when phase 1 did not end normally)."""

    phase1: TrainingResult
    phase2: TrainingResult | None

    @property
    def last(self) -> TrainingResult:
        """The result of the last phase that ran."""
        return self.phase2 or self.phase1

    def named(self) -> list[tuple[str, TrainingResult]]:
        """(phase name, result) of the phases that ran: "frozen", then "fine-tune"."""
        return [
            (name, r)
            for name, r in (("frozen", self.phase1), ("fine-tune", self.phase2))
            if r is not None
        ]

    def combined(self) -> TrainingResult:
        """One result over both phases: their histories joined, status and final values of
        the last phase, the seconds of both."""
        ran = [r for r in (self.phase1, self.phase2) if r is not None]
        keys = list(dict.fromkeys(k for r in ran for k in r.iterations))
        iterations: dict[str, list[float]] = {k: [] for k in keys}
        for r in ran:
            n = len(r.iterations.get("iteration", []))
            for k in keys:
                iterations[k].extend(r.iterations.get(k, [math.nan] * n))
        return replace(
            self.last,
            iterations=iterations,
            epochs=[row for r in ran for row in r.epochs],
            validations=[row for r in ran for row in r.validations],
            phases=[row for r in ran for row in r.phases],
            seconds=sum(r.seconds for r in ran),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {
            "phase1": self.phase1.to_dict(),
            "phase2": self.phase2.to_dict() if self.phase2 else None,
        }


_TERMINAL = (Status.FINISHED, Status.STOPPED, Status.FAILED)


class _PhaseSink(TrainingSink):
    """Forwards to the user's sink, hiding the start/finish statuses between phases."""

    def __init__(self, sink: TrainingSink, first: bool, last: bool) -> None:
        self.sink, self.first, self.last = sink, first, last
        self.held: StatusEvent | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sink, name)

    def on_start(self, info: Any) -> None:
        """Forward."""
        self.sink.on_start(info)

    def on_iteration(self, point: Any) -> None:
        """Forward."""
        self.sink.on_iteration(point)

    def on_validation(self, point: Any) -> None:
        """Forward."""
        self.sink.on_validation(point)

    def on_epoch(self, summary: Any) -> None:
        """Forward."""
        self.sink.on_epoch(summary)

    def on_status(self, event: StatusEvent) -> None:
        """Forward, except 'starting' of a later phase; an earlier phase's end is held
        back for :class:`TwoPhaseTrainer` to decide (continue or end the whole run)."""
        if event.status == Status.STARTING and not self.first:
            return
        if event.status in _TERMINAL and not self.last:
            self.held = event
            return
        self.sink.on_status(event)


class TwoPhaseTrainer:
    """Phase 1 trains with ``frozen`` layers frozen (their BatchNorm in inference mode);
    phase 2 unfreezes all of them (or only those among the model's last ``unfreeze_last``
    layers) and fine-tunes at ``fine_tune_factor`` times the learning rate."""

    def __init__(
        self,
        model: keras.Model,
        train_data: Any,
        val_data: Any = None,
        options: TrainingOptions | None = None,
        *,
        frozen: str | list[str],
        phase1_epochs: int | None = None,
        phase2_epochs: int | None = None,
        unfreeze_last: int | None = None,
        fine_tune_factor: float = 0.1,
        keep_batchnorm_frozen: bool = True,
        sink: Any = None,
        cancel: CancelToken | None = None,
    ) -> None:
        if not 0 < fine_tune_factor <= 1:
            raise ValueError(
                f"fine_tune_factor: expected a number in (0, 1], received {fine_tune_factor!r}"
            )
        if unfreeze_last is not None and unfreeze_last < 1:
            raise ValueError(
                f"unfreeze_last: expected an integer >= 1 or None, received {unfreeze_last!r}"
            )
        self.model, self.train_data, self.val_data = model, train_data, val_data
        self.options = options or TrainingOptions()
        self.frozen = resolve_frozen(model, frozen)
        self.phase1_epochs = phase1_epochs or self.options.max_epochs
        self.phase2_epochs = phase2_epochs or self.options.max_epochs
        self.unfreeze_last, self.fine_tune_factor = unfreeze_last, fine_tune_factor
        self.keep_batchnorm_frozen = keep_batchnorm_frozen
        self.sink = as_sink(sink) if sink is not None else TrainingSink()
        self.cancel = cancel
        self.current: Trainer | None = None
        self._stopped = False

    def stop(self) -> None:
        """Stop the current phase after its batch and skip the next phase."""
        self._stopped = True
        if self.current is not None:
            self.current.stop()

    def pause(self) -> None:
        """Pause the current phase."""
        if self.current is not None:
            self.current.pause()

    def resume(self) -> None:
        """Resume the current phase."""
        if self.current is not None:
            self.current.resume()

    @property
    def paused(self) -> bool:
        """Whether the current phase is paused."""
        return self.current is not None and self.current.control.paused

    def phase2_layers(self) -> list[keras.layers.Layer]:
        """The frozen layers that phase 2 unfreezes."""
        if self.unfreeze_last is None:
            return list(self.frozen)
        tail = {id(la) for la in self.model.layers[-self.unfreeze_last :]}
        return [la for la in self.frozen if id(la) in tail]

    def run(self) -> TwoPhaseResult:
        """Run both phases; the model keeps the trained weights, trainable flags are restored."""
        state = _trainable_state(self.model)
        try:
            for layer in self.frozen:
                layer.trainable = False
            p1 = self.options.replace(max_epochs=self.phase1_epochs)
            phase_sink = _PhaseSink(self.sink, first=True, last=False)
            r1 = self._phase(0, "frozen", p1, 0, 0, phase_sink)
            if self.current is not None:  # phase 2 reuses the data as phase 1 counted it
                self.train_data, self.val_data = self.current.train_data, self.current.val_data
            held = phase_sink.held
            if self._stopped or r1.stop_reason not in ("max_epochs", "early_stopping"):
                status = Status.STOPPED if r1.status == "finished" else Status(r1.status)
                message = r1.message if r1.status != "finished" else "Stopped after phase 1"
                self.sink.on_status(
                    StatusEvent(status, message, _last_iteration(r1), held.elapsed if held else 0.0)
                )
                return TwoPhaseResult(r1, None)
            self.sink.on_status(
                StatusEvent(
                    Status.RUNNING,
                    "Phase 1 ended: " + r1.message,
                    _last_iteration(r1),
                    held.elapsed if held else 0.0,
                )
            )
            for layer in self.phase2_layers():
                layer.trainable = True
            if self.keep_batchnorm_frozen:
                _freeze_batchnorm(self.frozen)
            p2 = self.options.replace(
                max_epochs=self.phase2_epochs,
                initial_learn_rate=self.options.initial_learn_rate * self.fine_tune_factor,
                warmup_epochs=0,
            )
            r2 = self._phase(
                1,
                "fine-tune",
                p2,
                _last_iteration(r1),
                r1.epochs_completed,
                _PhaseSink(self.sink, first=False, last=True),
            )
            return TwoPhaseResult(r1, r2)
        finally:
            _restore(state)

    def _phase(
        self, index: int, name: str, options: TrainingOptions, it0: int, ep0: int, sink: _PhaseSink
    ) -> TrainingResult:
        trainable = sum(int(v.numpy().size) for v in self.model.trainable_weights)
        self.sink.on_phase(
            PhaseEvent(
                index,
                name,
                it0 + 1,
                options.max_epochs,
                {"learning_rate": options.initial_learn_rate, "trainable_parameters": trainable},
            )
        )
        self.current = Trainer(
            self.model,
            self.train_data,
            self.val_data,
            options,
            sink,
            cancel=self.cancel,
            iteration_offset=it0,
            epoch_offset=ep0,
            phase=name,
            run_epochs=ep0 + options.max_epochs + (self.phase2_epochs if index == 0 else 0),
        )
        return self.current.run()


def _last_iteration(result: TrainingResult) -> int:
    its = result.iterations.get("iteration", [])
    return int(its[-1]) if its else 0


def train_two_phase(
    model: keras.Model,
    train_data: Any,
    val_data: Any = None,
    options: TrainingOptions | None = None,
    **kwargs: Any,
) -> TwoPhaseResult:
    """Shortcut for ``TwoPhaseTrainer(...).run()`` (same keyword arguments)."""
    return TwoPhaseTrainer(model, train_data, val_data, options, **kwargs).run()
