"""Fuzzing detection data: random and hostile COCO JSON (junk values, huge numbers, NaN, lone
surrogates, deep nesting, cut or random bytes), Pascal VOC XML (entities, external DTDs,
UTF-16, cut files, junk coordinates, wrong roots) and YOLO label lines (junk tokens, polygons,
odd encodings, class lists), each opened as ``data inspect`` does.

The rule: ``detect``/``open_datastore``, ``summary``, ``get`` and a preview either work or raise
a one-line DataError, nothing else; every box that comes back lies inside its image with a
positive width and height and a known class; a summary agrees with the records and prints;
a clean dataset opens with every box it was written with. ``one_case`` has the signature of
the other areas of tests/fuzz, for benchmarks/fuzz.py; the suite runs it through Hypothesis.
"""

from __future__ import annotations

import io
import json
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from tests.fuzz import InvariantBroken

JUNK: tuple[Any, ...] = (
    None,
    True,
    -1,
    0,
    2.5,
    10**400,
    -(10**400),
    float("nan"),
    float("inf"),
    "",
    "x",
    "\udcff",
    "a\x00b",
    "../../x.png",
    "1e999",
    [],
    {},
    [1, 2, 3, 4],
    [1, 2, 3, 4, 5],
    {"a": [1]},
)
YOLO_TOKENS = ("nan", "inf", "-inf", "1e999", "-1", "99999999999999999999", "0x10", "１", "½", "")


@dataclass
class Expect:
    """What a case knows: whether it must open, and how many boxes it must then hold."""

    usable: bool = False
    boxes: int | None = None


def _png(rng: random.Random, path: Path) -> tuple[int, int]:
    w, h = rng.randint(1, 24), rng.randint(1, 24)
    arr = np.random.default_rng(rng.getrandbits(32)).integers(0, 256, (h, w, 3), np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).convert(rng.choice(["RGB", "L", "RGBA"])).save(buf, "PNG")
    data = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    if rng.random() < 0.1:
        data = data[: rng.randrange(len(data))]  # cut: unreadable
        w = h = 0
    path.write_bytes(data)
    return w, h


def _inside_box(rng: random.Random, w: int, h: int) -> tuple[int, int, int, int]:
    x1, y1 = rng.randrange(w), rng.randrange(h)
    return x1, y1, rng.randint(x1 + 1, w), rng.randint(y1 + 1, h)


def _odd_box(rng: random.Random, w: int, h: int) -> list[Any]:
    return [rng.choice([rng.uniform(-2 * w - 5, 2 * w + 5), *JUNK[2:9]]) for _ in range(4)]


def _damage_text(rng: random.Random, text: str) -> bytes:
    kind = rng.choice(["cut", "bytes", "nest", "latin", "empty", "bom"])
    raw = text.encode("utf-8", "surrogatepass")
    if kind == "cut":
        return raw[: rng.randrange(len(raw) + 1)]
    if kind == "bytes":
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 200)))
    if kind == "nest":
        depth = rng.choice([10, 5000, 200_000])
        return ("[" * depth + "]" * depth).encode() if rng.random() < 0.5 else b"<a>" * depth
    if kind == "latin":
        return text.encode("latin-1", "replace") + b"\xff\xfe"
    if kind == "empty":
        return b""
    return b"\xef\xbb\xbf" + raw


def _mutate(rng: random.Random, value: Any, rate: float) -> Any:
    """``value`` with some of its parts replaced by junk (recursively)."""
    if rng.random() < rate:
        return rng.choice(JUNK)
    if isinstance(value, dict):
        return {k: _mutate(rng, v, rate) for k, v in value.items()}
    if isinstance(value, list):
        return [_mutate(rng, v, rate) for v in value]
    return value


