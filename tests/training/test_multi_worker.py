"""Multi-worker pieces without a cluster: TF_CONFIG, ports, roles, options, the event stream,
chief-only folders, the coordinated stop and the Keras fix's installation."""

from __future__ import annotations

import io
import json
import math
import socket

import pytest

from designer.training import multi_worker as mw
from designer.training.event_stream import (
    EventStreamError,
    EventStreamSink,
    event_line,
    parse_event,
    replay,
)
from designer.training.events import (
    EpochSummary,
    IterationPoint,
    PhaseEvent,
    RunInfo,
    Status,
    StatusEvent,
    TrainingSink,
    ValidationPoint,
)
from designer.training.options import OptionsError, TrainingOptions


def test_free_ports_are_distinct_and_bindable():
    ports = mw.free_ports(3)
    assert len(set(ports)) == 3
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
    with pytest.raises(ValueError, match=">= 1"):
        mw.free_ports(0)


def test_local_tf_configs_give_each_worker_its_role():
    configs = mw.local_tf_configs(3, ports=[1001, 1002, 1003])
    assert configs[0]["cluster"] == {
        "worker": ["127.0.0.1:1001", "127.0.0.1:1002", "127.0.0.1:1003"]
    }
    roles = [mw.worker_role(json.dumps(c)) for c in configs]
    assert roles == [
        mw.WorkerRole(0, 3, True),
        mw.WorkerRole(1, 3, False),
        mw.WorkerRole(2, 3, False),
    ]
    with pytest.raises(ValueError, match="Expected 2 ports"):
        mw.local_tf_configs(2, ports=[1])


def test_a_chief_job_is_worker_zero():
    cluster = {"chief": ["a:1"], "worker": ["b:1", "c:1"]}
    chief = {"cluster": cluster, "task": {"type": "chief", "index": 0}}
    worker = {"cluster": cluster, "task": {"type": "worker", "index": 0}}
    assert mw.worker_role(json.dumps(chief)) == mw.WorkerRole(0, 3, True)
    assert mw.worker_role(json.dumps(worker)) == mw.WorkerRole(1, 3, False)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "TF_CONFIG.*not set"),
        ("{not json", "not valid JSON"),
        ("[1]", "expected a JSON object, received list"),
        ('{"task": {"type": "worker"}}', "expected 'cluster'"),
        ('{"cluster": {"worker": "a:1"}, "task": {}}', "list of 'host:port'"),
        ('{"cluster": {"worker": ["a:1"]}}', "expected 'task'"),
        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "ps"}}', "task type among"),
        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}', r"\[0, 1\)"),
        ('{"cluster": {"ps": ["a:1"]}, "task": {"type": "ps", "index": 0}}', "'worker' or 'chief'"),
    ],
)
def test_malformed_tf_config_is_refused_clearly(text, match):
    with pytest.raises(mw.MultiWorkerError, match=match):
        mw.worker_role(text)


def test_the_environment_without_tf_config_is_refused(monkeypatch):
    from designer.training.environment import plan_devices

    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(RuntimeError, match="expects the environment variable TF_CONFIG"):
        plan_devices("multi-worker")


def test_workers_option_round_trip_and_old_files_unchanged():
    default = TrainingOptions()
    assert "workers" not in default.to_dict()  # files save as before the option
    options = TrainingOptions(workers=3, execution_environment="multi-worker")
    assert TrainingOptions.from_dict(options.to_dict()) == options
    assert options.to_dict()["workers"] == 3
    for bad in (0, -1, 1.5, True):
        with pytest.raises(OptionsError, match="workers: expected an integer >= 1"):
            TrainingOptions(workers=bad)


def test_only_the_chief_writes_checkpoints_and_logs(monkeypatch, tmp_path):
    configs = mw.local_tf_configs(2, ports=[1, 2])
    options = TrainingOptions(checkpoint_dir=str(tmp_path / "c"), tensorboard_dir=None)
    monkeypatch.setenv("TF_CONFIG", json.dumps(configs[0]))
    assert mw.chief_only_folders(options) == (options, None)
    monkeypatch.setenv("TF_CONFIG", json.dumps(configs[1]))
    other, scratch = mw.chief_only_folders(options)
    assert scratch is not None and other.checkpoint_dir.startswith(scratch)
    assert other.tensorboard_dir is None
    import shutil

    shutil.rmtree(scratch)


