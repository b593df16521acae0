"""Kill -9 harness: a child process trains a tiny model (checkpoints every epoch, TensorBoard
logs, the CLI's output files) and is killed with SIGKILL at a random moment; then every file
under its final name must load, the history must have a row for every epoch the child saw
finish, and no temporary of an earlier run may be left. All runs share one folder, so each
run also cleans up after the one killed before it.

The suite runs a few kills (tests/training/test_kill.py); for a measured run:
``python -m tests.training.killing --kills 200 [--jitter-ms 40]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import multiprocessing
import os
import random
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras

EPOCHS, SAMPLES, BATCH = 3, 48, 16
ITERATIONS = SAMPLES // BATCH  # per epoch
TIMEOUT = 120.0  # seconds without a message before the child counts as hung


@dataclass
class KillTally:
    """What the kills left: counts, and every broken file by path."""

    runs: int = 0
    kills: int = 0
    completed: int = 0
    checkpoints: int = 0  # checkpoint files found (and loaded) after kills
    models: int = 0  # model.keras found (and loaded) after kills
    histories: int = 0  # history.csv files parsed after kills
    torn_event_tails: int = 0  # TensorBoard records cut by a kill (the reader skips them)
    moments: dict[str, int] = field(default_factory=dict)  # what the kill followed
    verified: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # path -> stat
    truncated: list[str] = field(default_factory=list)
    missing_rows: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    @property
    def broken(self) -> int:
        """Truncated files, missing history rows and temporaries left: 0 when all is well."""
        return len(self.truncated) + len(self.missing_rows) + len(self.stale)


@keras.saving.register_keras_serializable(package="nd_kill")
class SaveReporting(keras.layers.Dense):
    """A Dense layer that calls ``hook`` while a model save writes its weights (the file is
    half-written then)."""

    hook: Callable[[], None] | None = None

    def save_own_variables(self, store: Any) -> None:
        """Save, then report."""
        super().save_own_variables(store)
        if SaveReporting.hook is not None:
            SaveReporting.hook()


def tiny_model() -> keras.Model:
    """Input(6) -> SaveReporting(8) -> Dense(3, softmax)."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((6,))
    hidden = SaveReporting(8, activation="relu", name="hidden")(inp)
    return keras.Model(inp, keras.layers.Dense(3, activation="softmax", name="out")(hidden))


def child(folder: str, conn: Any, target: tuple[str, int]) -> None:
    """Train in ``folder`` (out/, ckpt/, tb/), telling ``conn`` each iteration, epoch, model
    save and end; at the ``target`` save it waits (mid-write) for the kill."""
    from designer.training import TrainingOptions
    from designer.training.console import train_model
    from tests.training.util import blobs

    saves = [0]

    def saving() -> None:
        saves[0] += 1
        conn.send(("saving", saves[0]))
        if target == ("saving", saves[0]):
            threading.Event().wait()  # the parent kills this process now

    SaveReporting.hook = saving

    class Tell:
        def on_iteration(self, point: Any) -> None:
            conn.send(("iteration", point.iteration))

        def on_epoch(self, summary: Any) -> None:
            conn.send(("epoch", summary.epoch))

        def on_status(self, event: Any) -> None:
            if event.status.value in ("stopped", "finished", "failed"):
                conn.send(("end", 0))

    x, y = blobs(SAMPLES)
    options = TrainingOptions(
        solver="adam",
        max_epochs=EPOCHS,
        mini_batch_size=BATCH,
        shuffle="never",
        checkpoint_dir=os.path.join(folder, "ckpt"),
        tensorboard_dir=os.path.join(folder, "tb"),
    )
    out = os.path.join(folder, "out")
    train_model(tiny_model(), (x, y), None, options, out, sink=Tell(), stream=io.StringIO())
    conn.send(("done", 0))


def _context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    # Children fork from a server that has TensorFlow imported once: a run costs ~1 s.
    ctx.set_forkserver_preload(["keras", "tensorflow", "designer.training", __name__])
    return ctx


def _moment(rng: random.Random) -> tuple[str, int]:
    """What to kill after: an iteration, an epoch's end (its checkpoint is being written)
    or the run's end (the final files are being written)."""
    kind = rng.choice(["iteration", "epoch", "saving", "end"])
    if kind == "iteration":
        return kind, rng.randint(1, ITERATIONS * EPOCHS)
    if kind == "epoch":
        return kind, rng.randint(1, EPOCHS)
    if kind == "saving":  # a checkpoint (1..EPOCHS) or the final model.keras (EPOCHS + 1)
        return kind, rng.randint(1, EPOCHS + 1)
    return kind, 0


def run_once(
    ctx: Any, folder: Path, rng: random.Random, tally: KillTally, kill: bool, jitter: float
) -> None:
    """One child run in ``folder``: killed at a random moment (or left to finish), then checked."""
    receive, send = ctx.Pipe(duplex=False)
    target = _moment(rng) if kill else ("never", -1)
    process = ctx.Process(target=child, args=(str(folder), send, target))
    process.start()
    send.close()
    epochs_seen = 0
    settled = False  # killed, or finished on its own
    try:
        while True:
            if not receive.poll(TIMEOUT):
                raise AssertionError(f"the training child sent nothing for {TIMEOUT} s")
            try:
                kind, value = receive.recv()
            except (EOFError, OSError):  # it ended (a failure shows in its exit code)
                break
            if kind == "epoch":
                epochs_seen = value
            if kind == "done":
                break
            if (kind, value) == target:
                if jitter and kind != "saving":  # measured runs: spread the kill over writes
                    receive.poll(rng.uniform(0, jitter))
                process.kill()
                break
        settled = True
    finally:
        if not settled:  # a failed check: do not leave the child behind
            process.kill()
        process.join()
        receive.close()
    tally.runs += 1
    if process.exitcode == -9:
        tally.kills += 1
        tally.moments[target[0]] = tally.moments.get(target[0], 0) + 1
    else:
        assert process.exitcode == 0, f"the training child exited with {process.exitcode}"
        tally.completed += 1
        epochs_seen = EPOCHS
    check_folder(folder, epochs_seen, process.pid, tally)


