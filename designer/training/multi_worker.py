"""Multi-worker data-parallel training: TF_CONFIG, the worker's role, the strategy, and a fix
of Keras' ``fit`` under ``tf.distribute.MultiWorkerMirroredStrategy`` (docs/multi_worker.md).

No Qt. Every worker runs the same program with its own ``TF_CONFIG`` (the cluster and its
own index); worker 0 (or the ``chief`` task, when the cluster names one) is the chief, the
only one that writes files.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from designer.training.events import IterationPoint, TrainingSink

if TYPE_CHECKING:
    from designer.training.callback import TrainingControl
    from designer.training.options import TrainingOptions

TF_CONFIG = "TF_CONFIG"

_strategy: Any = None  # the process's MultiWorkerMirroredStrategy, made at most once
_installed = False
_stop_at: int | None = None  # the iteration after which every worker stops
_stop_lock = threading.Lock()


class MultiWorkerError(RuntimeError):
    """Multi-worker training cannot start: no or a malformed TF_CONFIG, TensorFlow started."""


@dataclass(frozen=True)
class WorkerRole:
    """This process's place in the cluster: its index among the workers, how many there
    are, and whether it is the chief (the one that writes checkpoints, logs and outputs)."""

    index: int
    count: int
    is_chief: bool


# -- TF_CONFIG ----------------------------------------------------------------------------
def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports free on 127.0.0.1 now (held open together while choosing)."""
    if n < 1:
        raise ValueError(f"Expected a number of ports >= 1, received {n}")
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(n):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def local_tf_configs(n: int, ports: list[int] | None = None) -> list[dict[str, Any]]:
    """The TF_CONFIG of each of ``n`` workers on this machine (127.0.0.1, free ports)."""
    if n < 1:
        raise ValueError(f"Expected a number of workers >= 1, received {n}")
    ports = ports if ports is not None else free_ports(n)
    if len(ports) != n:
        raise ValueError(f"Expected {n} ports, received {len(ports)}")
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    return [{"cluster": cluster, "task": {"type": "worker", "index": i}} for i in range(n)]


def read_tf_config(text: str | None = None) -> dict[str, Any]:
    """The parsed TF_CONFIG (``text``, else the environment's); MultiWorkerError when it is
    missing or malformed, naming what was expected and what was received."""
    text = os.environ.get(TF_CONFIG) if text is None else text
    if not text or not text.strip():
        raise MultiWorkerError(
            "Multi-worker training expects the environment variable TF_CONFIG (the cluster "
            'and this worker\'s task, e.g. {"cluster": {"worker": ["host1:12345", '
            '"host2:12345"]}, "task": {"type": "worker", "index": 0}}), but it is not set'
        )
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MultiWorkerError(f"TF_CONFIG is not valid JSON ({exc.msg} at {exc.pos})") from exc
    if not isinstance(config, dict):
        raise MultiWorkerError(
            f"TF_CONFIG: expected a JSON object, received {type(config).__name__}"
        )
    cluster = config.get("cluster")
    if not isinstance(cluster, dict) or not cluster:
        raise MultiWorkerError(
            f"TF_CONFIG: expected 'cluster', an object of job -> addresses, received {cluster!r}"
        )
    for job, addresses in cluster.items():
        if (
            not isinstance(addresses, list)
            or not addresses
            or not all(isinstance(a, str) and ":" in a for a in addresses)
        ):
            raise MultiWorkerError(
                f"TF_CONFIG: expected cluster[{job!r}] to be a list of 'host:port' "
                f"addresses, received {addresses!r}"
            )
    task = config.get("task")
    if not isinstance(task, dict):
        raise MultiWorkerError(
            f"TF_CONFIG: expected 'task', an object with 'type' and 'index', received {task!r}"
        )
    kind, index = task.get("type"), task.get("index", 0)
    if kind not in cluster:
        raise MultiWorkerError(
            f"TF_CONFIG: expected task type among the cluster's jobs {sorted(cluster)}, "
            f"received {kind!r}"
        )
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(cluster[kind]):
        raise MultiWorkerError(
            f"TF_CONFIG: expected task index an integer in [0, {len(cluster[kind])}) for "
            f"job {kind!r}, received {index!r}"
        )
    return config


