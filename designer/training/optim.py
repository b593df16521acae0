"""Optimizers for the trainer: solver choice, learning-rate schedule, clipping and
per-layer learn-rate factors (MATLAB's WeightLearnRateFactor / BiasLearnRateFactor)."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from designer.training.options import TrainingOptions

# Variable names that take a layer's *bias* factor; every other trainable variable takes
# its *weight* factor (kernel, gamma, embeddings, recurrent_kernel, ...).
BIAS_NAMES = ("bias", "beta")


@keras.saving.register_keras_serializable(package="designer")
class TrainingSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate per iteration: optional linear warm-up, then none/piecewise/cosine/exponential.

    Epoch-based parameters are converted with ``steps_per_epoch``. After a warm-up of W
    iterations the base schedule is evaluated at ``step - W``. :meth:`at` is a pure-Python
    mirror used by the progress callback so that reading the rate costs no device sync.
    """

    def __init__(
        self,
        initial: float,
        kind: str,
        steps_per_epoch: int,
        total_steps: int,
        warmup_steps: int = 0,
        drop_factor: float = 0.1,
        drop_period: int = 10,
        decay_rate: float = 0.9,
        min_learn_rate: float = 0.0,
    ) -> None:
        super().__init__()
        self.initial = float(initial)
        self.kind = kind
        self.steps_per_epoch = max(1, int(steps_per_epoch))
        self.total_steps = max(1, int(total_steps))
        self.warmup_steps = int(warmup_steps)
        self.drop_factor = float(drop_factor)
        self.drop_period = int(drop_period)
        self.decay_rate = float(decay_rate)
        self.min_learn_rate = float(min_learn_rate)

    def __call__(self, step: Any) -> Any:
        """Rate at ``step`` (a scalar tensor), for the optimizer."""
        step = ops.cast(step, "float32")
        t = ops.maximum(step - self.warmup_steps, 0.0)
        epoch = t / self.steps_per_epoch
        if self.kind == "piecewise":
            base = self.initial * ops.power(self.drop_factor, ops.floor(epoch / self.drop_period))
        elif self.kind == "exponential":
            base = self.initial * ops.power(self.decay_rate, epoch)
        elif self.kind == "cosine":
            span = float(max(1, self.total_steps - self.warmup_steps))
            frac = ops.minimum(t / span, 1.0)
            base = self.min_learn_rate + (self.initial - self.min_learn_rate) * 0.5 * (
                1.0 + ops.cos(math.pi * frac)
            )
        else:
            base = ops.convert_to_tensor(self.initial, "float32")
        if self.warmup_steps > 0:
            warm = self.initial * (step + 1.0) / self.warmup_steps
            base = ops.where(step < self.warmup_steps, warm, base)
        return base

    def at(self, step: int) -> float:
        """Rate at ``step`` computed in Python (same formula as :meth:`__call__`)."""
        if step < self.warmup_steps:
            return self.initial * (step + 1.0) / self.warmup_steps
        t = float(step - self.warmup_steps)
        epoch = t / self.steps_per_epoch
        if self.kind == "piecewise":
            return self.initial * self.drop_factor ** math.floor(epoch / self.drop_period)
        if self.kind == "exponential":
            return self.initial * self.decay_rate**epoch
        if self.kind == "cosine":
            frac = min(t / max(1, self.total_steps - self.warmup_steps), 1.0)
            return self.min_learn_rate + (self.initial - self.min_learn_rate) * 0.5 * (
                1.0 + math.cos(math.pi * frac)
            )
        return self.initial

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, for saving."""
        return {
            "initial": self.initial,
            "kind": self.kind,
            "steps_per_epoch": self.steps_per_epoch,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "drop_factor": self.drop_factor,
            "drop_period": self.drop_period,
            "decay_rate": self.decay_rate,
            "min_learn_rate": self.min_learn_rate,
        }


def make_schedule(
    options: TrainingOptions, steps_per_epoch: int | None, epochs: int | None = None
) -> TrainingSchedule:
    """The schedule described by ``options`` (constant when schedule is none and no warm-up)."""
    if steps_per_epoch is None and (options.schedule != "none" or options.warmup_epochs):
        raise ValueError(
            "A learning-rate schedule or warm-up expects the number of iterations per epoch, "
            "but the training data does not tell it (unknown tf.data cardinality); use "
            "dataset.apply(tf.data.experimental.assert_cardinality(n)) or schedule='none'"
        )
    spe = steps_per_epoch or 1
    epochs = options.max_epochs if epochs is None else epochs
    return TrainingSchedule(
        options.initial_learn_rate,
        options.schedule,
        spe,
        spe * epochs,
        warmup_steps=spe * options.warmup_epochs,
        drop_factor=options.drop_factor,
        drop_period=options.drop_period,
        decay_rate=options.decay_rate,
        min_learn_rate=options.min_learn_rate,
    )


class LRFactorMixin:
    """Scales the learning rate of chosen variables; a factor 0 leaves a variable untouched.

    ``lr_factors`` maps variable paths (``variable.path``) to a factor. Variables with factor
    0 are removed before the update (no step, no weight decay, bit-identical); others get
    ``learning_rate * factor`` in ``update_step``, which is exactly a scaled learn rate for
    every solver (also adaptive ones, where scaling the gradient would cancel out).
    """

    def __init__(self, *args: Any, lr_factors: dict[str, float] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lr_factors = {str(k): float(v) for k, v in (lr_factors or {}).items()}
        self._factor_by_index: list[float] = []

    def _factor(self, variable: Any) -> float:
        return self.lr_factors.get(getattr(variable, "path", ""), 1.0)

    def build(self, variables: list[Any]) -> None:
        """Build slots and remember each variable's factor by its index."""
        super().build(variables)
        self._factor_by_index = [self._factor(v) for v in variables]

    def apply(self, grads: list[Any], trainable_variables: list[Any] | None = None) -> None:
        """Apply gradients except to variables whose factor is 0."""
        if trainable_variables is None:
            trainable_variables = self._trainable_variables
        pairs = [
            (g, v)
            for g, v in zip(grads, trainable_variables, strict=True)
            if self._factor(v) != 0.0
        ]
        if not pairs:
            self.iterations.assign_add(1)
            return None
        kept_grads, kept_vars = zip(*pairs, strict=True)
        return super().apply(list(kept_grads), list(kept_vars))

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        """One variable's update with its learning rate scaled by its factor."""
        factor = self._factor_by_index[self._get_variable_index(variable)]
        if factor != 1.0:
            learning_rate = learning_rate * factor
        return super().update_step(gradient, variable, learning_rate)

    def get_config(self) -> dict[str, Any]:
        """Optimizer config plus the factors."""
        config = super().get_config()
        config["lr_factors"] = dict(self.lr_factors)
        return config


