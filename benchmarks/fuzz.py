"""Fuzz for a while and count: cases tried, outcomes, and failures by kind (tracebacks a user
would see, broken invariants). The suite runs the same cases through Hypothesis, briefly.

    .venv/bin/python benchmarks/fuzz.py --minutes 10              # every area, shared out
    .venv/bin/python benchmarks/fuzz.py graph --minutes 5 --seed 7

Exit code 1 when any case failed (its seed and traceback are printed, to replay it).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz import Tally, run_cases

AREAS = ("graph", "project_files", "model_files", "data")


def report(tally: Tally) -> None:
    """Print one area's figures."""
    rate = tally.cases / tally.seconds if tally.seconds else 0.0
    print(
        f"\n== {tally.name}: {tally.cases} cases in {tally.seconds:.0f} s ({rate:.1f}/s), "
        f"{tally.failed} failures"
    )
    for outcome, count in tally.outcomes.most_common():
        print(f"   {count:8d}  {outcome}")
    for kind, count in tally.failures.most_common():
        print(f"   FAILED {count:5d}  {kind}\n{tally.examples[kind]}")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen areas; 1 when any case failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("areas", nargs="*", choices=AREAS, help=f"some of {AREAS} (default: all)")
    parser.add_argument("--minutes", type=float, default=2.0, help="in all, shared by the areas")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-cases", type=int, default=None, help="per area")
    args = parser.parse_args(argv)
    areas = args.areas or list(AREAS)
    seconds = args.minutes * 60 / len(areas)
    failed = 0
    for area in areas:
        module = importlib.import_module(f"tests.fuzz.{area}")
        tally = run_cases(area, module.one_case, seconds, args.seed, args.max_cases)
        report(tally)
        edits = getattr(module, "EDITS", None)  # areas that count steps inside a case
        if edits:
            print(
                f"   edits: {edits['tried']:,} tried, "
                + ", ".join(
                    f"{count:,} {kind}" for kind, count in edits.most_common() if kind != "tried"
                )
            )
        failed += tally.failed
    print(f"\n{'FAILED' if failed else 'ok'}: {failed} failing cases")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
