"""What a detector is for and how its anchors, targets and decoding are set: plain data
kept in the project's ``detection`` section, with no Keras (the project loads without it).

:data:`DESIGNER_DEFAULTS` are the anchor and target settings the designer uses when it makes
a detector (the zoo's tiny detector, Replace Head > Detection head); they were tuned on the
generated shapes (benchmarks/detection.py): anchors of 1.5 strides (P3 12-19 px, P4 24-38,
P5 48-76), box variance 0.1/0.1/0.2/0.2 as in KerasCV's RetinaNet. The dataclass defaults
are KerasHub's.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from designer.core.params import short_repr

BOX_OUTPUT, CLASS_OUTPUT = "bbox_regression", "cls_logits"  # the network's two outputs
FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw")


class DetectorSpecError(ValueError):
    """A detector setting out of range (the message names it, what was expected and got)."""


@dataclass(frozen=True)
class DetectorSpec:
    """What a detector is for and how its anchors, targets and decoding are set (plain data)."""

    num_classes: int
    class_names: tuple[str, ...] = ()
    image_size: tuple[int, int] = (128, 128)
    bounding_box_format: str = "xyxy"
    min_level: int = 3
    max_level: int = 5
    num_scales: int = 3
    aspect_ratios: tuple[float, ...] = (0.5, 1.0, 2.0)
    anchor_size: float = 4.0  # base anchor side relative to the level's stride
    score_threshold: float = 0.05
    iou_threshold: float = 0.5
    max_detections: int = 100
    positive_threshold: float = 0.5  # anchor IoU above which an anchor is matched to a box
    negative_threshold: float = 0.4  # below which it is background (between: ignored)
    force_match: bool = True  # every box gets its best anchor, however low the IoU
    box_variance: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        def whole(name: str, low: int) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise DetectorSpecError(
                    f"detector '{name}' expects a whole number >= {low}; received "
                    f"{short_repr(value)}"
                )

        def fraction(name: str) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise DetectorSpecError(
                    f"detector '{name}' expects a number in [0, 1]; received {short_repr(value)}"
                )

        for name, low in (("num_classes", 1), ("min_level", 1), ("num_scales", 1)):
            whole(name, low)
        whole("max_level", self.min_level)
        whole("max_detections", 1)
        for name in ("score_threshold", "iou_threshold", "positive_threshold"):
            fraction(name)
        fraction("negative_threshold")
        if self.negative_threshold > self.positive_threshold:
            raise DetectorSpecError(
                f"detector 'negative_threshold' expects a value <= positive_threshold "
                f"({self.positive_threshold}); received {self.negative_threshold}"
            )
        if self.bounding_box_format not in FORMATS:
            raise DetectorSpecError(
                f"detector 'bounding_box_format' expects one of {', '.join(FORMATS)}; received "
                f"{short_repr(self.bounding_box_format)}"
            )
        size = tuple(self.image_size)
        if len(size) != 2 or not all(isinstance(d, int) and d > 0 for d in size):
            raise DetectorSpecError(
                f"detector 'image_size' expects (height, width) in pixels; received "
                f"{short_repr(self.image_size)}"
            )
        object.__setattr__(self, "image_size", size)
        for name in ("aspect_ratios", "box_variance"):
            values = tuple(getattr(self, name))
            if not values or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in values
            ):
                raise DetectorSpecError(
                    f"detector '{name}' expects positive numbers; received {short_repr(values)}"
                )
            object.__setattr__(self, name, tuple(float(v) for v in values))
        if len(self.box_variance) != 4:
            raise DetectorSpecError(
                f"detector 'box_variance' expects 4 numbers; received {self.box_variance}"
            )
        if not isinstance(self.anchor_size, int | float) or self.anchor_size <= 0:
            raise DetectorSpecError(
                f"detector 'anchor_size' expects a positive number; received "
                f"{short_repr(self.anchor_size)}"
            )
        names = tuple(str(n) for n in self.class_names)
        if names and len(names) != self.num_classes:
            raise DetectorSpecError(
                f"detector 'class_names' expects {self.num_classes} names; received {len(names)}"
            )
        object.__setattr__(self, "class_names", names)

    @property
    def anchors_per_location(self) -> int:
        """Anchors at each feature-map position: scales x aspect ratios."""
        return self.num_scales * len(self.aspect_ratios)

    @property
    def levels(self) -> tuple[int, ...]:
        """The pyramid levels (3, 4, 5 for P3..P5)."""
        return tuple(range(self.min_level, self.max_level + 1))

    def num_anchors(self) -> int:
        """Anchors of one image: the rows the heads must output."""
        height, width = self.image_size
        return sum(
            math.ceil(height / 2**lv) * math.ceil(width / 2**lv) * self.anchors_per_location
            for lv in self.levels
        )

    def anchor_sizes(self) -> dict[str, list[int]]:
        """Anchor sides in pixels per level (before the aspect ratios), as KerasHub makes them."""
        return {
            f"P{lv}": [
                int(2**lv * self.anchor_size * 2 ** (s / self.num_scales))
                for s in range(self.num_scales)
            ]
            for lv in self.levels
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        data = asdict(self)
        for key in ("class_names", "image_size", "aspect_ratios", "box_variance"):
            data[key] = list(data[key])
        if not data["extra"]:
            del data["extra"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectorSpec:
        """Read :meth:`to_dict` data; unknown keys are kept in ``extra``."""
        if not isinstance(data, dict):
            raise DetectorSpecError(
                f"detector settings expect a dictionary; received {short_repr(data)}"
            )
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {k: v for k, v in data.items() if k in known}
        extra = {k: v for k, v in data.items() if k not in known}
        extra.update(data.get("extra") or {})
        for key in ("class_names", "image_size", "aspect_ratios", "box_variance"):
            if key in values and isinstance(values[key], list):
                values[key] = tuple(values[key])
        if "num_classes" not in values:
            raise DetectorSpecError("detector settings lack 'num_classes'")
        return cls(**values, extra=extra)


# Settings the designer gives the detectors it makes (module docstring).
DESIGNER_DEFAULTS: dict[str, Any] = {
    "anchor_size": 1.5,
    "box_variance": (0.1, 0.1, 0.2, 0.2),
    "num_scales": 3,
    "aspect_ratios": (0.5, 1.0, 2.0),
}


def designer_spec(
    num_classes: int,
    class_names: tuple[str, ...] | list[str] = (),
    image_size: tuple[int, int] = (128, 128),
    anchors_per_location: int | None = None,
    **changes: Any,
) -> DetectorSpec:
    """A spec with :data:`DESIGNER_DEFAULTS` for ``num_classes`` on ``image_size`` images;
    with ``anchors_per_location`` other than 9, that many scales of one square aspect."""
    values: dict[str, Any] = {**DESIGNER_DEFAULTS, **changes}
    if (
        anchors_per_location is not None
        and anchors_per_location != 9
        and "num_scales" not in changes
    ):
        values["num_scales"], values["aspect_ratios"] = anchors_per_location, (1.0,)
    return DetectorSpec(
        num_classes=num_classes,
        class_names=tuple(class_names),
        image_size=(int(image_size[0]), int(image_size[1])),
        **values,
    )