def worker_role(text: str | None = None) -> WorkerRole:
    """This process's :class:`WorkerRole` from TF_CONFIG (``text``, else the environment's).

    Workers are counted over the 'chief' and 'worker' jobs, the chief first; without a
    'chief' job, worker 0 is the chief."""
    config = read_tf_config(text)
    cluster, task = config["cluster"], config["task"]
    chiefs = len(cluster.get("chief", []))
    count = chiefs + len(cluster.get("worker", []))
    if task["type"] not in ("chief", "worker"):
        raise MultiWorkerError(
            f"TF_CONFIG: expected task type 'worker' or 'chief' for a training worker, "
            f"received {task['type']!r}"
        )
    index = task.get("index", 0) + (chiefs if task["type"] == "worker" else 0)
    return WorkerRole(index, count, is_chief=index == 0)


# -- the strategy -------------------------------------------------------------------------
def tensorflow_started() -> bool:
    """Whether TensorFlow's runtime has started in this process (devices listed, a tensor
    made); collective ops, and so MultiWorkerMirroredStrategy, must be set up before."""
    import sys

    if "tensorflow" not in sys.modules:
        return False
    from tensorflow.python.eager import context

    return context.context()._context_handle is not None


def strategy() -> Any:
    """The process's ``tf.distribute.MultiWorkerMirroredStrategy`` (made on the first call,
    with the Keras fix installed). Call it before anything else uses TensorFlow.

    Raises MultiWorkerError without a valid TF_CONFIG, or when TensorFlow has already
    started without it (then the strategy cannot join the cluster any more)."""
    global _strategy
    if _strategy is not None:
        return _strategy
    read_tf_config()
    if tensorflow_started():
        raise MultiWorkerError(
            "Multi-worker training must set up its strategy before TensorFlow starts in the "
            "process, but TensorFlow is already running here; start the worker with "
            "'train PROJECT --environment multi-worker' (the command sets it up first)"
        )
    import tensorflow as tf

    install_keras_fix()
    _strategy = tf.distribute.MultiWorkerMirroredStrategy()
    return _strategy


def broadcast_weights(model: Any, strategy: Any) -> None:
    """Give every worker the chief's weights (an all-reduce of the chief's values and the
    others' zeros), so that a model whose weights were set in the process (not created in
    the strategy's scope) starts the same everywhere."""
    import numpy as np
    import tensorflow as tf

    weights = model.get_weights()
    if not weights:
        return
    role = worker_role()
    flat = np.concatenate([np.asarray(w, np.float64).ravel() for w in weights])
    if not role.is_chief:
        flat = np.zeros_like(flat)
    total = strategy.reduce("SUM", tf.constant(flat), axis=None).numpy()
    out, start = [], 0
    for w in weights:
        w = np.asarray(w)
        out.append(total[start : start + w.size].reshape(w.shape).astype(w.dtype))
        start += w.size
    model.set_weights(out)


# -- what only the chief does, and stopping together ---------------------------------------
def chief_only_folders(options: TrainingOptions) -> tuple[TrainingOptions, str | None]:
    """``options`` for this worker: the chief's unchanged; another worker's checkpoint and
    TensorBoard folders moved into a fresh temporary folder (returned, for the caller to
    remove), since every worker runs the same callbacks but only the chief's files count."""
    if worker_role().is_chief or not (options.checkpoint_dir or options.tensorboard_dir):
        return options, None
    scratch = tempfile.mkdtemp(prefix="nd-worker-")
    changes = {
        name: os.path.join(scratch, name)
        for name in ("checkpoint_dir", "tensorboard_dir")
        if getattr(options, name)
    }
    return options.replace(**changes), scratch


