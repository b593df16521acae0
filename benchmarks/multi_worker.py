"""One worker against N local workers (MultiWorkerMirroredStrategy) on the same data and
epochs, with plain ``model.fit`` as the baseline; every run in a fresh process.

    .venv/bin/python benchmarks/multi_worker.py [--samples 2000] [--epochs 2] [--workers 2]

Prints, per run, the wall time of the whole command (start-up included), the training time
(fit, from the run's summary) and throughput, and their ratios to the one-worker run.
Results and what they mean on a 2-core machine: docs/multi_worker.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "designer" / "resources" / "samples" / "lenet5.json"


def make_project(folder: Path, samples: int, batch: int) -> Path:
    """The sample LeNet-5 project with ``samples`` digits, saved in ``folder``."""
    sys.path.insert(0, str(ROOT))
    from designer.app.project import load_project, save_project
    from tests.fixtures import edit_sections

    project = load_project(SAMPLE)
    edit_sections(
        project,
        data={"source": {"num_samples": samples}},
        training={"solver": "adam", "initial_learn_rate": 0.003, "mini_batch_size": batch},
    )
    return save_project(project, folder / "bench.json")


def baseline(project: str, epochs: int) -> None:
    """Plain ``model.fit`` on the project's model and data (the child of a baseline run)."""
    from designer.app.project import load_project
    from designer.app.project_run import prepare_run

    run = prepare_run(load_project(project), epochs)
    sparse = run.data.train.element_spec[1].shape.rank == 1  # class indices, not one-hot
    loss = "sparse_categorical_crossentropy" if sparse else "categorical_crossentropy"
    run.model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    start = time.perf_counter()
    history = run.model.fit(
        run.data.train, validation_data=run.data.validation, epochs=epochs, verbose=0
    )
    seconds = time.perf_counter() - start
    n = run.data.num_train * epochs
    print(
        json.dumps(
            {
                "seconds": seconds,
                "samples_per_second": n / seconds,
                "final": {"val_accuracy": history.history["val_accuracy"][-1]},
            }
        )
    )


def timed_run(command: list[str]) -> tuple[float, dict]:
    """(wall seconds, the JSON summary on the last line of stdout) of one command."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the three variants and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_child:
        baseline(args.baseline_child, args.epochs)
        return
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project = str(make_project(folder, args.samples, args.batch))
        train = [py, "-m", "designer", "train", project, "--epochs", str(args.epochs), "--json"]
        runs = {
            "model.fit (baseline)": [
                py,
                __file__,
                "--baseline-child",
                project,
                "--epochs",
                str(args.epochs),
            ],
            "1 worker (train)": [*train, "--out", str(folder / "one")],
            f"{args.workers} workers (train --workers {args.workers})": [
                *train,
                "--out",
                str(folder / "many"),
                "--workers",
                str(args.workers),
            ],
        }
        results = {name: timed_run(cmd) for name, cmd in runs.items()}
    print(
        f"{args.samples} samples (80% train), batch {args.batch}, {args.epochs} epochs, "
        f"{os.cpu_count()} cores"
    )
    one_wall, one = results["1 worker (train)"]
    print(f"{'run':38} {'wall s':>7} {'fit s':>7} {'samples/s':>10} {'val_acc':>8} {'fit x1':>7}")
    for name, (wall, summary) in results.items():
        fit = summary["seconds"]
        acc = summary["final"].get("val_accuracy", float("nan"))
        print(
            f"{name:38} {wall:7.1f} {fit:7.2f} {summary['samples_per_second'] or 0:10.0f} "
            f"{acc:8.3f} {fit / one['seconds']:7.2f}"
        )
    many_wall, many = results[list(results)[-1]]
    print(
        f"{args.workers} workers / 1 worker: wall {many_wall / one_wall:.2f}x, "
        f"fit time {many['seconds'] / one['seconds']:.2f}x"
    )


if __name__ == "__main__":
    main()
