"""Kill -9 during saves: a child saves two versions of a project over one path in turn and is
killed at random moments; after each kill the file must load as one of the two versions, and
after the next save no temporary may be left. The suite runs 30 kills
(tests/app/test_file_security.py); for a measured run:

    .venv/bin/python benchmarks/kill_save.py --kills 150
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from designer.app.project import Project, load_project, save_project
from designer.core.errors import ProjectError
from designer.core.project_file import temporaries_of
from tests.app.test_file_security import _saver


def main() -> int:
    """Kill, check, count; 1 when any file was lost, torn or left a temporary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    context = multiprocessing.get_context("fork")
    broken, left, versions, saves = 0, 0, {"old": 0, "new": 0}, 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.ndproj"
        for kill in range(args.kills):
            parent, child_end = context.Pipe()
            child = context.Process(target=_saver, args=(str(path), child_end, kill), daemon=True)
            child.start()
            parent.poll(120)
            deadline = time.monotonic() + rng.uniform(0.0, 0.3)
            while (rest := deadline - time.monotonic()) > 0:
                if parent.poll(rest):
                    saves += parent.recv() > 0
            os.kill(child.pid, signal.SIGKILL)
            child.join()
            left += len(temporaries_of(path))  # the kill's own half-written temporary
            try:
                versions[load_project(path).name] += 1
            except (ProjectError, KeyError):
                broken += 1
        save_project(Project(name="after"), path)
        stale = len(temporaries_of(path))
    print(
        f"{args.kills} kills after {saves} whole saves: file loaded {versions} "
        f"(old/new), broken {broken}; temporaries seen right after kills: {left}, "
        f"left after the next save: {stale}"
    )
    return 1 if broken or stale else 0


if __name__ == "__main__":
    sys.exit(main())