def check_folder(folder: Path, epochs_seen: int, pid: int, tally: KillTally) -> None:
    """Every final file loads, the history covers ``epochs_seen``, temporaries are ``pid``'s."""
    import keras

    from designer.training.atomic import temporaries

    finals = [p for sub in ("ckpt", "out") for p in sorted((folder / sub).glob("*.keras"))]
    for path in finals:
        if path.name.startswith("."):  # a temporary, checked below
            continue
        st = path.stat()
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if tally.verified.get(str(path)) != key:  # loaded once per version of the file
            try:
                keras.saving.load_model(str(path))
            except Exception as exc:  # a truncated zip, a half-written config
                tally.truncated.append(f"{path.name}: {type(exc).__name__}: {exc}"[:200])
                continue
            tally.verified[str(path)] = key
        if path.parent.name == "ckpt":
            tally.checkpoints += 1
        else:
            tally.models += 1
    _check_csvs(folder / "out", epochs_seen, tally)
    result = folder / "out" / "result.json"
    if result.exists():
        try:
            json.loads(result.read_text(encoding="utf-8"))
        except ValueError as exc:
            tally.truncated.append(f"result.json: {exc}")
    tally.torn_event_tails += _check_events(folder / "tb", tally)
    for sub in ("ckpt", "out", "tb/train", "tb/validation"):
        for path, owner in temporaries(str(folder / sub)):
            if owner != pid:  # left by an earlier run: the run after it should have removed it
                tally.stale.append(path)


def _check_csvs(out: Path, epochs_seen: int, tally: KillTally) -> None:
    history, iterations = out / "history.csv", out / "iterations.csv"
    if not history.exists():
        if epochs_seen:
            tally.missing_rows.append(f"history.csv missing after {epochs_seen} epoch(s)")
        return
    try:
        with open(history, newline="", encoding="utf-8") as f:
            epochs = [int(row["epoch"]) for row in csv.DictReader(f)]
        with open(iterations, newline="", encoding="utf-8") as f:
            per_epoch = [int(row["epoch"]) for row in csv.DictReader(f)]
    except (OSError, ValueError, KeyError, csv.Error) as exc:
        tally.truncated.append(f"history: {type(exc).__name__}: {exc}")
        return
    tally.histories += 1
    if epochs != list(range(1, len(epochs) + 1)) or len(epochs) < epochs_seen:
        tally.missing_rows.append(f"history.csv epochs {epochs} after {epochs_seen} finished")
    counts = [per_epoch.count(e) for e in range(1, epochs_seen + 1)]
    if any(c != ITERATIONS for c in counts):
        tally.missing_rows.append(f"iterations.csv rows per epoch {counts}")


def _check_events(tb: Path, tally: KillTally) -> int:
    """Read every TensorBoard event file (TFRecord framing: length, CRC, data, CRC; each
    record an Event); returns how many end in a torn record."""
    from tensorflow.core.util.event_pb2 import Event

    torn = 0
    for path in sorted(tb.glob("*/events.out.tfevents.*")):
        data, at = path.read_bytes(), 0
        while at < len(data):
            if at + 12 > len(data):
                torn += 1  # only the last record can be cut: the writer appends
                break
            (length,) = struct.unpack("<Q", data[at : at + 8])
            end = at + 12 + length + 4
            if end > len(data):
                torn += 1
                break
            try:
                Event.FromString(data[at + 12 : at + 12 + length])
            except Exception as exc:
                tally.truncated.append(f"{path.name}: {type(exc).__name__}: {exc}"[:200])
                break
            at = end
    return torn


def kill_runs(folder: Path, kills: int, seed: int = 0, jitter: float = 0.0) -> KillTally:
    """Kill ``kills`` runs in ``folder``, then let one finish; checks after each."""
    ctx = _context()
    rng = random.Random(seed)
    tally = KillTally()
    folder.mkdir(parents=True, exist_ok=True)
    while tally.kills < kills:
        run_once(ctx, folder, rng, tally, kill=True, jitter=jitter)
    run_once(ctx, folder, rng, tally, kill=False, jitter=0.0)
    return tally


def main() -> None:
    """Measured run: print the figures."""
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    args = parser.parse_args()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nd-kill-") as tmp:
        tally = kill_runs(Path(tmp), args.kills, args.seed, args.jitter_ms / 1000)
    print(
        f"runs {tally.runs}, kills {tally.kills} (after {tally.moments}), completed "
        f"{tally.completed}, {time.perf_counter() - start:.0f} s\n"
        f"found and loaded after kills: {tally.checkpoints} checkpoints, {tally.models} "
        f"model.keras, {tally.histories} histories; torn TensorBoard tails {tally.torn_event_tails}\n"
        f"truncated {len(tally.truncated)}, missing history rows {len(tally.missing_rows)}, "
        f"stale temporaries {len(tally.stale)}"
    )
    for line in tally.truncated + tally.missing_rows + tally.stale:
        print("  ", line)


if __name__ == "__main__":
    main()
