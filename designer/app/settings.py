"""The project's settings as typed, frozen sections, each with one from_dict/to_dict.

Every reader (the GUI's panels, project runs, exports, the CLI) takes its settings from here,
and a section is never half valid: :meth:`ProjectSettings.from_dict` refuses a section that
does not fit with a :class:`SettingsError` that names the section and the value. The plain-data
layout is the project file's (version 2, see :mod:`designer.core.project_file`)::

    data:          {"source": <datastore config> | null, "split": <SplitConfig>}
    preprocessing: {"module": "resnet50", "resize_mode": "crop", "rescale": "unit"} (all optional)
    augmentation:  <AugmentConfig>
    training:      <TrainingOptions>
    results:       <RunResults> ({} before the first run; "history": the per-epoch curves)
    experiment:    <ExperimentSpec> (left out when nothing varies)
    detection:     <DetectorSpec> (left out unless set: a detector's anchors and decoding)
    custom_code:   {"files": ["layers.py", ...]} (left out when none: custom layer code, by
                   path; relative to the project file in the file, absolute in memory)
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from designer.data.augment import AugmentConfig
from designer.data.base import DataConfig
from designer.data.preprocess import RESCALE_MODES, RESIZE_MODES
from designer.data.registry import config_from_dict
from designer.data.splits import SplitConfig
from designer.data.summary import DataError
from designer.training.detector_spec import DetectorSpec, DetectorSpecError
from designer.training.experiment_spec import ExperimentError, ExperimentSpec
from designer.training.options import OptionsError, TrainingOptions


class SettingsError(ValueError):
    """A settings section that does not fit its type; the message names section and value."""


def _keys(section: str, data: Any, allowed: set[str]) -> dict[str, Any]:
    """``data`` as a dict with only ``allowed`` keys, else SettingsError."""
    if not isinstance(data, dict):
        raise SettingsError(f"{section}: expected an object, received {type(data).__name__}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise SettingsError(
            f"{section}: unknown keys {unknown}; expected some of {sorted(allowed)}"
        )
    return dict(data)


@dataclass(frozen=True)
class DataSection:
    """Where the training data come from (None until chosen) and how validation is split off."""

    source: DataConfig | None = None
    split: SplitConfig = field(default_factory=SplitConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "source": self.source.to_dict() if self.source else None,
            "split": self.split.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> DataSection:
        """Checked section; SettingsError names what does not fit."""
        data = _keys("data", data, {"source", "split"})
        try:
            source = config_from_dict(data["source"]) if data.get("source") else None
        except DataError as exc:
            raise SettingsError(f"data source: {exc}") from exc
        try:
            split = SplitConfig.from_dict(data.get("split") or {})
            split.validate()
        except DataError as exc:
            raise SettingsError(f"data split: {exc}") from exc
        return cls(source, split)


@dataclass(frozen=True)
class PreprocessSection:
    """What the user chose about preprocessing; the rest (size, channels) follows the network's
    Input. ``rescale`` None: values scaled to 0..1, or the zoo network's preprocess_input."""

    module: str | None = None  # keras.applications module whose preprocess_input applies
    resize_mode: str = "stretch"
    rescale: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data (defaults left out)."""
        out: dict[str, Any] = {}
        if self.module:
            out["module"] = self.module
        if self.resize_mode != "stretch":
            out["resize_mode"] = self.resize_mode
        if self.rescale is not None:
            out["rescale"] = self.rescale
        return out

    @classmethod
    def from_dict(cls, data: Any) -> PreprocessSection:
        """Checked section; SettingsError names what does not fit."""
        data = _keys("preprocessing", data, {"module", "resize_mode", "rescale"})
        module, resize, rescale = (
            data.get("module"),
            data.get("resize_mode", "stretch"),
            data.get("rescale"),
        )
        if module is not None and (not isinstance(module, str) or not module.isidentifier()):
            raise SettingsError(
                f"preprocessing: expected a keras.applications module name such "
                f"as 'resnet50', received {module!r}"
            )
        if resize not in RESIZE_MODES:
            raise SettingsError(
                f"preprocessing: expected resize_mode among {RESIZE_MODES}, received {resize!r}"
            )
        if rescale is not None and rescale not in RESCALE_MODES:
            raise SettingsError(
                f"preprocessing: expected rescale among {RESCALE_MODES}, received {rescale!r}"
            )
        return cls(module or None, resize, rescale)


def _metric_dict(section: str, value: Any) -> dict[str, float | None]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise SettingsError(f"{section}: expected an object of metric values, received {value!r}")
    out: dict[str, float | None] = {}
    for key, v in value.items():
        if v is not None and (
            isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)
        ):
            raise SettingsError(
                f"{section}: expected {key} to be a finite number or null, received {v!r}"
            )
        out[key] = v
    return out


MAX_HISTORY_EPOCHS = 1000  # epochs of curves kept in a project (longer runs: evenly thinned)


def _history(value: Any) -> dict[str, list[float | None]]:
    """The per-epoch curves of ``results``: columns of equal length (at most
    :data:`MAX_HISTORY_EPOCHS`) of finite numbers or null, by metric name."""
    if not isinstance(value, dict):
        raise SettingsError(
            f"results: expected history as an object of per-epoch lists, received {value!r}"[:300]
        )
    out: dict[str, list[float | None]] = {}
    lengths: set[int] = set()
    for key, column in value.items():
        if not isinstance(column, list):
            raise SettingsError(
                f"results history: expected {key} as a list of numbers, received {column!r}"[:300]
            )
        if len(column) > MAX_HISTORY_EPOCHS:
            raise SettingsError(
                f"results history: expected at most {MAX_HISTORY_EPOCHS} epochs of {key}, "
                f"received {len(column)}"
            )
        for v in column:
            if v is not None and (
                isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)
            ):
                raise SettingsError(
                    f"results history: expected {key} values to be finite numbers or null, "
                    f"received {v!r}"[:300]
                )
        out[key] = list(column)
        lengths.add(len(column))
    if len(lengths) > 1:
        raise SettingsError(
            f"results history: expected one value per epoch in every list, received lists of "
            f"{sorted(lengths)} values"
        )
    return out


def _detection_summary(value: Any) -> dict[str, Any]:
    """The detection part of a run's results, checked: numbers as numbers, names as texts."""
    data = _keys(
        "results detection",
        value,
        {
            "class_names",
            "map50",
            "map",
            "per_class_ap50",
            "images",
            "objects",
            "missed",
            "false_detections",
            "score_threshold",
        },
    )
    names = data.get("class_names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise SettingsError(f"results detection: expected class_names as texts, received {names!r}")
    numbers = _metric_dict(
        "results detection", {k: data.get(k) for k in ("map50", "map", "score_threshold")}
    )
    counts = {}
    for key in ("images", "objects", "missed", "false_detections"):
        count = data.get(key, 0)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise SettingsError(f"results detection: expected {key} >= 0, received {count!r}")
        counts[key] = count
    per_class = _metric_dict("results detection per_class_ap50", data.get("per_class_ap50", {}))
    return {"class_names": list(names), **numbers, "per_class_ap50": per_class, **counts}


@dataclass(frozen=True)
class RunResults:
    """The summary of the last training run kept in the project (empty before the first).

    ``history`` holds the run's curves at epoch granularity, one list per column, one value
    per epoch (null where a value was missing, NaN or infinite): ``epoch``, ``iteration`` (at
    the epoch's end) and every metric, ``val_`` ones included. Files written before it have
    none; a run of more than :data:`MAX_HISTORY_EPOCHS` epochs keeps that many, evenly
    spread from the first to the last."""

    status: str | None = None  # finished, stopped or failed
    stop_reason: str | None = None
    message: str = ""
    device: str = ""
    trained_at: str = ""
    epochs: int = 0
    seconds: float = 0.0
    samples_per_second: float | None = None
    final: dict[str, float | None] = field(default_factory=dict)
    best: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # metric -> value, iteration, epoch
    confusion: dict[str, Any] | None = None  # class_names, matrix, precision, recall, accuracy
    regression: dict[str, float | None] | None = None  # rmse, mae
    # class_names, map50, map, per_class_ap50, images, objects, missed, false_detections,
    # score_threshold
    detection: dict[str, Any] | None = None
    history: dict[str, list[float | None]] = field(default_factory=dict)  # column -> per epoch

    @property
    def empty(self) -> bool:
        """True before the first run."""
        return self.status is None

    @property
    def validation_accuracy(self) -> float | None:
        """The accuracy of the confusion matrix, if there is one."""
        return self.confusion.get("accuracy") if self.confusion else None

    def to_dict(self) -> dict[str, Any]:
        """Plain data ({} when empty)."""
        if self.empty:
            return {}
        out = dataclasses.asdict(self)
        if not self.history:  # as files without curves have it
            del out["history"]
        return {k: v for k, v in out.items() if v is not None}

    @classmethod
    def from_dict(cls, data: Any) -> RunResults:
        """Checked section; SettingsError names what does not fit."""
        names = {f.name for f in dataclasses.fields(cls)}
        data = _keys("results", data, names)
        if not data:
            return cls()
        for key in ("status", "stop_reason", "message", "device", "trained_at"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise SettingsError(f"results: expected {key} to be a text, received {data[key]!r}")
        if data.get("status") not in ("finished", "stopped", "failed"):
            raise SettingsError(
                f"results: expected status finished, stopped or failed, "
                f"received {data.get('status')!r}"
            )
        epochs = data.get("epochs", 0)
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
            raise SettingsError(f"results: expected epochs as an integer >= 0, received {epochs!r}")
        numbers = _metric_dict(
            "results", {k: data.get(k) for k in ("seconds", "samples_per_second")}
        )
        data["final"] = _metric_dict("results final", data.get("final", {}))
        best = data.get("best", {})
        if not isinstance(best, dict) or not all(isinstance(v, dict) for v in best.values()):
            raise SettingsError(
                f"results: expected best as an object of objects, received {best!r}"
            )
        data["best"] = {k: _metric_dict(f"results best {k}", v) for k, v in best.items()}
        if data.get("regression") is not None:
            data["regression"] = _metric_dict("results regression", data["regression"])
        confusion = data.get("confusion")
        if confusion is not None and not (
            isinstance(confusion, dict) and isinstance(confusion.get("matrix"), list)
        ):
            raise SettingsError(
                f"results: expected a confusion object with a matrix, received {confusion!r}"
            )
        if data.get("detection") is not None:
            data["detection"] = _detection_summary(data["detection"])
        data["seconds"] = numbers["seconds"] or 0.0
        data["samples_per_second"] = numbers["samples_per_second"]
        history = data.get("history")
        data["history"] = _history(history) if history is not None else {}
        return cls(**data)


@dataclass(frozen=True)
class DetectionSection:
    """The detector's settings (anchors, matching, decoding); None until set, when a
    detection run takes the designer's defaults for the data's classes and the network's
    input (designer.app.detection_setup)."""

    spec: DetectorSpec | None = None

    @property
    def empty(self) -> bool:
        """True when nothing is set."""
        return self.spec is None

    def to_dict(self) -> dict[str, Any]:
        """Plain data ({} when unset)."""
        return self.spec.to_dict() if self.spec is not None else {}

    @classmethod
    def from_dict(cls, data: Any) -> DetectionSection:
        """Checked section; SettingsError names what does not fit."""
        if data in (None, {}):
            return cls()
        try:
            return cls(DetectorSpec.from_dict(data))
        except (DetectorSpecError, TypeError) as exc:
            raise SettingsError(f"detection: {exc}") from exc


MAX_CODE_FILES = 64


@dataclass(frozen=True)
class CustomCodeSection:
    """The custom layer code files a project needs (by path, never their content), in the
    order they are run; see :mod:`designer.app.custom_code`."""

    files: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the project lists no code."""
        return not self.files

    def with_file(self, path: str) -> CustomCodeSection:
        """This section with ``path`` added (unchanged when it is listed already)."""
        return self if path in self.files else CustomCodeSection((*self.files, path))

    def to_dict(self) -> dict[str, Any]:
        """Plain data ({} when empty)."""
        return {"files": list(self.files)} if self.files else {}

    @classmethod
    def from_dict(cls, data: Any) -> CustomCodeSection:
        """Checked section; SettingsError names what does not fit."""
        data = _keys("custom code", data or {}, {"files"})
        files = data.get("files", [])
        if not isinstance(files, list) or len(files) > MAX_CODE_FILES:
            raise SettingsError(
                f"custom code: expected a list of up to {MAX_CODE_FILES} file paths, received "
                f"{type(files).__name__}"
            )
        for item in files:
            if not isinstance(item, str) or not item or "\0" in item or len(item) > 4096:
                raise SettingsError(f"custom code: expected a file path, received {item!r:.80}")
        return cls(tuple(dict.fromkeys(files)))


@dataclass(frozen=True)
class ProjectSettings:
    """Every settings section of a project."""

    data: DataSection = field(default_factory=DataSection)
    preprocessing: PreprocessSection = field(default_factory=PreprocessSection)
    augmentation: AugmentConfig = field(default_factory=AugmentConfig)
    training: TrainingOptions = field(default_factory=TrainingOptions)
    results: RunResults = field(default_factory=RunResults)
    experiment: ExperimentSpec = field(default_factory=ExperimentSpec)
    detection: DetectionSection = field(default_factory=DetectionSection)
    custom_code: CustomCodeSection = field(default_factory=CustomCodeSection)

    def replace(self, **sections: Any) -> ProjectSettings:
        """A copy with some sections replaced."""
        return dataclasses.replace(self, **sections)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Plain data of every section (the project file's layout)."""
        sections = {
            "data": self.data.to_dict(),
            "preprocessing": self.preprocessing.to_dict(),
            "augmentation": {}
            if self.augmentation == AugmentConfig()
            else self.augmentation.to_dict(),
            "training": self.training.to_dict(),
            "results": self.results.to_dict(),
        }
        if not self.experiment.empty:  # files without an experiment stay as they were
            sections["experiment"] = self.experiment.to_dict()
        if not self.detection.empty:
            sections["detection"] = self.detection.to_dict()
        if not self.custom_code.empty:
            sections["custom_code"] = self.custom_code.to_dict()
        return sections

    @classmethod
    def from_dict(cls, sections: dict[str, Any]) -> ProjectSettings:
        """Checked settings from the project file's sections (missing ones are defaults).

        Each section must also survive its own save: written as JSON and read back, it is the
        same (a value the section would silently change or drop is refused here, by name)."""
        parsed = {
            key: _checked_section(title, parse, sections.get(key) or {})
            for key, (title, parse) in _SECTIONS.items()
        }
        return cls(**parsed)


def _parse_augmentation(data: Any) -> AugmentConfig:
    try:
        augmentation = AugmentConfig.from_dict(data)
        augmentation.validate()
    except DataError as exc:
        raise SettingsError(f"augmentation: {exc}") from exc
    return augmentation


def _parse_training(data: Any) -> TrainingOptions:
    try:
        return TrainingOptions.from_dict(data)
    except OptionsError as exc:
        problems = [line.lstrip("- ") for line in str(exc).splitlines()[1:]]
        raise SettingsError(f"training options: {'; '.join(problems) or exc}") from exc


def _parse_experiment(data: Any) -> ExperimentSpec:
    try:
        return ExperimentSpec.from_dict(data)
    except ExperimentError as exc:
        raise SettingsError(f"experiment: {exc}") from exc


# key in the file -> (title in messages, parser)
_SECTIONS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "data": ("data", DataSection.from_dict),
    "preprocessing": ("preprocessing", PreprocessSection.from_dict),
    "augmentation": ("augmentation", _parse_augmentation),
    "training": ("training options", _parse_training),
    "results": ("results", RunResults.from_dict),
    "experiment": ("experiment", _parse_experiment),
    "detection": ("detection", DetectionSection.from_dict),
    "custom_code": ("custom code", CustomCodeSection.from_dict),
}


def _checked_section(title: str, parse: Callable[[Any], Any], data: Any) -> Any:
    """``parse(data)``, with any error as a SettingsError naming the section, and the result
    checked to come back the same from its own plain data (as a save and a load do)."""
    try:
        section = parse(data)
        plain = section.to_dict()
        again = parse(json.loads(json.dumps(plain, allow_nan=False)))
    except SettingsError:
        raise
    except (DataError, OptionsError, TypeError, ValueError, KeyError, AttributeError) as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise SettingsError(f"{title}: {text}") from exc
    if again != section:
        changed = [
            f"{f.name}={getattr(section, f.name)!r}"
            for f in dataclasses.fields(section)
            if getattr(section, f.name) != getattr(again, f.name)
        ]
        raise SettingsError(
            f"{title}: expected values this section can keep when saved, received "
            f"{', '.join(changed) or 'values'} (they would be read back differently)"[:400]
        )
    return section