def _factor_class(base: type) -> type:
    cls = type(
        f"LRFactor{base.__name__}", (LRFactorMixin, base), {"__doc__": LRFactorMixin.__doc__}
    )
    return keras.saving.register_keras_serializable(package="designer")(cls)


_FACTOR_CLASSES = {
    b: _factor_class(b)
    for b in (
        keras.optimizers.SGD,
        keras.optimizers.Adam,
        keras.optimizers.AdamW,
        keras.optimizers.RMSprop,
        keras.optimizers.Nadam,
    )
}


def variable_factors(
    model: keras.Model, lr_factors: dict[str, tuple[float, float]]
) -> dict[str, float]:
    """Map variable paths to learn-rate factors from ``{layer name: (weight, bias)}``."""
    out: dict[str, float] = {}
    for layer_name, (w_factor, b_factor) in lr_factors.items():
        layer = find_layer(model, layer_name)
        for v in layer.trainable_weights:
            out[v.path] = b_factor if v.name in BIAS_NAMES else w_factor
    return out


def find_layer(model: keras.Model, name: str) -> keras.layers.Layer:
    """A layer by name, also inside nested models; KeyError naming the layers otherwise."""
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if layer.name == name:
            return layer
    names = [la.name for la in model._flatten_layers(include_self=False, recursive=True)]
    raise KeyError(f"Expected a layer name of the model, received {name!r}; layers: {names}")


def make_optimizer(
    options: TrainingOptions,
    learning_rate: float | TrainingSchedule,
    factors: dict[str, float] | None = None,
) -> keras.optimizers.Optimizer:
    """The solver of ``options`` with clipping, and learn-rate factors when any differ from 1."""
    kwargs: dict[str, Any] = {"learning_rate": learning_rate}
    if options.gradient_clipping == "norm":
        kwargs["clipnorm"] = options.gradient_threshold
    elif options.gradient_clipping == "global_norm":
        kwargs["global_clipnorm"] = options.gradient_threshold
    elif options.gradient_clipping == "value":
        kwargs["clipvalue"] = options.gradient_threshold
    s = options.solver
    if s == "sgdm":
        base, extra = keras.optimizers.SGD, {"momentum": options.momentum}
    elif s == "adam":
        base, extra = (
            keras.optimizers.Adam,
            {"beta_1": options.beta1, "beta_2": options.beta2, "epsilon": options.epsilon},
        )
    elif s == "adamw":
        base, extra = (
            keras.optimizers.AdamW,
            {
                "beta_1": options.beta1,
                "beta_2": options.beta2,
                "epsilon": options.epsilon,
                "weight_decay": options.weight_decay,
            },
        )
    elif s == "rmsprop":
        base, extra = keras.optimizers.RMSprop, {"rho": options.rho, "epsilon": options.epsilon}
    else:
        base, extra = (
            keras.optimizers.Nadam,
            {"beta_1": options.beta1, "beta_2": options.beta2, "epsilon": options.epsilon},
        )
    kwargs.update(extra)
    if factors and any(f != 1.0 for f in factors.values()):
        return _FACTOR_CLASSES[base](lr_factors=factors, **kwargs)
    return base(**kwargs)
