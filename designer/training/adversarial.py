"""Adversarial training: a share of every training batch replaced by its FGSM examples.

Installed on the model that ``fit`` runs (``Trainer.run``) when the options ask for it
(``adversarial_epsilon > 0``). The model's own ``train_step`` is kept: an instance-level
``train_step`` makes FGSM examples of the first ``adversarial_ratio`` of each (shuffled)
batch with the model's compiled loss, puts them in place of those samples and hands the batch
to the class's ``train_step`` (so loss scaling, metrics and distribution work as before).
:func:`remove_adversarial` takes it away after the run.

Epsilon is a fraction of the batch's value range (its minimum to its maximum: 0..1 for
images scaled to 0..1), as in the Adversarial Robustness window; FGSM examples are clipped
into that range. The attack runs the model in inference mode (no dropout, batch-norm
statistics untouched).
"""

from __future__ import annotations

import types
from typing import Any

STEP_ATTRIBUTE = "_designer_adversarial"


def check_adversarial(model: Any) -> None:
    """Raise ValueError unless ``model`` has one float input and one output."""
    inputs, outputs = list(model.inputs or []), list(model.outputs or [])
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(
            f"adversarial training expects a network with one input and one output; "
            f"'{model.name}' has {len(inputs)} inputs and {len(outputs)} outputs"
        )
    dtype = str(inputs[0].dtype)
    if "float" not in dtype:
        raise ValueError(
            f"adversarial training perturbs numeric inputs; the input of '{model.name}' takes "
            f"{dtype} values"
        )


def mix_batch(
    model: Any, x: Any, y: Any, sample_weight: Any, epsilon: float, ratio: float
) -> tuple[Any, Any]:
    """(the batch with its first ``round(ratio * n)`` samples replaced by FGSM examples at
    ``epsilon``, how many were replaced), as TensorFlow tensors."""
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    n = tf.shape(x)[0]
    k = tf.cast(tf.round(tf.cast(n, tf.float32) * ratio), tf.int32)
    head, tail = x[:k], x[k:]
    low, high = tf.reduce_min(x), tf.reduce_max(x)
    with tf.GradientTape() as tape:
        tape.watch(head)
        pred = model(head, training=False)
        weights = sample_weight[:k] if sample_weight is not None else None
        loss = model.compute_loss(
            x=head, y=y[:k], y_pred=pred, sample_weight=weights, training=False
        )
    grad = tape.gradient(loss, head)
    step = tf.cast(epsilon, x.dtype) * (high - low)
    adv = tf.clip_by_value(head + step * tf.sign(grad), low, high)
    return tf.concat([tf.stop_gradient(adv), tail], axis=0), k


def _adversarial_step(model: Any, data: Any) -> Any:
    import keras

    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
    epsilon, ratio = getattr(model, STEP_ATTRIBUTE)
    mixed, _ = mix_batch(model, x, y, sample_weight, epsilon, ratio)
    batch = (mixed, y) if sample_weight is None else (mixed, y, sample_weight)
    return type(model).train_step(model, batch)


def install_adversarial(model: Any, epsilon: float, ratio: float) -> None:
    """Make ``fit`` on ``model`` train on batches mixed with FGSM examples (epsilon 0 or ratio
    0: plain training, any earlier installation removed). Call after ``compile``."""
    remove_adversarial(model)
    if epsilon <= 0 or ratio <= 0:
        return
    check_adversarial(model)
    setattr(model, STEP_ATTRIBUTE, (float(epsilon), float(ratio)))
    model.train_step = types.MethodType(_adversarial_step, model)
    model.train_function = None  # made again, with the adversarial step, by the next fit


def remove_adversarial(model: Any) -> None:
    """Give ``model`` back its plain training step (nothing happens without one installed)."""
    if model is None or STEP_ATTRIBUTE not in vars(model):
        return
    del model.train_step
    delattr(model, STEP_ATTRIBUTE)
    model.train_function = None


def is_adversarial(model: Any) -> bool:
    """True while adversarial training is installed on ``model``."""
    return model is not None and STEP_ATTRIBUTE in vars(model)