def request_stop_at(iteration: int) -> None:
    """Ask this worker to stop after ``iteration`` (the parent asks every worker for the same
    one, a little ahead of the chief, so that all leave ``fit`` at the same step: a worker
    that stopped alone would leave the others waiting in the next all-reduce)."""
    global _stop_at
    with _stop_lock:
        _stop_at = iteration if _stop_at is None else min(_stop_at, iteration)


def stop_requested_at() -> int | None:
    """The iteration :func:`request_stop_at` asked for (None: none yet)."""
    return _stop_at


class StopAtSink(TrainingSink):
    """Stops the run (``control``) once the iteration asked by :func:`request_stop_at` ends."""

    def __init__(self, control: TrainingControl) -> None:
        self.control = control

    def on_iteration(self, point: IterationPoint) -> None:
        """Stop when due."""
        at = _stop_at
        if at is not None and point.iteration >= at:
            self.control.stop()


# -- the Keras fix ------------------------------------------------------------------------
def keras_tf_trainer() -> Any:
    """Keras' TensorFlow trainer module (through :mod:`designer.core.keras_compat`, the one
    module that touches Keras' private package); MultiWorkerError when it has changed."""
    from designer.core.keras_compat import tensorflow_trainer_module

    try:
        return tensorflow_trainer_module()
    except RuntimeError as exc:
        raise MultiWorkerError(str(exc)) from exc


def install_keras_fix() -> None:
    """Patch two functions of Keras' TensorFlow trainer so that ``model.fit`` works under
    MultiWorkerMirroredStrategy with more than one worker (idempotent).

    Keras 3 (up to at least 3.15) fails there in two places, upstream issue
    https://github.com/keras-team/keras/issues/20585:

    - ``TensorFlowTrainer._maybe_symbolic_build`` reduces the first distributed batch with
      ``strategy.reduce("MEAN", batch, axis=None)`` eagerly, which MWMS refuses
      (ValueError); building needs only the shapes, so one local replica's batch does;
    - ``reduce_per_replica`` reduces the (scalar) metric results with
      ``strategy.reduce("MEAN", v, axis=0)`` under multi-worker: "Invalid reduction
      dimension 0"; they are reduced with ``axis=None`` (a mean over the workers) instead.

    Single-machine strategies and every other reduction go to Keras' own code unchanged.
    """
    global _installed
    if _installed:
        return
    import keras
    import tensorflow as tf

    T = keras_tf_trainer()
    tree = keras.tree
    original_reduce = T.reduce_per_replica
    original_build = T.TensorFlowTrainer._maybe_symbolic_build

    def reduce_per_replica(values: Any, strategy: Any, reduction: Any) -> Any:
        if not T._collective_all_reduce_multi_worker(strategy) or reduction not in (
            "auto",
            "mean",
        ):
            return original_reduce(values, strategy, reduction)

        def reduce(v: Any) -> Any:
            if not isinstance(v, tf.distribute.DistributedValues) and not (
                T._is_per_replica_instance(v)
            ):
                return v
            return strategy.reduce("MEAN", v, axis=None)

        return tree.map_structure(reduce, values)

    def _maybe_symbolic_build(self: Any, iterator: Any = None, data_batch: Any = None) -> Any:
        s = self._distribute_strategy
        if s is None or not T._collective_all_reduce_multi_worker(s) or iterator is None:
            return original_build(self, iterator, data_batch)

        def local(v: Any) -> Any:
            if isinstance(v, tf.distribute.DistributedValues):
                return s.experimental_local_results(v)[0]
            return v

        for _, _, it in iterator:
            data_batch = tree.map_structure(local, next(it))
            break
        with s.scope():
            self._symbolic_build(data_batch=data_batch)

    T.reduce_per_replica = reduce_per_replica
    T.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build
    _installed = True
