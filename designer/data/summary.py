"""Report types for datastores: the typed error, problems found, and the summary the GUI shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

# A class is "imbalanced" when the largest class has this many times the smallest one.
IMBALANCE_RATIO = 3.0


def one_line(text: str) -> str:
    """``text`` as one printable line: line breaks, other control characters and file-name
    bytes that are not UTF-8 (lone surrogates) written as backslash escapes."""
    text = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


class DataError(Exception):
    """Raised when data cannot be used; the message (one line) names the file or column, what
    was expected and what was received."""

    def __init__(self, message: str = "") -> None:
        super().__init__(one_line(message))


@dataclass(frozen=True)
class Problem:
    """One problem found while scanning data: a corrupt file, a skipped row, an empty class."""

    code: str
    message: str
    path: str = ""
    severity: str = "warning"  # "warning" (data still usable) or "error"

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", one_line(self.message))

    def to_dict(self) -> dict[str, str]:
        """Plain-data form for JSON."""
        return asdict(self)


@dataclass
class DataSummary:
    """What the GUI and the CLI show about a datastore after it was scanned."""

    kind: str
    task: str  # classification, regression, segmentation, sequence-classification, ...
    num_samples: int
    source: str = ""
    classes: list[str] = field(default_factory=list)
    class_counts: dict[str, int] = field(default_factory=dict)
    image_sizes: dict[str, int] = field(default_factory=dict)  # "HxWxC" -> number of samples
    sample_shape: tuple[int | None, ...] | None = None
    target_names: list[str] = field(default_factory=list)
    imbalance_warning: str | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Object detection only (task "detection"); other kinds keep the defaults and leave them
    # out of ``to_dict`` and ``format_table``.
    boxes: int = 0
    boxes_per_class: dict[str, int] = field(default_factory=dict)
    box_sizes: dict[str, float] = field(default_factory=dict)  # min/median/max width/height px
    background_images: int = 0  # images without any box

    @property
    def corrupt_files(self) -> list[str]:
        """Paths of the files that were skipped because they could not be read."""
        return [p.path for p in self.problems if p.code == "corrupt-file"]

    @property
    def refusal(self) -> str | None:
        """Why the data cannot be used (the first error, or no samples), None when usable; the
        one rule of ``data inspect`` (exit 2) and of a training run (refused)."""
        errors = [p.message for p in self.problems if p.severity == "error"]
        if errors:
            return errors[0]
        if self.num_samples == 0:
            return f"expected usable samples in {self.source or 'the data'}, received none"
        return None

    @property
    def num_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.classes)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for JSON (the CLI's ``--json`` and the project file)."""
        d = asdict(self)
        d["sample_shape"] = list(self.sample_shape) if self.sample_shape is not None else None
        d["problems"] = [p.to_dict() for p in self.problems]
        d["corrupt_files"] = self.corrupt_files
        if not self._has_boxes:
            for key in DETECTION_FIELDS:
                d.pop(key)
        return d

    @property
    def _has_boxes(self) -> bool:
        return self.task == "detection" or self.boxes > 0

    def format_table(self) -> str:
        """Human-readable multi-line text for a terminal."""
        lines = [
            f"kind:        {self.kind}",
            f"task:        {self.task}",
            f"source:      {self.source}",
            f"samples:     {self.num_samples}",
        ]
        if self.sample_shape is not None:
            lines.append(f"shape:       {tuple(self.sample_shape)}")
        if self.target_names:
            lines.append(f"targets:     {', '.join(self.target_names)}")
        if self.image_sizes:
            sizes = ", ".join(f"{k} ({v})" for k, v in _top(self.image_sizes, 6))
            more = len(self.image_sizes) - 6
            lines.append(f"image sizes: {sizes}" + (f" and {more} more" if more > 0 else ""))
        if self._has_boxes:
            lines += _box_lines(self)
        if self.classes:
            lines.append(f"classes:     {len(self.classes)}")
            width = max(len(c) for c in self.classes)
            for name in self.classes:
                count = f"{self.class_counts.get(name, 0)}"
                if self._has_boxes:
                    count = f"{self.boxes_per_class.get(name, 0)} boxes in {count} images"
                lines.append(f"  {name.ljust(width)}  {count}")
        if self.imbalance_warning:
            lines.append(f"warning:     {self.imbalance_warning}")
        for note in self.notes:
            lines.append(f"note:        {note}")
        if self.problems:
            lines.append(f"problems:    {len(self.problems)}")
            for p in self.problems:
                where = f" [{p.path}]" if p.path else ""
                lines.append(f"  {p.severity}: {p.message}{where}")
        else:
            lines.append("problems:    none")
        return "\n".join(one_line(line) for line in lines)


DETECTION_FIELDS = ("boxes", "boxes_per_class", "box_sizes", "background_images")


def _box_lines(summary: DataSummary) -> list[str]:
    """The table lines of a detection summary: boxes, background images, box sizes."""
    lines = [f"boxes:       {summary.boxes}"]
    if summary.num_samples:
        lines[0] += f" ({summary.boxes / summary.num_samples:.2f} per image)"
    if summary.background_images:
        lines.append(f"background:  {summary.background_images} images without boxes")
    s = summary.box_sizes
    if s:
        for axis in ("width", "height"):
            lines.append(
                f"box {axis}:".ljust(13) + f"{s[f'min_{axis}']:.4g} to {s[f'max_{axis}']:.4g} px "
                f"(median {s[f'median_{axis}']:.4g})"
            )
    return lines


def _top(counts: dict[str, int], n: int) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: -kv[1])[:n]


def count_classes(labels: Any, classes: list[str]) -> dict[str, int]:
    """Count integer labels per class name (every class appears, possibly with 0)."""
    counter = Counter(int(v) for v in labels)
    return {name: counter.get(i, 0) for i, name in enumerate(classes)}


def imbalance_message(class_counts: dict[str, int], ratio: float = IMBALANCE_RATIO) -> str | None:
    """A sentence when the largest class is ``ratio`` times the smallest, else None."""
    if len(class_counts) < 2:
        return None
    largest = max(class_counts, key=lambda k: class_counts[k])
    smallest = min(class_counts, key=lambda k: class_counts[k])
    big, small = class_counts[largest], class_counts[smallest]
    if small == 0 or big / small >= ratio:
        return (
            f"classes are imbalanced: '{largest}' has {big} samples but '{smallest}' has {small}; "
            "consider class weights, more data or augmentation"
        )
    return None


def class_problems(class_counts: dict[str, int], source: str = "the data") -> list[Problem]:
    """Errors of a classification's classes: classes without samples, fewer than two classes."""
    problems = []
    empty = [name for name, n in class_counts.items() if n == 0]
    if empty:
        named = ", ".join(f"'{name}'" for name in empty[:5])
        more = f" and {len(empty) - 5} more" if len(empty) > 5 else ""
        which = f"class {named}" if len(empty) == 1 else f"classes {named}{more}"
        problems.append(
            Problem(
                "empty-class",
                f"{which} of {source} {'has' if len(empty) == 1 else 'have'} no samples; "
                "expected at least one sample in every class",
                severity="error",
            )
        )
    if len(class_counts) < 2:
        found = f"one class '{next(iter(class_counts))}'" if class_counts else "no classes"
        problems.append(
            Problem(
                "one-class",
                f"a classifier needs at least two classes; {source} has {found}",
                severity="error",
            )
        )
    return problems