def coco_case(rng: random.Random, root: Path) -> tuple[Any, Expect]:
    """A COCO folder: a few images, random boxes and categories, maybe junk or damage."""
    from designer.data.detection import DetectionConfig

    cats = [
        {"id": rng.choice([1, 2, 3, 7, "c"]), "name": rng.choice(["a", "b", "", 5])}
        for _ in range(rng.randint(0, 3))
    ]
    images, anns, good_boxes, clean, readable = [], [], 0, rng.random() < 0.3, False
    if clean:
        cats = [{"id": k + 1, "name": f"c{k}"} for k in range(rng.randint(1, 3))]
    ids = [c["id"] for c in cats]
    for i in range(rng.randint(1, 4)):
        w, h = _png(rng, root / "images" / f"{i}.png")
        readable |= w > 0
        images.append({"id": i, "file_name": f"{i}.png", "width": w or 5, "height": h or 5})
        for _ in range(rng.randint(0, 3)):
            if w and (clean or rng.random() < 0.6):
                x1, y1, x2, y2 = _inside_box(rng, w, h)
                bbox: list[Any] = [x1, y1, x2 - x1, y2 - y1]
                good_boxes += 1
            else:
                bbox = _odd_box(rng, w or 5, h or 5)
            cid = rng.choice(ids) if ids and (clean or rng.random() < 0.8) else rng.choice(JUNK)
            anns.append({"image_id": i, "category_id": cid, "bbox": bbox})
    data: Any = {"images": images, "annotations": anns, "categories": cats}
    # a clean dataset with a readable image must open with all its boxes (cut images have none)
    expect = Expect(True, good_boxes) if clean and readable else Expect()
    raw = json.dumps(data).encode("utf-8", "surrogatepass")
    if not clean:
        text = json.dumps(_mutate(rng, data, rng.choice([0.02, 0.1, 0.4])))
        raw = (
            _damage_text(rng, text) if rng.random() < 0.2 else text.encode("utf-8", "surrogatepass")
        )
    (root / "annotations.json").write_bytes(raw)
    if rng.random() < 0.3:
        return str(root), expect
    return DetectionConfig(str(root), "coco", str(root / "annotations.json")), expect


LAUGHS = (
    '<!DOCTYPE a [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;&l;&l;&l;&l;&l;">]>'
    "<annotation><filename>&l2;</filename></annotation>"
)
EXTERNAL = '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><annotation><filename>&x;</filename></annotation>'


def _voc_text(
    rng: random.Random, name: str, boxes: list[tuple[str, list[Any]]], size: tuple[int, int]
) -> str:
    objects = "".join(
        f"<object><name>{n}</name><bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin>"
        f"<xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>"
        for n, b in boxes
    )
    return (
        f"<annotation><filename>{name}</filename><size><width>{size[0]}</width>"
        f"<height>{size[1]}</height></size>{objects}</annotation>"
    )


def voc_case(rng: random.Random, root: Path) -> tuple[Any, Expect]:
    """A VOC folder (Annotations/ + JPEGImages/); some XML hostile, damaged or junk."""
    clean = rng.random() < 0.3
    good, readable = 0, False
    for i in range(rng.randint(1, 4)):
        w, h = _png(rng, root / "JPEGImages" / f"{i}.png")
        readable |= w > 0
        boxes: list[tuple[str, list[Any]]] = []
        for _ in range(rng.randint(0, 3)):
            if w and (clean or rng.random() < 0.6):
                boxes.append((rng.choice(["cat", "dog"]), list(_inside_box(rng, w, h))))
                good += 1
            else:
                boxes.append(
                    (
                        rng.choice(["cat", "", "&amp;", "x<"]),
                        [str(v) for v in _odd_box(rng, w or 5, h or 5)],
                    )
                )
        text = _voc_text(rng, f"{i}.png", boxes, (w or 5, h or 5))
        if not clean:
            text = rng.choice(
                [text, text, LAUGHS, EXTERNAL, "<html/>", text.replace("</annotation>", "")]
            )
        raw = text.encode("utf-8", "surrogatepass")
        if not clean and rng.random() < 0.2:
            raw = rng.choice([text.encode("utf-16"), _damage_text(rng, text)])
        (root / "Annotations").mkdir(exist_ok=True)
        (root / "Annotations" / f"{i}.xml").write_bytes(raw)
    return str(root), Expect(True, good) if clean and readable else Expect()


