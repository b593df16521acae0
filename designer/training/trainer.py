"""The trainer: compiles a Keras model from :class:`TrainingOptions` and runs ``fit``,
reporting to a sink; stop, pause and resume from any thread."""

from __future__ import annotations

import contextlib
import shutil
import time
from typing import Any

import keras

from designer.core.build import finish_state
from designer.core.progress import CancelToken
from designer.training import environment as env
from designer.training import multi_worker
from designer.training.adversarial import install_adversarial, remove_adversarial
from designer.training.atomic import prepare_folders
from designer.training.callback import ProgressCallback, TrainingControl
from designer.training.datainfo import (
    DataInfo,
    describe_data,
    fit_arguments,
    labels_are_sparse,
    shuffle_once,
    validation_arguments,
    with_known_length,
)
from designer.training.events import MultiSink, RunInfo, Status, StatusEvent, TrainingSink, as_sink
from designer.training.history import HistorySink, TrainingResult, best_metrics
from designer.training.optim import find_layer, make_optimizer, make_schedule, variable_factors
from designer.training.options import TrainingOptions
from designer.training.tasks import compile_targets, describe_outputs
from designer.training.tensorboard import open_tensorboard

# What a detector logs (designer.training.detector, detection_metrics): its losses, and the
# COCO mAP@0.5 and mAP@[.5:.95] of the validation data at each epoch's end.
DETECTOR_METRICS = ("loss", "box_loss", "class_loss", "map50", "map")
DETECTOR_OUTPUTS = ("bbox_regression", "cls_logits")


def is_detector(model: Any) -> bool:
    """True for a GraphDetector (trained with its own losses, evaluated by mAP)."""
    from designer.training.detector import GraphDetector

    return isinstance(model, GraphDetector)


class TrainingConfigError(ValueError):
    """The run cannot start: options, data and model do not fit together."""


