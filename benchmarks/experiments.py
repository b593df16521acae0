"""Wall time of an experiment: trials one after another vs K at once, against a baseline.

The same 4 trials (learning rate x dropout, grid) on the sample LeNet-5 with a Dropout
layer and N digits: (a) the baseline, a plain loop in this process training each trial's
network one after another (no Optuna, no worker processes); (b) ``main.py experiment
--parallel 1``; (c) ``main.py experiment --parallel 2``. Prints the wall times, the
ratios to the baseline and the best value each found.

    .venv/bin/python benchmarks/experiments.py [--samples 1797] [--epochs 3] [--parallel 2]
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

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from designer.app.experiment_params import project_with  # noqa: E402
from designer.app.project import load_project  # noqa: E402
from designer.app.project_run import prepare_run  # noqa: E402
from tests.experiment_fixtures import SPACE, dropout_project  # noqa: E402


def baseline(project_path: Path, epochs: int) -> tuple[float, float]:
    """Each grid point trained in this process, one after another; (seconds, best)."""
    from designer.training.trainer import Trainer

    project = load_project(project_path)
    start = time.perf_counter()
    best = 0.0
    for lr in SPACE["parameters"][0]["values"]:
        for rate in SPACE["parameters"][1]["values"]:
            params = {"training.initial_learn_rate": lr, "layer.drop.rate": rate}
            run = prepare_run(project_with(project, params), epochs)
            options = run.options.replace(validation_frequency="epoch")
            result = Trainer(run.model, run.data.train, run.data.validation, options).run()
            best = max(best, result.best.get("val_accuracy", {}).get("value", 0.0))
    return time.perf_counter() - start, best


def experiment(project_path: Path, folder: Path, parallel: int, epochs: int) -> tuple[float, float]:
    """``main.py experiment`` with ``parallel`` workers; (seconds, best value)."""
    space = folder / "space.json"
    space.write_text(json.dumps({**SPACE, "epochs": epochs}))
    command = [sys.executable, str(ROOT / "main.py"), "experiment", str(project_path)]
    command += ["--space", str(space), "--parallel", str(parallel), "--json"]
    command += ["--storage", f"sqlite:///{folder / f'p{parallel}.db'}", "--study", f"p{parallel}"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])["best"]["value"]


def main() -> None:
    """Run the three and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1797)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = dropout_project(folder, samples=args.samples)
        plain, plain_best = baseline(path, args.epochs)
        print(
            f"baseline (plain loop, 4 trials): {plain:6.1f} s  best val_accuracy {plain_best:.3f}"
        )
        for parallel in (1, args.parallel):
            seconds, best = experiment(path, folder, parallel, args.epochs)
            print(
                f"experiment --parallel {parallel}:        {seconds:6.1f} s  best {best:.3f}  "
                f"ratio to baseline {seconds / plain:.2f}"
            )


if __name__ == "__main__":
    main()