def test_every_worker_stops_after_the_requested_iteration(monkeypatch):
    from designer.training.callback import TrainingControl

    monkeypatch.setattr(mw, "_stop_at", None)
    control = TrainingControl()
    sink = mw.StopAtSink(control)
    sink.on_iteration(_point(4))
    assert not control.stop_requested
    mw.request_stop_at(6)
    mw.request_stop_at(9)  # a later request does not postpone the stop
    assert mw.stop_requested_at() == 6
    sink.on_iteration(_point(5))
    assert not control.stop_requested
    sink.on_iteration(_point(6))
    assert control.stop_requested


def test_keras_fix_installs_once():
    T = mw.keras_tf_trainer()
    mw.install_keras_fix()
    patched = T.reduce_per_replica, T.TensorFlowTrainer._maybe_symbolic_build
    mw.install_keras_fix()
    assert (T.reduce_per_replica, T.TensorFlowTrainer._maybe_symbolic_build) == patched
    assert "20585" in (mw.install_keras_fix.__doc__ or "")


# -- the event stream ---------------------------------------------------------------------
def _point(iteration: int) -> IterationPoint:
    return IterationPoint(
        iteration, 1, iteration, 10, 20, 0.5, {"accuracy": 0.25}, {"loss": 0.5}, 0.01, 1.5,
        None, 64.0, "frozen",
    )  # fmt: skip


EVENTS = [
    ("on_phase", PhaseEvent(0, "frozen", 1, 2, {"layers": ["a", "b"], "factor": 0.1})),
    (
        "on_start",
        RunInfo(2, 10, 20, 32, 320, ["out"], ["loss", "accuracy"], "frozen", 0, 0, "cpu", 4),
    ),
    ("on_status", StatusEvent(Status.RUNNING, "Training", 0, 0.0)),
    ("on_iteration", _point(1)),
    ("on_iteration", _point(2)),
    ("on_validation", ValidationPoint(2, 1, {"loss": math.inf, "accuracy": 0.5}, 2.0, "frozen")),
    ("on_epoch", EpochSummary(1, 10, {"loss": 0.4}, None, 0.01, 3.0, "frozen")),
    ("on_epoch", EpochSummary(2, 20, {"loss": 0.3}, {"loss": 0.2}, 0.001, 6.0)),
    ("on_status", StatusEvent(Status.FINISHED, "Finished after 2 epochs", 20, 6.0)),
]


class Recorder(TrainingSink):
    """Keeps (method, event) of every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def on_start(self, info):
        self.calls.append(("on_start", info))

    def on_status(self, event):
        self.calls.append(("on_status", event))

    def on_iteration(self, point):
        self.calls.append(("on_iteration", point))

    def on_validation(self, point):
        self.calls.append(("on_validation", point))

    def on_epoch(self, summary):
        self.calls.append(("on_epoch", summary))

    def on_phase(self, event):
        self.calls.append(("on_phase", event))


def test_event_stream_round_trip():
    stream = io.StringIO()
    writer = EventStreamSink(stream)
    for method, event in EVENTS:
        getattr(writer, method)(event)
    lines = stream.getvalue().splitlines()
    assert len(lines) == len(EVENTS) and all(json.loads(line)["event"] for line in lines)
    recorder = Recorder()
    assert replay(lines, recorder) == len(EVENTS)
    assert recorder.calls == EVENTS
    status = recorder.calls[2][1]
    assert isinstance(status, StatusEvent) and status.status is Status.RUNNING


def test_a_torn_or_foreign_line_is_refused_or_skipped():
    good = event_line("status", StatusEvent(Status.FAILED, "boom"))
    torn = good[: len(good) // 2]
    for bad in (torn, '{"event": "nope", "data": {}}', '{"event": "status", "data": 3}'):
        with pytest.raises(EventStreamError):
            parse_event(bad)
    with pytest.raises(EventStreamError):
        parse_event('{"event": "status", "data": {"status": "exploded"}}')
    recorder = Recorder()
    assert replay([good, "", torn], recorder, strict=False) == 1
    assert recorder.calls == [("on_status", StatusEvent(Status.FAILED, "boom"))]
