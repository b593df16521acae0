"""Execution environment: devices, distribution strategy, mixed precision and Keras backends."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any

import keras

from designer.core.build import finish_state


@dataclass(frozen=True)
class DevicePlan:
    """Which devices a run uses and how ('default', 'one_device', 'mirrored' or
    'multi_worker' strategy)."""

    environment: str
    strategy: str
    devices: list[str]
    available: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "environment": self.environment,
            "strategy": self.strategy,
            "devices": list(self.devices),
            "available": dict(self.available),
            "message": self.message,
        }


def list_devices() -> dict[str, list[str]]:
    """Available devices by kind, e.g. ``{"cpu": ["/cpu:0"], "gpu": ["/gpu:0"]}``."""
    import tensorflow as tf

    out: dict[str, list[str]] = {"cpu": [], "gpu": []}
    for kind in ("CPU", "GPU"):
        for i, _ in enumerate(tf.config.list_logical_devices(kind)):
            out[kind.lower()].append(f"/{kind.lower()}:{i}")
    return out


def plan_devices(environment: str = "auto", devices: list[str] | None = None) -> DevicePlan:
    """Decide the devices and strategy for ``environment`` (auto, cpu, gpu, multi-gpu,
    multi-worker).

    ``devices`` names devices explicitly (e.g. ``["/gpu:0", "/gpu:1"]``; with multi-gpu a
    MirroredStrategy over them, which also works over ``["/cpu:0"]`` for testing).
    multi-worker is MultiWorkerMirroredStrategy over the cluster of TF_CONFIG
    (:mod:`designer.training.multi_worker`); its strategy is made here, before the devices
    are listed, as TensorFlow requires.
    """
    if environment == "multi-worker":
        return _plan_multi_worker()
    avail = list_devices()
    gpus = avail["gpu"]
    if environment == "auto":
        if gpus:
            return DevicePlan("auto", "default", gpus[:1], avail, f"Training on {gpus[0]} (GPU)")
        return DevicePlan(
            "auto", "default", avail["cpu"][:1], avail, "Training on the CPU (no GPU found)"
        )
    if environment == "cpu":
        strategy = "one_device" if gpus else "default"
        return DevicePlan("cpu", strategy, ["/cpu:0"], avail, "Training on the CPU")
    if environment == "gpu":
        if not gpus:
            raise RuntimeError(
                "Execution environment 'gpu' expects a GPU, but TensorFlow "
                "sees none (devices: " + ", ".join(avail["cpu"]) + ")"
            )
        return DevicePlan("gpu", "default", gpus[:1], avail, f"Training on {gpus[0]} (GPU)")
    if environment == "multi-gpu":
        chosen = list(devices) if devices else gpus
        if not chosen:
            raise RuntimeError(
                "Execution environment 'multi-gpu' expects at least one GPU "
                "(or an explicit device list), but TensorFlow sees none"
            )
        unknown = [d for d in chosen if d.lower() not in avail["cpu"] + avail["gpu"]]
        if unknown:
            raise RuntimeError(
                f"Expected devices among {avail['cpu'] + avail['gpu']}, received {unknown}"
            )
        return DevicePlan(
            "multi-gpu",
            "mirrored",
            chosen,
            avail,
            f"Training on {len(chosen)} device(s) with MirroredStrategy: " + ", ".join(chosen),
        )
    raise ValueError(
        f"Expected an execution environment among auto, cpu, gpu, multi-gpu, multi-worker; "
        f"received {environment!r}"
    )


def _plan_multi_worker() -> DevicePlan:
    from designer.training import multi_worker

    multi_worker.strategy()  # MultiWorkerError (a RuntimeError) without a usable TF_CONFIG
    role = multi_worker.worker_role()
    avail = list_devices()
    local = avail["gpu"] or avail["cpu"][:1]
    return DevicePlan(
        "multi-worker",
        "multi_worker",
        local,
        avail,
        f"Training on {role.count} workers with MultiWorkerMirroredStrategy (this is worker "
        f"{role.index}{', the chief' if role.is_chief else ''}, on {', '.join(local)})",
    )


def make_strategy(plan: DevicePlan) -> Any:
    """The ``tf.distribute`` strategy for ``plan`` (the default strategy when none is needed)."""
    import tensorflow as tf

    if plan.strategy == "mirrored":
        return tf.distribute.MirroredStrategy(devices=plan.devices)
    if plan.strategy == "multi_worker":
        from designer.training import multi_worker

        return multi_worker.strategy()
    if plan.strategy == "one_device":
        return tf.distribute.OneDeviceStrategy(plan.devices[0])
    return tf.distribute.get_strategy()


def available_backends() -> dict[str, bool]:
    """Which Keras backends could be used (importable) in this environment."""
    return {
        "tensorflow": importlib.util.find_spec("tensorflow") is not None,
        "jax": importlib.util.find_spec("jax") is not None,
        "torch": importlib.util.find_spec("torch") is not None,
    }


def current_backend() -> str:
    """The Keras backend this process runs (fixed when Keras is first imported)."""
    return keras.config.backend()


def check_backend(requested: str) -> None:
    """Raise a clear error if ``requested`` is not the backend Keras runs in this process."""
    active = current_backend()
    if requested == active:
        return
    avail = available_backends()
    if not avail.get(requested, False):
        raise RuntimeError(
            f"Keras backend {requested!r} is not installed; available: "
            + ", ".join(k for k, v in avail.items() if v)
        )
    raise RuntimeError(
        f"This process runs Keras with the {active!r} backend; {requested!r} "
        f"must be chosen before Keras is imported (set KERAS_BACKEND={requested} "
        "and restart)"
    )


def precision_policy(mixed_precision: str) -> str | None:
    """Keras dtype policy name for an options value ('none' -> None)."""
    return {"none": None, "float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}[mixed_precision]


def clone_for_training(model: keras.Model, policy: str | None) -> keras.Model:
    """A copy of ``model`` with the same weights, built in the current strategy scope.

    With a mixed-precision ``policy`` every layer computes in half precision except the
    layers producing the outputs, which stay float32 for a stable loss.
    """
    output_layers = {id(t._keras_history[0]) for t in model.outputs}

    def clone_layer(layer: keras.layers.Layer) -> keras.layers.Layer:
        config = layer.get_config()
        if policy is not None and "dtype" in config:
            config["dtype"] = "float32" if id(layer) in output_layers else policy
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(model, clone_function=clone_layer)
    clone.set_weights(model.get_weights())
    finish_state(clone)  # an adapted Normalization computes with constants made from them
    return clone
