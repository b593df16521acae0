"""Corpus harness: Keras example models through import, rebuild, analysis, export and the window.

    python benchmarks/corpus.py                      # every model, every stage -> docs/corpus.md
    python benchmarks/corpus.py --fast               # the subset of the test suite
    python benchmarks/corpus.py --only vit,seq2seq --stages keras,rebuild,onnx
    python benchmarks/corpus.py --json --out /tmp/corpus.md --jobs 2 --timeout 900

The models are tests/corpus (about sixty, written after the keras-io examples, plus five legacy
tf.keras ``.h5`` files built on demand); the stages are those of tests/corpus/stages.py
(keras, rebuild, analyze, onnx, tflite, python, python-run, screenshot, no-code). Each model
runs in its own worker process (``--worker NAME``) with a time limit, so a hang or a crash of
one model is recorded as its failure and the run goes on; every exception is caught per stage and its first
line recorded. Writes one Markdown row per model (a PASS / FAIL / EXCEPTION / SKIP cell per
stage with the first line of the message; EXCEPTION for a stated exception of
tests.corpus.EXCEPTIONS), the count per stage and benchmarks/corpus_notes.md to ``--out``,
prints progress (or, with ``--json``, all results as JSON) and exits with status 1 when a
stage failed that is not a stated exception, or a stated exception passed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.corpus import ENTRIES, EXCEPTIONS, STAGES, Entry, select  # noqa: E402

DEFAULT_TIMEOUT = 900  # seconds per model, all its stages together
CELL_LIMIT = 160
NOTES = Path(__file__).with_name("corpus_notes.md")  # hand-written: before/after, exceptions


# ----------------------------------------------------------------------------- worker
def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    tmp.replace(path)


def worker(name: str, stages: list[str], workdir: Path, result_file: Path) -> int:
    """Run one model's stages in this process, writing the results after each stage."""
    import warnings

    warnings.simplefilter("ignore")
    from tests.corpus import BY_NAME
    from tests.corpus.stages import StageResult, run_entry

    state: dict[str, Any] = {"model": name, "results": [], "running": "prepare"}
    _write_json(result_file, state)
    pending = [s for s in STAGES if s in stages]

    def record(result: StageResult) -> None:
        state["results"].append(result.to_dict())
        done = {r["stage"] for r in state["results"]}
        state["running"] = next((s for s in pending if s not in done), None)
        _write_json(result_file, state)

    run_entry(BY_NAME[name], stages, workdir, on_result=record)
    state["running"] = None
    _write_json(result_file, state)
    return 0


