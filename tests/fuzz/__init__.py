"""Fuzzing shared by the test suite and benchmarks/fuzz.py.

Each area (graph edits, project files, model files, data folders) has a module here with one
function ``one_case(rng: random.Random, workdir: Path) -> str`` that makes a random case,
runs it and returns its outcome (``"ok"`` or ``"refused:<ErrorType>"`` for a clear, typed
refusal); it raises :class:`InvariantBroken` when the program does something wrong (a
refused edit that changed the graph, a saved state that reloads different) and lets any
other exception (a traceback a user would see) escape. The suite runs each area through
Hypothesis (a seed from ``st.integers()``, a fixed seed and few examples: tests/conftest.py); the
benchmark runs many cases for minutes and counts outcomes and failures by kind.
"""

from __future__ import annotations

import random
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Case = Callable[[random.Random, Path], str]


class InvariantBroken(AssertionError):
    """The program accepted or refused something, but left a wrong state behind."""


def refusal(exc: Exception) -> str:
    """The outcome "refused:<Error>" of a typed refusal; InvariantBroken unless its message is
    one non-empty line."""
    message = str(exc)
    if not message.strip() or "\n" in message:
        raise InvariantBroken(f"a refusal that is not one line: {message!r}") from exc
    return f"refused:{type(exc).__name__}"


@dataclass
class Tally:
    """What a fuzzing run saw: cases tried, outcomes, failures by kind with one example each."""

    name: str
    cases: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        """How many cases ended in a traceback or a broken invariant."""
        return sum(self.failures.values())


def run_cases(
    name: str, case: Case, seconds: float, seed: int = 0, max_cases: int | None = None
) -> Tally:
    """Run ``case`` with seeds ``seed, seed + 1, ...`` for ``seconds`` (or ``max_cases``)."""
    tally = Tally(name)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"nd-fuzz-{name}-") as tmp:
        while time.perf_counter() - start < seconds and (
            max_cases is None or tally.cases < max_cases
        ):
            workdir = Path(tmp) / str(tally.cases)
            workdir.mkdir()
            rng = random.Random(seed + tally.cases)
            tally.cases += 1
            try:
                tally.outcomes[case(rng, workdir)] += 1
            except Exception as exc:  # counting what escapes is the point
                kind = type(exc).__name__
                if isinstance(exc, InvariantBroken):  # one kind per broken rule
                    kind += f": {str(exc).splitlines()[0][:120]}" if str(exc) else ""
                tally.failures[kind] += 1
                tally.examples.setdefault(
                    kind, f"seed {seed + tally.cases - 1}\n" + traceback.format_exc(limit=6)
                )
    tally.seconds = time.perf_counter() - start
    return tally
