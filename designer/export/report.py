"""Results and errors of an export: what was written, how big, how fast, how faithful."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class ExportError(Exception):
    """An export could not be written or its artefact did not load or run."""


class VerificationError(ExportError):
    """The artefact was written but disagreed with Keras, so it was not put in place."""

    def __init__(self, message: str, report: ExportReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class Verification:
    """Outcome of running the exported artefact against Keras on the same random batch."""

    max_abs_diff: float
    tolerance: float
    passed: bool
    runtime: str
    batch_size: int
    note: str = ""
    #: Largest absolute Keras output value: shows how much a passed check says (outputs that
    #: all but vanish, as in some randomly initialised deep networks, agree trivially).
    output_scale: float = 0.0
    #: What the artefact was compared with, when not the exported model itself (""): the
    #: user's original model, e.g. "the original model file 'net.keras'".
    reference: str = ""
    #: Largest difference between the exported (rebuilt) model and the original, when the
    #: artefact was compared with an original; None otherwise.
    rebuild_diff: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for JSON."""
        return asdict(self)


@dataclass(frozen=True)
class Reference:
    """The model an export must agree with when it is not the exported model itself: the
    model loaded from the file the user opened (the exported one is the designer's rebuild)."""

    model: Any
    label: str  # e.g. "the original model file 'net.keras'"


@dataclass
class ExportReport:
    """What an export produced: format, path, size in bytes, seconds and the check result."""

    format: str
    path: str
    size_bytes: int
    seconds: float
    verify_seconds: float = 0.0
    verification: Verification | None = None
    warnings: list[str] = field(default_factory=list)
    extra_files: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when the artefact was verified and agreed with Keras (or was not checked)."""
        return self.verification is None or self.verification.passed

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for JSON."""
        return {
            "format": self.format,
            "path": self.path,
            "size_bytes": self.size_bytes,
            "seconds": round(self.seconds, 4),
            "verify_seconds": round(self.verify_seconds, 4),
            "verification": None if self.verification is None else self.verification.to_dict(),
            "passed": self.passed,
            "warnings": list(self.warnings),
            "extra_files": list(self.extra_files),
        }

    def summary(self) -> str:
        """A few human-readable lines for a terminal or a dialog."""
        lines = [
            f"format:   {self.format}",
            f"path:     {self.path}",
            f"size:     {human_size(self.size_bytes)} ({self.size_bytes} bytes)",
            f"seconds:  {self.seconds:.2f} to write, {self.verify_seconds:.2f} to check",
        ]
        v = self.verification
        if v is None:
            lines.append("check:    not verified")
        else:
            verdict = "passed" if v.passed else "FAILED"
            lines.append(
                f"check:    {verdict}: max |difference| {v.max_abs_diff:.3g} "
                f"(tolerance {v.tolerance:.3g}, {v.runtime}, batch {v.batch_size})"
            )
            if v.reference:
                lines.append(f"          compared with {v.reference}{rebuild_text(v)}")
            if v.note:
                lines.append(f"          {v.note}")
        lines.extend(f"warning:  {w}" for w in self.warnings)
        lines.extend(f"also:     {p}" for p in self.extra_files)
        return "\n".join(lines)


def rebuild_text(v: Verification) -> str:
    """``"; the designer's rebuild differs from it by 1.17"`` (or "" when not measured)."""
    if v.rebuild_diff is None:
        return ""
    return f"; the designer's rebuild differs from it by {v.rebuild_diff:.3g}"


def human_size(n: int) -> str:
    """Bytes as a short human-readable string (B, KiB, MiB, GiB)."""
    size = float(n)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.2f} GiB"