def yolo_case(rng: random.Random, root: Path) -> tuple[Any, Expect]:
    """A YOLO folder (images/ + labels/), random lines and class lists, maybe odd bytes."""
    clean = rng.random() < 0.3
    classes = ["a", "b", "c"][: rng.randint(1, 3)]
    good, readable = 0, False
    for i in range(rng.randint(1, 4)):
        w, h = _png(rng, root / "images" / f"{i}.png")
        readable |= w > 0
        lines = []
        for _ in range(rng.randint(0, 4)):
            if w and (clean or rng.random() < 0.5):
                x1, y1, x2, y2 = _inside_box(rng, w, h)
                cls = rng.randrange(len(classes))
                lines.append(
                    f"{cls} {(x1 + x2) / 2 / w} {(y1 + y2) / 2 / h} {(x2 - x1) / w} {(y2 - y1) / h}"
                )
                good += 1
            else:
                parts = [
                    rng.choice([*YOLO_TOKENS, str(rng.uniform(-2, 3))])
                    for _ in range(rng.randint(0, 9))
                ]
                lines.append(" ".join(parts))
        text = "\n".join(lines)
        (root / "labels").mkdir(exist_ok=True)
        raw = text.encode() if clean or rng.random() < 0.8 else _damage_text(rng, text)
        (root / "labels" / f"{i}.txt").write_bytes(raw)
    if clean or rng.random() < 0.5:
        (root / "classes.txt").write_text("\n".join(classes))
    elif rng.random() < 0.5:
        (root / "data.yaml").write_bytes(_damage_text(rng, f"names: {classes}\n"))
    return str(root), Expect(True, good) if clean and readable else Expect()


MAKERS = (coco_case, voc_case, yolo_case)


def _one_line(text: str, what: str) -> None:
    if not text or "\n" in text or not text.isprintable():
        raise InvariantBroken(f"{what} is not one printable line: {text!r}")


def check_store(store: Any, expect: Expect) -> None:
    """Every box inside its image with a known class; the summary agrees and prints."""
    k = len(store.class_names)
    total = 0
    for r in store.records:
        b, lab = r.boxes, r.labels
        if b.dtype != np.float32 or b.shape != (len(lab), 4) or lab.dtype != np.int32:
            raise InvariantBroken(f"boxes {b.dtype} {b.shape}, labels {lab.dtype} {lab.shape}")
        if len(b) and not (
            np.isfinite(b).all()
            and (b[:, 0] >= 0).all()
            and (b[:, 1] >= 0).all()
            and (b[:, 2] <= r.width).all()
            and (b[:, 3] <= r.height).all()
            and (b[:, 2] > b[:, 0]).all()
            and (b[:, 3] > b[:, 1]).all()
            and ((lab >= 0) & (lab < k)).all()
        ):
            raise InvariantBroken(f"a box outside {r.width}x{r.height} or class of {k}: {b}, {lab}")
        total += len(lab)
    summary = store.summary()
    if summary.num_samples != len(store) or summary.boxes != total:
        raise InvariantBroken(f"summary: {summary.num_samples} images, {summary.boxes} boxes")
    if (
        sum(summary.boxes_per_class.values()) != total
        or list(summary.class_counts) != store.class_names
    ):
        raise InvariantBroken(f"per class {summary.boxes_per_class} for {total} boxes")
    if expect.boxes is not None and total != expect.boxes:
        raise InvariantBroken(f"a clean dataset of {expect.boxes} boxes opened with {total}")
    for problem in summary.problems:
        _one_line(problem.message, "a problem's message")
    summary.format_table().encode("utf-8")
    json.dumps(summary.to_dict(), allow_nan=False)
    for image, target in store.preview(3):
        if image.dtype != np.uint8 or image.ndim != 3:
            raise InvariantBroken(f"image {image.dtype} {image.shape}")
        _one_line(store.describe_target(target), "a target's description")


def one_case(rng: random.Random, workdir: Path) -> str:
    """Write one random detection dataset and open it as ``data inspect`` does."""
    from designer.data.detection import DetectionStore
    from designer.data.registry import detect, open_datastore
    from designer.data.summary import DataError

    config, expect = rng.choice(MAKERS)(rng, workdir)
    try:
        store = open_datastore(detect(config) if isinstance(config, str) else config)
        if isinstance(store, DetectionStore):
            check_store(store, expect)
        else:
            store.summary()
    except DataError as exc:
        _one_line(str(exc), "a DataError's message")
        if expect.usable:
            raise InvariantBroken(f"a clean dataset refused: {exc}") from exc
        return "refused:DataError"
    return "ok"


@given(seed=st.integers(0, 2**32 - 1))
def test_detection_files_are_read_or_refused_in_one_line(tmp_path: Path, seed: int) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as workdir:
        assert one_case(random.Random(seed), Path(workdir)) in ("ok", "refused:DataError")
