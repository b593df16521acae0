"""N local data-parallel training workers of one project file (docs/multi_worker.md). No Qt.

:class:`MultiWorkerRun` starts ``python -m designer train PROJECT --environment multi-worker``
N times, each with its own TF_CONFIG (a cluster on 127.0.0.1) and its share of the cores,
forwards the chief's events to a sink, ends every worker when one fails or on
:meth:`~MultiWorkerRun.stop`, and gives back the chief's exit code and summary. Each worker
is the program a cluster machine runs, started by hand with its own TF_CONFIG.

:class:`MultiWorkerTrainer` wraps it as the trainer object the GUI's training window drives
(``make_trainer``): ``run()`` returns the chief's TrainingResult and loads the weights it
trained into the prepared run's model.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from designer.core.progress import CancelToken
from designer.training.event_stream import replay
from designer.training.events import IterationPoint, Status, StatusEvent, as_sink
from designer.training.history import TrainingResult
from designer.training.multi_worker import local_tf_configs

if TYPE_CHECKING:
    from designer.app.project_run import PreparedRun

EXIT_FAILED = 1
STOP_AHEAD_SECONDS = 1.0  # a coordinated stop lands this much training after the chief's last


@dataclass
class _Worker:
    index: int
    process: subprocess.Popen[bytes]
    log: Path | None  # stdout and stderr of a worker whose output is not relayed


class MultiWorkerRun:
    """``workers`` local training processes of ``project_path`` with MultiWorkerMirroredStrategy.

    ``sink`` receives the chief's events (on a reader thread). ``stdout``/``stderr``, when
    given, receive the chief's output as it comes (else it goes to a log, like the other
    workers'); with ``json`` the chief prints its summary as JSON, kept in :attr:`summary`.
    Only the chief writes ``out_dir`` (and checkpoint/TensorBoard folders).
    """

    def __init__(
        self,
        project_path: str | os.PathLike[str],
        workers: int,
        epochs: int | None = None,
        out_dir: str | os.PathLike[str] | None = None,
        allow_unsafe: bool = False,
        *,
        sink: Any = None,
        json: bool = False,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
        extra_args: list[str] | None = None,
        python: str | None = None,
        grace: float = 30.0,
        kill_after: float = 5.0,
    ) -> None:
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"Expected a number of workers >= 1, received {workers!r}")
        self.project_path = str(project_path)
        self.workers = workers
        self.epochs = epochs
        self.out_dir = str(out_dir or f"{Path(project_path).stem}-training")
        self.allow_unsafe = allow_unsafe
        self.sink = as_sink(sink) if sink is not None else None
        self.json = json
        self.stdout, self.stderr = stdout, stderr
        self.extra_args = list(extra_args or [])
        self.python = python or sys.executable
        self.grace, self.kill_after = grace, kill_after
        self.processes: list[_Worker] = []
        self.summary: dict[str, Any] | None = None  # the chief's JSON summary (json=True)
        self.returncode: int | None = None
        self.failed_worker: int | None = None  # the first worker that failed
        self.message = ""  # why the run failed, when it did not fail in the chief
        self.last_iteration = 0  # the chief's, from its events
        self.last_elapsed = 0.0
        self.terminal_status: StatusEvent | None = None  # the chief's last end status
        self._logs = Path(tempfile.mkdtemp(prefix="nd-workers-"))
        self._threads: list[threading.Thread] = []
        self._chief_out: list[str] = []
        self._stop_deadline: float | None = None
        self._lock = threading.Lock()

    # -- life cycle -------------------------------------------------------------------
    def command(self, index: int, events_fd: int | None, events_file: str | None) -> list[str]:
        """The command line of worker ``index``."""
        cmd = [self.python, "-m", "designer", "train", self.project_path]
        cmd += ["--workers", "1", "--environment", "multi-worker", "--out", self.out_dir]
        cmd += ["--control-stdin"]
        if self.epochs is not None:
            cmd += ["--epochs", str(self.epochs)]
        if self.json:
            cmd.append("--json")
        if self.allow_unsafe:
            cmd.append("--unsafe")
        if events_fd is not None:
            cmd += ["--events-fd", str(events_fd)]
        elif events_file is not None:
            cmd += ["--events", events_file]
        return cmd + self.extra_args

    def environment(self, index: int, tf_config: dict[str, Any]) -> dict[str, str]:
        """The environment of worker ``index``: its TF_CONFIG and its share of the cores."""
        env = dict(os.environ)
        env["TF_CONFIG"] = json.dumps(tf_config)
        env["ND_WORKER_THREADS"] = str(max(1, (os.cpu_count() or 1) // self.workers))
        env["PYTHONUNBUFFERED"] = "1"
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from designer.app.experiment_run import visible_gpus

        gpus = visible_gpus()
        if gpus:  # one GPU per worker, in turn
            env["CUDA_VISIBLE_DEVICES"] = gpus[index % len(gpus)]
        return env

    def start(self) -> None:
        """Start every worker (the chief, worker 0, first)."""
        if self.processes:
            raise RuntimeError("This multi-worker run has already started")
        configs = local_tf_configs(self.workers)
        for index, config in enumerate(configs):
            self.processes.append(self._spawn(index, config))

    def _spawn(self, index: int, config: dict[str, Any]) -> _Worker:
        chief = index == 0
        read_fd = write_fd = None
        events_file = None
        if chief:  # its events: for the sink, and to know where a stop can land
            if os.name == "posix":
                read_fd, write_fd = os.pipe()
            else:  # no fd passing: a file the reader follows
                events_file = str(self._logs / "events.jsonl")
                Path(events_file).touch()
        log = None if chief and self.stdout is not None else self._logs / f"worker-{index}.log"
        out_target: Any = subprocess.PIPE
        err_target: Any = subprocess.PIPE
        log_file = None
        if log is not None:
            log_file = open(log, "wb")  # noqa: SIM115 - closed below, once the child has it
            out_target, err_target = log_file, subprocess.STDOUT
        try:
            process = subprocess.Popen(
                self.command(index, write_fd, events_file),
                stdin=subprocess.PIPE,
                stdout=out_target,
                stderr=err_target,
                env=self.environment(index, config),
                pass_fds=(write_fd,) if write_fd is not None else (),
            )
        finally:
            if write_fd is not None:
                os.close(write_fd)
            if log_file is not None:
                log_file.close()
        if chief:
            if read_fd is not None:
                self._thread(self._read_events, os.fdopen(read_fd, encoding="utf-8"))
            elif events_file is not None:
                self._thread(self._follow_events, events_file, process)
            if log is None:
                self._thread(self._relay, process.stdout, self.stdout, self.json)
                self._thread(self._relay, process.stderr, self.stderr, False)
        return _Worker(index, process, log)

    def _thread(self, target: Callable[..., None], *args: Any) -> None:
        t = threading.Thread(target=target, args=args, daemon=True)
        t.start()
        self._threads.append(t)

    def wait(self, timeout: float | None = None, poll: float = 0.2) -> int | None:
        """Wait until every worker has ended (at most ``timeout`` s: None when not yet);
        ends them all when one fails. Returns the run's exit code: the chief's, or, when
        the chief was ended because another worker failed, that worker's (1 at least)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            codes = [w.process.poll() for w in self.processes]
            failed = [
                w.index for w, c in zip(self.processes, codes, strict=True) if c not in (None, 0)
            ]
            if failed and self.failed_worker is None:
                self.failed_worker = failed[0]
                self._on_failure(failed[0])
            if self._stop_deadline is not None and time.monotonic() > self._stop_deadline:
                self._stop_deadline = None
                self.terminate()
            if all(c is not None for c in codes):
                return self._finish()
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(poll)

    def run(self) -> int:
        """Start, wait and return the exit code (:meth:`wait`)."""
        self.start()
        try:
            code = self.wait()
        except BaseException:
            self.terminate()
            raise
        assert code is not None
        return code

    def _on_failure(self, index: int) -> None:
        """One worker failed: the chief's exit code says most, so give it a moment to end
        by itself (the same error reaches every worker), then end everyone still running."""
        chief = self.processes[0].process
        with contextlib.suppress(subprocess.TimeoutExpired):
            chief.wait(timeout=5.0 if index != 0 else 0.0)
        self.terminate()

    def stop(self, now: bool = False) -> None:
        """Stop every worker: by default after the same coming iteration (a little ahead of
        the chief, so that they leave training together and the chief saves its outputs),
        ending them all if that has not happened within ``grace`` s; ``now``: end them at
        once (SIGTERM, then SIGKILL after ``kill_after`` s)."""
        if now:
            self.terminate()
            return
        rate = self.last_iteration / self.last_elapsed if self.last_elapsed > 0 else 0.0
        at = self.last_iteration + max(3, math.ceil(rate * STOP_AHEAD_SECONDS))
        for w in self.processes:
            if w.process.poll() is None and w.process.stdin is not None:
                with contextlib.suppress(OSError, ValueError):
                    w.process.stdin.write(f"stop {at}\n".encode())
                    w.process.stdin.flush()
        with self._lock:
            if self._stop_deadline is None:
                self._stop_deadline = time.monotonic() + self.grace

    def terminate(self) -> None:
        """End every worker still running: SIGTERM, then SIGKILL after ``kill_after`` s."""
        alive = [w.process for w in self.processes if w.process.poll() is None]
        for p in alive:
            with contextlib.suppress(OSError):
                p.send_signal(signal.SIGTERM)
        end = time.monotonic() + self.kill_after
        for p in alive:
            try:
                p.wait(timeout=max(0.0, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def _finish(self) -> int:
        for t in self._threads:
            t.join(timeout=5.0)
        for w in self.processes:
            if w.process.stdin is not None:
                with contextlib.suppress(OSError):
                    w.process.stdin.close()
        chief = self.processes[0].process.returncode
        code = chief
        if self.failed_worker not in (None, 0) and chief != 0:
            worker = self.processes[self.failed_worker or 0]
            tail = self.log_tail(worker.index)
            self.message = (
                f"worker {worker.index} of {self.workers} ended with exit code "
                f"{worker.process.returncode}, so every worker was stopped"
                + (f" ({tail})" if tail else "")
            )
            code = worker.process.returncode if chief < 0 or chief is None else chief
        elif chief is not None and chief < 0 and not self.message:
            self.message = f"the chief worker was ended by signal {-chief}"
        if code is None or code < 0:
            code = EXIT_FAILED
        self.returncode = code
        chief_log = self.processes[0].log
        if self.json and not self._chief_out and chief_log is not None and chief_log.exists():
            self._chief_out = chief_log.read_text(encoding="utf-8", errors="replace").splitlines()
        if self.json and self._chief_out:
            self.summary = _last_json(self._chief_out)
        return code

    def close(self) -> None:
        """Remove the workers' logs (after :meth:`log_tail` is no longer needed)."""
        shutil.rmtree(self._logs, ignore_errors=True)

    # -- what the chief tells ---------------------------------------------------------
    def _on_event(self, method: str, event: Any) -> None:
        if isinstance(event, IterationPoint):
            self.last_iteration, self.last_elapsed = event.iteration, event.elapsed
        elif isinstance(event, StatusEvent) and event.status in (
            Status.STOPPED,
            Status.FINISHED,
            Status.FAILED,
        ):
            self.terminal_status = event

    def _read_events(self, stream: IO[str]) -> None:
        with stream:
            replay(stream, self.sink, strict=False, on_event=self._on_event)

    def _follow_events(self, path: str, process: subprocess.Popen[bytes]) -> None:
        with open(path, encoding="utf-8") as f:
            pending = ""
            while True:
                chunk = f.readline()
                if chunk:
                    pending += chunk
                    if pending.endswith("\n"):
                        replay([pending], self.sink, strict=False, on_event=self._on_event)
                        pending = ""
                    continue
                if process.poll() is not None:
                    break
                time.sleep(0.1)

    def _relay(self, source: IO[bytes] | None, target: IO[str] | None, keep: bool) -> None:
        if source is None:
            return
        with source:
            for raw in source:
                line = raw.decode("utf-8", "replace")
                if keep:  # the JSON summary: printed by the caller, with "workers" added
                    self._chief_out.append(line)
                elif target is not None:
                    target.write(line)
                    target.flush()

    def chief_output(self) -> list[str]:
        """The chief's standard output lines, when kept (``json=True``)."""
        return list(self._chief_out)

    def log_tail(self, index: int, lines: int = 1) -> str:
        """The last non-empty line(s) of worker ``index``'s log ('' without one)."""
        log = self.processes[index].log if index < len(self.processes) else None
        if log is None or not log.exists():
            return ""
        text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        text = [t for t in text if t.strip() and not t.startswith(("I0000", "W0000"))]
        errors = [t for t in text if t.startswith("error:") or "Error" in t]
        return " | ".join((errors or text)[-lines:])

    def result(self) -> TrainingResult | None:
        """The chief's TrainingResult (its ``result.json``), None when it wrote none."""
        path = Path(self.out_dir) / "result.json"
        try:
            return TrainingResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None


def _last_json(lines: list[str]) -> dict[str, Any] | None:
    for line in reversed(lines):
        with contextlib.suppress(ValueError):
            value = json.loads(line)
            if isinstance(value, dict):
                return value
    return None


class MultiWorkerTrainer:
    """The GUI's trainer object for a multi-worker run (TrainingProgressWindow.start's
    ``make_trainer``): trains the saved project file ``project_path`` (save the project
    first) with ``workers`` local workers; the weights the chief trained end up in
    ``run.model``, so the window stores and evaluates them as after any run.

    :meth:`pause` does nothing: the workers cannot wait in step without holding their
    all-reduce, and a Resume would find them timed out (the button shows it stays running).
    """

    paused = False
    can_pause = False

    def __init__(
        self,
        run: PreparedRun,
        project_path: str | os.PathLike[str],
        workers: int,
        sink: Any = None,
        cancel: CancelToken | None = None,
        *,
        allow_unsafe: bool = False,
    ) -> None:
        self.prepared = run
        self.project_path = str(project_path)
        self.workers = workers
        self.sink = as_sink(sink) if sink is not None else None
        self.cancel = cancel
        self.allow_unsafe = allow_unsafe
        self.multi: MultiWorkerRun | None = None
        self._stop = False
        self.scratch: str | None = None  # a folder removed after the run (the snapshot's)

    def run(self) -> TrainingResult:
        """Train with the workers; returns the chief's result (a failed one when the run
        did not get that far)."""
        out = tempfile.mkdtemp(prefix="nd-multi-worker-")
        multi = self.multi = MultiWorkerRun(
            self.project_path,
            self.workers,
            epochs=self.prepared.options.max_epochs,
            out_dir=out,
            allow_unsafe=self.allow_unsafe,
            sink=self.sink,
        )
        try:
            multi.start()
            if self._stop:
                multi.stop()
            while multi.wait(timeout=0.5) is None:
                if self.cancel is not None and self.cancel.cancelled and not self._stop:
                    self.stop()
            result = multi.result()
            if result is None:
                result = self._failed(multi.message or multi.log_tail(0) or "no result")
            elif multi.message and result.status != "failed":
                result.status, result.message = "failed", multi.message
            else:
                self._load_weights(Path(out) / "model.keras", result)
            return result
        finally:
            multi.terminate()
            multi.close()
            shutil.rmtree(out, ignore_errors=True)
            if self.scratch is not None:
                shutil.rmtree(self.scratch, ignore_errors=True)

    def _failed(self, why: str) -> TrainingResult:
        message = f"Multi-worker training failed: {why}"
        terminal = self.multi.terminal_status if self.multi is not None else None
        if self.sink is not None and terminal is None:
            self.sink.on_status(StatusEvent(Status.FAILED, message))
        return TrainingResult("failed", "error", message)

    def _load_weights(self, path: Path, result: TrainingResult) -> None:
        if result.status == "failed" or not path.exists():
            return
        import keras

        try:
            trained = keras.models.load_model(path, compile=False, safe_mode=not self.allow_unsafe)
            self.prepared.model.set_weights(trained.get_weights())
        except Exception as exc:  # a project file that no longer matches the open network
            result.status, result.stop_reason = "failed", "error"
            result.message = (
                f"The workers trained {self.project_path}, whose network does not match the "
                f"open one (save the project before training): {type(exc).__name__}: {exc}"
            )

    def stop(self) -> None:
        """Stop every worker after the same coming iteration (the chief saves its model)."""
        self._stop = True
        if self.multi is not None:
            self.multi.stop()

    def pause(self) -> None:
        """Does nothing (see the class): a multi-worker run cannot pause."""

    def resume(self) -> None:
        """Does nothing (nothing pauses)."""


def snapshot_trainer(
    project: Any, workers: int
) -> Callable[[PreparedRun, Any, CancelToken], MultiWorkerTrainer]:
    """The GUI's ``make_trainer`` for ``workers`` local workers: they train ``project`` as it
    is when the run starts (saved to a scratch folder, removed after the run), so an unsaved
    or modified project trains as shown and its weights fit the open network. Layers that run
    code are allowed in the workers when the user consented to each of them here."""
    from designer.app.project import save_project
    from designer.core.layers import untrusted_layers

    def make(run: PreparedRun, sink: Any, cancel: CancelToken) -> MultiWorkerTrainer:
        folder = tempfile.mkdtemp(prefix="nd-multi-worker-project-")
        path = save_project(project, Path(folder) / "project.ndproj")
        consented = not untrusted_layers(project.graph)
        trainer = MultiWorkerTrainer(run, path, workers, sink, cancel, allow_unsafe=consented)
        trainer.scratch = folder
        return trainer

    return make