class Trainer:
    """Trains ``model`` in place on ``train_data`` (arrays, tf.data.Dataset or PyDataset).

    ``run()`` blocks the calling thread (run it in a worker for a GUI); ``stop()``,
    ``pause()`` and ``resume()`` may be called from any thread or from the sink.
    """

    def __init__(
        self,
        model: keras.Model,
        train_data: Any,
        val_data: Any = None,
        options: TrainingOptions | None = None,
        sink: Any = None,
        *,
        cancel: CancelToken | None = None,
        iteration_offset: int = 0,
        epoch_offset: int = 0,
        phase: str = "",
        run_epochs: int | None = None,
    ) -> None:
        self.model = model
        self.train_data = train_data
        self.val_data = val_data
        self.options = options or TrainingOptions()
        self.sink = as_sink(sink) if sink is not None else TrainingSink()
        self.control = TrainingControl(cancel)
        self.iteration_offset, self.epoch_offset, self.phase = iteration_offset, epoch_offset, phase
        self.run_epochs = run_epochs  # epochs of the whole run when this is one of its phases
        self.callback: ProgressCallback | None = None
        self.plan: env.DevicePlan | None = None
        # The model fit() ran on: ``model`` itself, or a clone built in a strategy scope
        # or with a mixed-precision policy (its weights are copied back into ``model``).
        self.working_model: keras.Model | None = None
        self._scratch: str | None = None  # a multi-worker non-chief's folders, removed after

    # -- controls ---------------------------------------------------------------------
    def stop(self) -> None:
        """Stop after the current batch, keeping the network as it is."""
        self.control.stop()

    def pause(self) -> None:
        """Pause after the current batch (the training thread waits without spinning)."""
        self.control.pause()

    def resume(self) -> None:
        """Continue a paused run."""
        self.control.resume()

    # -- run --------------------------------------------------------------------------
    def run(self) -> TrainingResult:
        """Compile and train; returns the result (failures during fit are reported, not raised).

        Raises :class:`TrainingConfigError` when the run cannot start.
        """
        try:
            return self._run()
        finally:
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None

    def _run(self) -> TrainingResult:
        o = self.options
        history = HistorySink()
        sink = MultiSink(history, self.sink)
        sink.on_status(StatusEvent(Status.STARTING, "Preparing training", self.iteration_offset))
        try:
            env.check_backend(o.backend)
            self.plan = env.plan_devices(o.execution_environment, o.devices)
            if self.plan.strategy == "multi_worker":  # only the chief writes where it is told
                self.options, self._scratch = multi_worker.chief_only_folders(o)
                o = self.options
                sink.sinks.append(multi_worker.StopAtSink(self.control))
            folders = prepare_folders(o)
            if o.tensorboard_dir:
                sink.sinks.append(open_tensorboard(o.tensorboard_dir))
        except (RuntimeError, ValueError) as e:
            sink.on_status(StatusEvent(Status.FAILED, str(e), self.iteration_offset))
            raise TrainingConfigError(str(e)) from e
        if o.seed is not None:
            keras.utils.set_random_seed(o.seed)
        # Kept counted: a later phase given these datasets does not count them again.
        self.train_data = with_known_length(self.train_data, lambda: self.control.stop_requested)
        self.val_data = with_known_length(self.val_data, lambda: self.control.stop_requested)
        train = shuffle_once(self.train_data, o.seed) if o.shuffle == "once" else self.train_data
        info = describe_data(train, o.mini_batch_size)
        if o.validation_patience is not None and self.val_data is None:
            msg = "validation_patience (early stopping) expects validation data, but none was given"
            sink.on_status(StatusEvent(Status.FAILED, msg, self.iteration_offset))
            raise TrainingConfigError(msg)

        policy = env.precision_policy(o.mixed_precision)
        strategy = env.make_strategy(self.plan)
        needs_clone = policy is not None or self.plan.strategy != "default"
        if is_detector(self.model) and not o.validate_per_epoch:
            # its mAP is measured per epoch: validate with the epoch, in the same logs
            self.options = o = o.replace(validation_frequency="epoch")
        if needs_clone and is_detector(self.model):
            msg = (
                "a detector trains on one device in full precision: set the execution "
                "environment to auto, cpu or gpu and mixed precision off"
            )
            sink.on_status(StatusEvent(Status.FAILED, msg, self.iteration_offset))
            raise TrainingConfigError(msg)
        regularized: list[Any] = []
        start = time.perf_counter()
        try:
            try:
                with strategy.scope() if needs_clone else contextlib.nullcontext():
                    work = env.clone_for_training(self.model, policy) if needs_clone else self.model
                    if self.plan.strategy == "multi_worker":
                        multi_worker.broadcast_weights(work, strategy)
                    self.working_model = work
                    regularized = self._add_l2(work)
                    schedule = self._compile(work, info, train)
                    install_adversarial(work, o.adversarial_epsilon, o.adversarial_ratio)
                callback = self._make_callback(work, info, schedule, sink)
            except TrainingConfigError:
                raise
            except Exception as e:  # the run cannot start: one line for the user, no traceback
                raise TrainingConfigError(f"Training could not start: {one_line(e)}") from e
            result = self._fit(work, train, callback, sink)
        except TrainingConfigError as e:
            sink.on_status(StatusEvent(Status.FAILED, str(e), self.iteration_offset))
            raise
        finally:
            remove_adversarial(self.working_model)
            for v in regularized:
                v.regularizer = None
        if needs_clone:
            self.model.set_weights(work.get_weights())
            finish_state(self.model)
        out = self._result(result, history, callback, info, time.perf_counter() - start)
        out.folders = folders
        return out

    # -- steps of run -----------------------------------------------------------------
    def _add_l2(self, model: keras.Model) -> list[Any]:
        """Put an L2 penalty on kernels (MATLAB's factor/2 * ||w||^2); returns the variables."""
        o = self.options
        per_layer: dict[str, float] = {}
        for name, factor in o.l2_factors.items():
            per_layer[find_layer(model, name).name] = factor
        done: list[Any] = []
        if o.l2_regularization == 0:
            return done
        for layer in model._flatten_layers(include_self=False, recursive=True):
            factor = per_layer.get(layer.name, 1.0) * o.l2_regularization
            for v in layer.trainable_weights if factor > 0 else []:
                if (
                    v.name
                    in (
                        "kernel",
                        "depthwise_kernel",
                        "pointwise_kernel",
                        "embeddings",
                        "recurrent_kernel",
                    )
                    and v.regularizer is None
                ):
                    v.regularizer = keras.regularizers.L2(factor / 2.0)
                    done.append(v)
        return done

    def _compile(self, model: keras.Model, info: DataInfo, train: Any) -> Any:
        o = self.options
        detector = is_detector(model)
        outputs = [] if detector else describe_outputs(model)
        try:
            if not detector:
                losses, metrics = compile_targets(
                    model, o.losses, o.metrics, o.from_logits, labels_are_sparse(info, outputs)
                )
            schedule = make_schedule(o, info.steps_per_epoch)
            factors = variable_factors(model, o.lr_factors) if o.lr_factors else None
            optimizer = make_optimizer(
                o,
                schedule if (o.schedule != "none" or o.warmup_epochs) else o.initial_learn_rate,
                factors,
            )
        except (ValueError, KeyError) as e:
            raise TrainingConfigError(str(e).strip("'\"")) from e
        if detector:  # its own losses: box regression and classification (detector.py)
            model.compile(optimizer=optimizer)
        elif len(outputs) == 1:
            name = outputs[0].name
            model.compile(optimizer=optimizer, loss=losses[name], metrics=metrics[name])
        else:
            model.compile(optimizer=optimizer, loss=losses, metrics=metrics)
        return schedule

    def _metric_names(self, model: keras.Model) -> list[str]:
        if is_detector(model):
            return list(DETECTOR_METRICS)
        outs = describe_outputs(model)
        names = ["loss"]
        metrics = self.options.metrics
        for out in outs:
            prefix = f"{out.name}_" if len(outs) > 1 else ""
            if len(outs) > 1:
                names.append(f"{prefix}loss")
            for m in (
                metrics
                if metrics is not None
                else (["rmse"] if out.task == "regression" else ["accuracy"])
            ):
                names.append(prefix + m)
        return names

    def _make_callback(
        self, model: keras.Model, info: DataInfo, schedule: Any, sink: TrainingSink
    ) -> ProgressCallback:
        o = self.options
        validate = None
        if self.val_data is not None and not o.validate_per_epoch:
            eval_args, _ = validation_arguments(self.val_data, o.mini_batch_size)

            def validate() -> dict[str, float]:
                # evaluate() resets the compiled metrics; keep the epoch's running state.
                saved = [v.numpy() for v in model.metrics_variables]
                out = model.evaluate(**eval_args, verbose=0, return_dict=True)
                for v, s in zip(model.metrics_variables, saved, strict=True):
                    v.assign(s)
                return {k: float(x) for k, x in out.items()}

        self.callback = ProgressCallback(
            sink,
            self.control,
            epochs=o.max_epochs,
            iterations_per_epoch=info.steps_per_epoch,
            batch_size=info.batch_size,
            num_samples=info.num_samples,
            learning_rate=schedule.at,
            validate=validate,
            validation_frequency=None if o.validate_per_epoch else int(o.validation_frequency),
            monitor=o.monitor,
            patience=o.validation_patience,
            min_delta=o.min_delta,
            restore_best=o.restore_best,
            checkpoint_dir=o.checkpoint_dir,
            checkpoint_every=o.checkpoint_every,
            checkpoint_best_only=o.checkpoint_best_only,
            iteration_offset=self.iteration_offset,
            epoch_offset=self.epoch_offset,
            phase=self.phase,
            run_epochs=self.run_epochs,
        )
        total = info.steps_per_epoch * o.max_epochs if info.steps_per_epoch else None
        sink.on_start(
            RunInfo(
                o.max_epochs,
                info.steps_per_epoch,
                total,
                info.batch_size,
                info.num_samples,
                list(DETECTOR_OUTPUTS)
                if is_detector(model)
                else [out.name for out in describe_outputs(model)],
                self._metric_names(model),
                self.phase,
                self.iteration_offset,
                self.epoch_offset,
                self.plan.message if self.plan else "",
                self.run_epochs,
            )
        )
        return self.callback

    def _fit(
        self, model: keras.Model, train: Any, callback: ProgressCallback, sink: TrainingSink
    ) -> tuple[str, str, str]:
        """Run ``fit``; returns (status, stop_reason, message)."""
        o = self.options
        callbacks: list[Any] = [callback]
        if is_detector(model) and self.val_data is not None:  # mAP into the epoch's logs
            from designer.training.detection_metrics import DetectionMetrics

            names = model.spec.class_names or model.spec.num_classes
            callbacks.insert(0, DetectionMetrics(self.val_data, names))
        kwargs = fit_arguments(train, o.mini_batch_size, shuffle=o.shuffle == "every-epoch")
        if self.val_data is not None and o.validate_per_epoch:
            kwargs["validation_data"] = validation_arguments(self.val_data, o.mini_batch_size)[1]
        if self.control.stop_requested:
            status, reason, msg = Status.STOPPED, "stopped", "Stopped before the first iteration"
            sink.on_status(StatusEvent(status, msg, self.iteration_offset))
            return status.value, reason, msg
        try:
            model.fit(epochs=o.max_epochs, callbacks=callbacks, verbose=0, **kwargs)
        except Exception as e:  # any failure inside fit is reported to the user
            status, reason, msg = Status.FAILED, "error", _failure_message(e, o)
            if _is_out_of_memory(e):
                reason = "out_of_memory"
        else:
            reason = callback.stop_reason or "max_epochs"
            if reason == "nan":
                status, msg = Status.FAILED, callback.message
            elif reason in ("stopped", "early_stopping"):
                status, msg = Status.STOPPED, callback.message
            else:
                epochs = self.epoch_offset + o.max_epochs
                status, msg = Status.FINISHED, f"Finished after {epochs} epoch{'s' * (epochs != 1)}"
        sink.on_status(
            StatusEvent(status, msg, self.iteration_offset + callback.iteration, callback.elapsed())
        )
        return status.value, reason, msg

    def _result(
        self,
        fit: tuple[str, str, str],
        history: HistorySink,
        callback: ProgressCallback,
        info: DataInfo,
        seconds: float,
    ) -> TrainingResult:
        status, reason, message = fit
        final: dict[str, float] = {}
        if history.epochs:
            final.update(
                {
                    k: v
                    for k, v in history.epochs[-1].items()
                    if k not in ("epoch", "iteration", "elapsed", "learning_rate", "phase")
                    and not k.startswith("val_")
                }
            )
        if history.validations:
            final.update(
                {
                    f"val_{k}": v
                    for k, v in history.validations[-1].items()
                    if k not in ("iteration", "epoch", "elapsed")
                }
            )
        train_s = callback.elapsed() if callback.iteration else 0.0
        sps = callback._samples / train_s if train_s > 0 and info.batch_size else None
        return TrainingResult(
            status=status,
            stop_reason=reason,
            message=message,
            epochs=history.epochs,
            iterations=history.columns,
            validations=history.validations,
            phases=history.phases,
            final=final,
            best=best_metrics(history),
            seconds=seconds,
            samples_per_second=sps,
            device=self.plan.message if self.plan else "",
        )


