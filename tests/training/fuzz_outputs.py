"""Fuzzing training outputs (the tests/fuzz protocol: ``one_case(rng, workdir) -> str``):

- folders: a project (saved or not) whose checkpoint/TensorBoard folders are random paths
  (``..``, links out, ``~``, absolute, odd characters, confirmed or not); training_options
  either refuses with a one-line ProjectRunError and leaves the project as it was, or gives
  absolute folders inside the project's folder or confirmed by the user, which the trainer
  can then create;
- csv: random rows (odd column names and values, new columns late) appended to a CsvLog in
  random batches read back exactly after every append, with no temporary left;
- atomic: a write that fails part-way leaves the previous file, and cleaning removes only
  the temporaries of dead processes.

``python -m tests.training.fuzz_outputs --minutes 3`` runs it for a while and counts.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
from pathlib import Path
from typing import Any

from tests.fuzz import InvariantBroken, run_cases

PIECES = [
    "..",
    ".",
    "ckpt",
    "runs",
    "tb",
    "a b",
    "ünï",
    "x" * 60,
    "y" * 300,
    "",
    "~",
    "link",
    "-rf",
    "$HOME",
    "*",
    "nul\x00",
    "\\..\\..",
    "C:",
]
COLUMNS = ["epoch", "loss", "val_loss", "accuracy", "a,b", 'q"uote', "new\nline", "ü", "phase"]
VALUES: list[Any] = [
    0,
    1,
    -1,
    0.5,
    1e-300,
    1e300,
    float("nan"),
    float("inf"),
    "",
    "x,y",
    '"',
    "a\nb",
    "ü",
    " ",
]


def _path(rng: random.Random, workdir: Path) -> str:
    parts = [rng.choice(PIECES) for _ in range(rng.randint(1, 4))]
    path = "/".join(parts)
    kind = rng.random()
    if kind < 0.2:
        return str(workdir / "outside" / path)  # absolute
    if kind < 0.3:
        return "/" + path
    return path


def _folders(rng: random.Random, workdir: Path) -> str:
    from designer.app.project import Project
    from designer.app.project_run import ProjectRunError, training_options
    from designer.app.run_dirs import confirm_folder, forget_confirmed, is_confirmed
    from designer.training.atomic import prepare_folders

    forget_confirmed()
    folders = {name: _path(rng, workdir) for name in ("checkpoint_dir", "tensorboard_dir")}
    for name in list(folders):
        if rng.random() < 0.3:
            del folders[name]
    try:
        project = Project.from_sections(name="p", training=folders)
    except ValueError as exc:  # SettingsError: e.g. a NUL in a path
        _one_line(exc)
        return f"refused:{type(exc).__name__}"
    root = workdir / "proj"
    (workdir / "outside").mkdir()
    if rng.random() < 0.8:
        root.mkdir()
        project.path = root / "p.ndproj"
        if rng.random() < 0.3:
            (root / "link").symlink_to(workdir / "outside")
    for value in folders.values():
        if os.path.isabs(os.path.expanduser(value)) and rng.random() < 0.4:
            confirm_folder(value)
    before = project.settings
    try:
        options = training_options(project)
    except ProjectRunError as exc:
        _one_line(exc)
        if project.settings != before:
            raise InvariantBroken("a refused folder changed the project's settings") from exc
        return "refused:ProjectRunError"
    root_real = os.path.realpath(root) if project.path is not None else None
    for name, value in folders.items():
        got = getattr(options, name)
        if not value:
            continue
        if not os.path.isabs(got):
            raise InvariantBroken(f"{name} {value!r} resolved to a relative path {got!r}")
        inside = root_real is not None and os.path.commonpath([root_real, got]) == root_real
        if not inside and not is_confirmed(got):
            raise InvariantBroken(f"{name} {value!r} resolved outside the project to {got!r}")
    work = os.path.realpath(workdir)
    writable = all(
        os.path.commonpath([work, getattr(options, n)]) == work for n, v in folders.items() if v
    )
    if writable:  # never create folders outside the case's own
        try:
            prepare_folders(options)
        except ValueError as exc:  # e.g. a name too long for the file system
            _one_line(exc)
            return "refused:folder"
    forget_confirmed()
    return "ok"


def _csv(rng: random.Random, workdir: Path) -> str:
    from designer.training.atomic import temporaries
    from designer.training.history_files import CsvLog

    path = workdir / "history.csv"
    if rng.random() < 0.5:
        path.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randint(0, 50))))
    log = CsvLog(str(path))
    written: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 6)):
        batch = [
            {k: rng.choice(VALUES) for k in rng.sample(COLUMNS, rng.randint(1, 4))}
            for _ in range(rng.randint(0, 4))
        ]
        log.append(batch)
        written += batch
        if written:
            _check_csv(path, written, log.fields or [])
    log.close()
    if temporaries(str(workdir)):
        raise InvariantBroken("a CsvLog left a temporary file")
    return "ok"


def _check_csv(path: Path, written: list[dict[str, Any]], fields: list[str]) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        back = list(reader)
        header = reader.fieldnames or []
    if header != fields:
        raise InvariantBroken(f"history header {header} is not the columns {fields}")
    want = [{k: str(row.get(k, "")) for k in fields} for row in written]
    if back != want:
        raise InvariantBroken("a CsvLog reads back different rows than were appended")


def _atomic(rng: random.Random, workdir: Path) -> str:
    from designer.training.atomic import clean_temporaries, temporaries, write_atomic

    path = workdir / rng.choice(["model.keras", "history.csv", "result.json", "x"])
    old = bytes(rng.randrange(256) for _ in range(rng.randint(0, 100)))
    path.write_bytes(old)
    cut = rng.randint(0, 200)

    def partial(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(b"n" * cut)
        if rng.random() < 0.7:
            raise OSError(28, "No space left on device")

    try:
        write_atomic(str(path), partial)
        expected = b"n" * cut
    except OSError:
        expected = old
    if path.read_bytes() != expected:
        raise InvariantBroken("an atomic write left a file that is neither the old nor the new")
    dead = int(Path("/proc/sys/kernel/pid_max").read_text()) + rng.randint(1, 100)
    stale = workdir / f".{path.name}.partial-{dead}-0123abcd{path.suffix}"
    stale.write_bytes(b"half")
    live = workdir / f".{path.name}.partial-{os.getpid()}-0123abcd{path.suffix}"
    live.write_bytes(b"being written")
    clean_temporaries(str(workdir))
    if [p for p, _ in temporaries(str(workdir))] != [str(live)] or not path.exists():
        raise InvariantBroken("cleaning removed a live temporary or kept a dead one")
    live.unlink()
    return "ok"


def _one_line(exc: BaseException) -> None:
    text = str(exc)
    if not text or "\n" in text:
        raise InvariantBroken(f"a refusal is not one line: {text!r}") from exc


CASES = {"folders": _folders, "csv": _csv, "atomic": _atomic}


def one_case(rng: random.Random, workdir: Path) -> str:
    """One random case of a random kind; its outcome prefixed with the kind."""
    kind = rng.choice(sorted(CASES))
    return f"{kind}:{CASES[kind](rng, workdir)}"


def main() -> None:
    """Fuzz for ``--minutes`` and print the figures."""
    parser = argparse.ArgumentParser(description="fuzz training outputs")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    tally = run_cases("training_outputs", one_case, args.minutes * 60, args.seed)
    print(f"== {tally.name}: {tally.cases} cases in {tally.seconds:.0f} s, {tally.failed} failures")
    for outcome, count in tally.outcomes.most_common():
        print(f"   {count:8d}  {outcome}")
    for kind, count in tally.failures.most_common():
        print(f"   FAILED {count:5d}  {kind}\n{tally.examples[kind]}")


if __name__ == "__main__":
    main()