# ----------------------------------------------------------------------------- parent
def run_model(entry: Entry, stages: list[str], workroot: Path, timeout: float) -> dict[str, Any]:
    """Run ``entry`` in a worker process; its results, with timeouts and crashes filled in."""
    workdir = workroot / entry.name
    workdir.mkdir(parents=True, exist_ok=True)
    result_file = workdir / "result.json"
    result_file.unlink(missing_ok=True)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        entry.name,
        "--stages",
        ",".join(stages),
        "--workdir",
        str(workdir),
        "--result",
        str(result_file),
    ]
    start = time.monotonic()
    log = (workdir / "worker.log").open("w", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        proc.wait()
    log.close()
    seconds = time.monotonic() - start
    try:
        state = json.loads(result_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {"model": entry.name, "results": [], "running": "prepare"}
    done = {r["stage"] for r in state["results"]}
    running = state.get("running")
    for stage in stages:
        if stage in done:
            continue
        if timed_out:
            message = f"timeout: over {timeout:.0f} s for the model" + (
                f" (while running {running})" if running == stage else ""
            )
        else:
            tail = _log_tail(workdir / "worker.log")
            message = f"worker exited {proc.returncode} during {running}: {tail}"
        status = "FAIL" if (running == stage or not done or stage == running) else "SKIP"
        state["results"].append(
            {"stage": stage, "status": status, "message": message, "seconds": 0.0, "detail": ""}
        )
    order = {s: i for i, s in enumerate(STAGES)}
    state["results"].sort(key=lambda r: order[r["stage"]])
    state.update(
        {
            "model": entry.name,
            "category": entry.category,
            "source": entry.source,
            "seconds": round(seconds, 1),
        }
    )
    state.pop("running", None)
    return state


def _log_tail(path: Path) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    except OSError:
        return ""
    lines = [line for line in lines if line and "WARNING" not in line]
    return lines[-1][:300] if lines else ""


# ----------------------------------------------------------------------------- report
def status(model: str, result: dict[str, Any]) -> str:
    """PASS, SKIP, FAIL, or EXCEPTION for a failure of a stated exception
    (tests.corpus.EXCEPTIONS)."""
    stated = (model, result["stage"]) in EXCEPTIONS
    return "EXCEPTION" if result["status"] == "FAIL" and stated else str(result["status"])


def _cell(model: str, result: dict[str, Any] | None) -> str:
    if result is None:
        return ""
    if result["status"] == "PASS":
        return "PASS"
    text = " ".join(str(result["message"]).split()).replace("|", "\\|")
    if len(text) > CELL_LIMIT:
        text = text[: CELL_LIMIT - 1] + "…"
    return f"{status(model, result)}: {text}"


def counts(models: list[dict[str, Any]], stages: list[str]) -> dict[str, dict[str, int]]:
    table = {s: {"PASS": 0, "FAIL": 0, "EXCEPTION": 0, "SKIP": 0} for s in stages}
    for model in models:
        for result in model["results"]:
            if result["stage"] in table:
                table[result["stage"]][status(model["model"], result)] += 1
    return table


def stale_exceptions(models: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Stated exceptions whose stage passed: remove them from tests.corpus.EXCEPTIONS."""
    return [
        (m["model"], r["stage"])
        for m in models
        for r in m["results"]
        if r["status"] == "PASS" and (m["model"], r["stage"]) in EXCEPTIONS
    ]


def failures(models: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(model, stage) of every failure that is not a stated exception."""
    return [
        (m["model"], r["stage"])
        for m in models
        for r in m["results"]
        if status(m["model"], r) == "FAIL"
    ]


def markdown(models: list[dict[str, Any]], stages: list[str], meta: dict[str, Any]) -> str:
    tally = counts(models, stages)
    lines = [
        "# Corpus: Keras example models through the designer",
        "",
        f"Generated by `{meta['command']}` on {meta['date']} ({meta['versions']}; designer at "
        f"{meta['designer']}). {len(models)} models from tests/corpus (written after the "
        "keras-io examples, random weights, small inputs; five legacy tf.keras `.h5` files), "
        f"{meta['seconds']:.0f} s in all.",
        "",
        "Stages (tests/corpus/stages.py): **keras** save and reload; **rebuild** "
        "`open_path` + `build_model`: same parameters, output structure and shapes, outputs "
        "within 1e-5 (relative) of the original; **analyze** `main.py analyze --json` totals "
        "equal to Keras'; **onnx** / **tflite** `main.py export` exits 0 and the artefact matches "
        "the ORIGINAL model within 1e-4 x max(1, scale); **python** `main.py export --format "
        "python` exits 0; **python-run** the generated script in a fresh interpreter, with its "
        "weights, matches the original within 1e-5; **screenshot** `main.py FILE --screenshot` "
        "exits 0 with a non-trivial PNG; **no-code** (models with custom classes) `main.py "
        "analyze --json` in a fresh process without their code opens the file read-only, with "
        "Keras' totals when the file records every custom layer's output shape.",
        "",
    ]
    if NOTES.exists():
        lines += [NOTES.read_text(encoding="utf-8").rstrip(), ""]
    lines += [
        "## Count per stage",
        "",
        "EXCEPTION: a stated exception (below), a construct the format cannot hold, refused "
        "with a message naming the layer.",
        "",
        "| stage | pass | fail | exception | skip |",
        "|---|---:|---:|---:|---:|",
    ]
    keys = ("PASS", "FAIL", "EXCEPTION", "SKIP")
    for stage in stages:
        c = tally[stage]
        lines.append(f"| {stage} | " + " | ".join(str(c[k]) for k in keys) + " |")
    total = {k: sum(tally[s][k] for s in stages) for k in keys}
    lines.append("| **all** | " + " | ".join(f"**{total[k]}**" for k in keys) + " |")
    stated = [(m, st) for (m, st) in EXCEPTIONS if st in stages]
    if stated:
        lines += ["", "## Stated exceptions", "", "| model | stage | why |", "|---|---|---|"]
        lines += [f"| {m} | {st} | {EXCEPTIONS[(m, st)]} |" for m, st in stated]
    lines += [
        "",
        "## Results",
        "",
        "| model | category | source | " + " | ".join(stages) + " |",
        "|---|---|---|" + "---|" * len(stages),
    ]
    for model in models:
        by_stage = {r["stage"]: r for r in model["results"]}
        cells = [_cell(model["model"], by_stage.get(s)) for s in stages]
        source = str(model["source"]).replace("|", "\\|")
        lines.append(
            f"| {model['model']} | {model['category']} | {source} | " + " | ".join(cells) + " |"
        )
    lines.append("")
    return "\n".join(lines)


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for package in ("keras", "tensorflow", "tf2onnx", "onnxruntime"):
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            continue
    return ", ".join(parts)


def _designer_version() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "designer"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", ""
    if not commit:
        marker = ROOT / "COMMIT"
        commit = marker.read_text().strip()[:7] if marker.exists() else "unknown"
    return f"{commit}{' + uncommitted changes' if dirty else ''}"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="comma-separated model names")
    parser.add_argument("--stages", default=",".join(STAGES), help="comma-separated stages")
    parser.add_argument("--fast", action="store_true", help="only the models marked fast")
    parser.add_argument("--out", default=str(ROOT / "docs" / "corpus.md"), help="Markdown file")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--json-out", default="", help="also write the results as JSON here")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per model (all stages)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="models run at once")
    parser.add_argument("--workdir", default="", help="keep the files here (default: a temp dir)")
    parser.add_argument(
        "--merge",
        default="",
        help="a --json-out file of an earlier run: its models not run now are kept in the report",
    )
    parser.add_argument("--list", action="store_true", help="list the models and exit")
    parser.add_argument("--worker", default="", help=argparse.SUPPRESS)
    parser.add_argument("--result", default="", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        print(f"unknown stages {unknown}; choose among {list(STAGES)}", file=sys.stderr)
        return 2
    if args.worker:
        return worker(args.worker, stages, Path(args.workdir), Path(args.result))
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    try:
        entries = select(names or None, fast=args.fast)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    if args.list:
        for entry in ENTRIES:
            flags = " ".join(
                f for f, on in (("fast", entry.fast), ("custom", entry.custom_objects)) if on
            )
            print(f"{entry.name:22s} {entry.category:11s} {entry.source}  {flags}")
        return 0
    workroot = Path(args.workdir or tempfile.mkdtemp(prefix="nd-corpus-"))
    workroot.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    done: dict[str, dict[str, Any]] = {}

    def one(entry: Entry) -> dict[str, Any]:
        state = run_model(entry, stages, workroot, args.timeout)
        if not args.json:
            marks = " ".join(f"{r['stage']}={r['status']}" for r in state["results"])
            print(f"{entry.name:22s} {state['seconds']:6.1f}s  {marks}", flush=True)
            for r in state["results"]:
                if r["status"] != "PASS":
                    print(f"    {r['stage']}: {r['status']}: {r['message'][:400]}", flush=True)
        done[entry.name] = state
        return state

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(one, entries))
    models = [done[e.name] for e in entries]
    seconds = time.monotonic() - start
    if args.merge:
        earlier = json.loads(Path(args.merge).read_text(encoding="utf-8"))
        kept = {m["model"]: m for m in earlier["models"]} | done
        models = [kept[e.name] for e in ENTRIES if e.name in kept]
        seconds += float(earlier["meta"].get("seconds", 0.0))
    meta = {
        "command": "python benchmarks/corpus.py " + " ".join(argv or sys.argv[1:]),
        "date": datetime.date.today().isoformat(),
        "versions": _versions(),
        "designer": _designer_version(),
        "seconds": seconds,
    }
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown(models, stages, meta), encoding="utf-8")
    payload = {"meta": meta, "counts": counts(models, stages), "models": models}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(payload, indent=1), encoding="utf-8")
    tally = counts(models, stages)
    if args.json:
        print(json.dumps(payload, indent=1))
    else:
        print(f"\n{len(models)} models, {seconds:.0f} s (files in {workroot})")
        for stage in stages:
            c = tally[stage]
            print(
                f"  {stage:11s} pass {c['PASS']:3d}  fail {c['FAIL']:3d}  "
                f"exception {c['EXCEPTION']:3d}  skip {c['SKIP']:3d}"
            )
        if args.out:
            print(f"wrote {args.out}")
    stale = stale_exceptions(models)
    for model, stage in stale:
        print(f"stated exception {model}/{stage} passed: remove it", file=sys.stderr)
    return 1 if failures(models) or stale else 0


if __name__ == "__main__":
    sys.exit(main())