def _is_out_of_memory(e: BaseException) -> bool:
    if isinstance(e, MemoryError):
        return True
    try:
        import tensorflow as tf
    except ImportError:  # pragma: no cover - other backends
        return "out of memory" in str(e).lower()
    return isinstance(e, tf.errors.ResourceExhaustedError) or "out of memory" in str(e).lower()


def one_line(e: BaseException) -> str:
    """``Type: first line of the message`` of an exception."""
    raw = e.args[0] if isinstance(e, KeyError) and e.args else e  # KeyError quotes its text
    text = str(raw).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text and text[0] else type(e).__name__


# TensorFlow's message when a dataset of asserted length comes up short: one of the project's
# image pipelines where most files failed to decode after the scan (designer.data.tfdata).
SHORT_DATA = "Input dataset was expected to contain"


def _failure_message(e: BaseException, o: TrainingOptions) -> str:
    if SHORT_DATA in str(e):
        return (
            "Training failed: the data gave fewer samples than it holds; most of its files "
            f"could not be decoded (see the log for the files skipped). ({one_line(e)})"
        )
    if _is_out_of_memory(e):
        return (
            f"Out of memory with mini-batch size {o.mini_batch_size}: try a smaller "
            f"mini-batch size (e.g. {max(1, o.mini_batch_size // 2)}), smaller inputs or "
            f"mixed precision. ({type(e).__name__})"
        )
    return f"Training failed: {one_line(e)}"
