"""Readers of object-detection annotations: COCO JSON, Pascal VOC XML and YOLO text labels.

Each reader turns its files into raw records (image path, declared size, boxes, class
indices) and tallies what it skipped in :class:`Issues`; :mod:`designer.data.detection`
then checks every box against the size of its image file. A reader raises DataError only
when its annotation source as a whole cannot be read (a COCO file that is not JSON, a folder
without XML or label files); a damaged entry, line or file is skipped and counted.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from designer.data.imageio import IMAGE_EXTENSIONS, list_images
from designer.data.summary import DataError, Problem

MAX_ANNOTATION_BYTES = 2**31  # a COCO file of every COCO image is ~0.5 GB
MAX_XML_BYTES = 16 * 2**20  # one VOC file describes one image: a few KB
_LABEL_NAMES = ("classes.txt", "obj.names", "classes.names")

_MESSAGES = {
    "box-clipped": "boxes reaching outside their image were clipped to it",
    "box-outside": "boxes wholly outside their image were dropped",
    "empty-box": "boxes with zero or negative width or height were dropped",
    "bad-box": "boxes with coordinates that are not finite numbers were dropped",
    "unknown-image": "annotations naming an image that is not in the dataset were skipped",
    "missing-image": "images named in the annotations but missing on disk were skipped",
    "unlisted-image": "image files that the annotations do not name were not used",
    "unknown-category": "annotations with a category id that 'categories' lacks were skipped",
    "unknown-class": "boxes of a class that is not in the class list were skipped",
    "bad-annotation": "annotations that are not in the expected form were skipped",
    "bad-category": "categories that are not in the expected form or repeat an id were skipped",
    "bad-image-entry": "entries of 'images' that are not in the expected form were skipped",
    "bad-line": "label lines that are not 'class cx cy w h' numbers were skipped",
    "bad-file": "annotation files that cannot be read were skipped",
    "xml-refused": "XML files with a DOCTYPE or entity declarations were refused unread",
    "size-mismatch": "images whose size differs from the size their annotation states (boxes kept)",
}


class Issues:
    """Counts of skipped or repaired annotations per code, with the first example of each."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[int, str, str]] = {}

    def add(self, code: str, path: str = "", detail: str = "", count: int = 1) -> None:
        """Count ``count`` occurrences of ``code``; the first ``path``/``detail`` is the example."""
        if count <= 0:
            return
        n, first_path, first_detail = self._seen.get(code, (0, path, detail))
        self._seen[code] = (n + count, first_path, first_detail)

    def count(self, code: str) -> int:
        """How many times ``code`` was counted."""
        return self._seen.get(code, (0, "", ""))[0]

    def problems(self) -> list[Problem]:
        """One warning per code: what happened, how often, the first example."""
        out = []
        for code, (n, path, detail) in self._seen.items():
            example = f" (e.g. {detail})" if detail else ""
            out.append(Problem(code, f"{_MESSAGES.get(code, code)}: {n}{example}", path))
        return out


Box = tuple[float, float, float, float]


@dataclass(eq=False)
class RawRecord:
    """One image as its annotation describes it, before its boxes are checked."""

    path: str
    boxes: list[Box] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    declared: tuple[int, int] | None = None  # (width, height) the annotation states
    normalised: bool = False  # YOLO: boxes are (cx, cy, w, h) as fractions of the image


@dataclass
class Annotations:
    """What a reader found: records, class names, issues and notes for the summary."""

    format: str
    source: str
    records: list[RawRecord]
    class_names: list[str]
    issues: Issues
    notes: list[str] = field(default_factory=list)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number(value: Any) -> float | None:
    """A JSON or text value as a float (inf for huge integers), None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except OverflowError:
        return float("inf") if int(value) > 0 else float("-inf")
    except ValueError:
        return None


def _numbers(values: Any, n: int) -> list[float] | None:
    """``n`` JSON numbers (not texts) as floats, None when ``values`` is anything else."""
    if not isinstance(values, list | tuple) or len(values) != n:
        return None
    out = [_number(v) if not isinstance(v, str) else None for v in values]
    return [v for v in out if v is not None] if all(v is not None for v in out) else None


def _positive_int(value: Any) -> int | None:
    num = _number(value)
    if num is None or not (0 < num < 2**31) or num != int(num):
        return None
    return int(num)


def _is_id(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)


def _read_bytes(path: str, limit: int, what: str) -> bytes:
    try:
        size = os.path.getsize(path)
        if size > limit:
            raise DataError(f"{what} '{path}' is {size:,} bytes; expected at most {limit:,} bytes")
        with open(path, "rb") as fh:
            return fh.read(limit + 1)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {what} '{path}': {exc}") from exc


# --- COCO -------------------------------------------------------------------------------------


def looks_like_coco(path: str | os.PathLike[str]) -> bool:
    """True when the file's first MiB is a JSON object that mentions an "images" key."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2**20)
    except (OSError, ValueError):
        return False
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"{") and b'"images"' in head


def coco_files(folder: Path) -> list[str]:
    """COCO annotation files in ``folder`` and its ``annotations`` subfolder, instances first."""
    found: list[Path] = []
    for where in (folder, folder / "annotations"):
        if where.is_dir():
            found += sorted(
                f
                for f in where.glob("*.json")
                if not f.name.startswith(".") and f.is_file() and looks_like_coco(f)
            )
    found.sort(key=lambda f: "instances" not in f.name)
    return [str(f) for f in found]


def _load_json(path: str) -> dict[str, Any]:
    raw = _read_bytes(path, MAX_ANNOTATION_BYTES, "COCO annotation file")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise DataError(f"COCO annotation file '{path}' is not UTF-8 text: {exc.reason}") from exc
    except (ValueError, RecursionError) as exc:
        raise DataError(f"COCO annotation file '{path}' is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        if not isinstance(data, dict):
            found = type(data).__name__
        elif "images" in data:
            found = f"'images' as {type(data['images']).__name__}"
        else:
            found = f"keys {sorted(data)[:6]}"
        raise DataError(
            f"expected a COCO annotation file '{path}' with an 'images' list, received {found}"
        )
    return data


def _coco_images_dir(json_path: str, images_dir: str | None, names: list[str]) -> str:
    """The folder the ``file_name`` entries are relative to: the first candidate holding some."""
    if images_dir:
        return images_dir
    here = Path(json_path).parent
    stem = Path(json_path).stem.removeprefix("instances_")
    candidates = [here / "images", here.parent / "images", here / stem, here.parent / stem, here]
    existing = [c for c in candidates if c.is_dir()]
    for c in existing:
        if any(os.path.isfile(os.path.join(c, n)) for n in names[:20]):
            return str(c)
    return str(existing[0] if existing else here)


def _coco_categories(
    data: dict[str, Any], path: str, wanted: tuple[str, ...] | None, issues: Issues
) -> tuple[list[str], dict[Any, str], dict[Any, int]]:
    """Class names, category id -> name, and category id -> class index."""
    cats = data.get("categories", [])
    if not isinstance(cats, list):
        issues.add("bad-category", path, f"'categories' is {type(cats).__name__}")
        cats = []
    id_to_name: dict[Any, str] = {}
    for c in cats:
        cid = c.get("id") if isinstance(c, dict) else None
        if not _is_id(cid) or cid in id_to_name:
            issues.add("bad-category", path, _short(c))
            continue
        name = c.get("name")
        id_to_name[cid] = name.strip() if isinstance(name, str) and name.strip() else f"class{cid}"
    ids = sorted(id_to_name, key=lambda v: (isinstance(v, str), v))  # by id, as COCO lists them
    names = list(wanted) if wanted else list(dict.fromkeys(id_to_name[i] for i in ids))
    index = {name: k for k, name in enumerate(names)}
    cat_index = {cid: index[n] for cid, n in id_to_name.items() if n in index}
    return names, id_to_name, cat_index


def read_coco(
    json_path: str, images_dir: str | None = None, class_names: tuple[str, ...] | None = None
) -> Annotations:
    """Read a COCO instances file: ``images``, ``annotations`` (bbox x, y, w, h) and
    ``categories``; category ids map to classes 0..K-1 in id order (or ``class_names``')."""
    data = _load_json(json_path)
    issues = Issues()
    names, id_to_name, cat_index = _coco_categories(data, json_path, class_names, issues)
    entries = data["images"]
    file_names = [
        e["file_name"]
        for e in entries
        if isinstance(e, dict) and isinstance(e.get("file_name"), str)
    ]
    base = _coco_images_dir(json_path, images_dir, file_names)
    by_id: dict[Any, RawRecord] = {}
    for e in entries:
        iid = e.get("id") if isinstance(e, dict) else None
        name = e.get("file_name") if isinstance(e, dict) else None
        if not isinstance(e, dict) or not _is_id(iid) or iid in by_id:
            issues.add("bad-image-entry", json_path, _short(e))
            continue
        if not isinstance(name, str) or not name.strip():
            issues.add("bad-image-entry", json_path, _short(e))
            continue
        width, height = _positive_int(e.get("width")), _positive_int(e.get("height"))
        declared = (width, height) if width and height else None
        by_id[iid] = RawRecord(os.path.join(base, name), declared=declared)
    anns = data.get("annotations", [])
    if not isinstance(anns, list):
        issues.add("bad-annotation", json_path, f"'annotations' is {type(anns).__name__}")
        anns = []
    for a in anns:
        if not isinstance(a, dict):
            issues.add("bad-annotation", json_path, _short(a))
            continue
        iid, cid = a.get("image_id"), a.get("category_id")
        record = by_id.get(iid) if _is_id(iid) else None
        bbox = _numbers(a.get("bbox"), 4)
        if record is None:
            issues.add("unknown-image", json_path, f"image_id {_short(iid)}")
        elif not _is_id(cid) or cid not in id_to_name:
            issues.add("unknown-category", json_path, f"category_id {_short(cid)}")
        elif cid not in cat_index:
            issues.add("unknown-class", json_path, f"'{id_to_name[cid]}'")
        elif bbox is None:
            issues.add("bad-annotation", json_path, f"bbox {_short(a.get('bbox'))}")
        else:
            x, y, w, h = bbox
            record.boxes.append((x, y, x + w, y + h))
            record.labels.append(cat_index[cid])
    records = []
    for record in by_id.values():
        if os.path.isfile(record.path):
            records.append(record)
        else:
            issues.add("missing-image", record.path, f"'{os.path.basename(record.path)}'")
    named = {os.path.normpath(r.path) for r in by_id.values()}
    unlisted = [p for p in list_images(base) if os.path.normpath(p) not in named]
    if unlisted:
        issues.add(
            "unlisted-image", unlisted[0], f"'{os.path.basename(unlisted[0])}'", len(unlisted)
        )
    return Annotations("coco", json_path, records, names, issues, [f"images in '{base}'"])


# --- Pascal VOC -------------------------------------------------------------------------------


def parse_xml(path: str) -> ET.Element:
    """Parse a small XML file safely: a DOCTYPE or entity declaration (which can expand to a
    huge document, or read other files) is refused before and while parsing."""
    data = _read_bytes(path, MAX_XML_BYTES, "XML file")
    squeezed = data.replace(b"\x00", b"").lower()  # UTF-16/32 text: ASCII bytes with NULs
    refusal = f"XML file '{path}' declares a DOCTYPE or entities; expected plain XML"
    if b"<!doctype" in squeezed or b"<!entity" in squeezed:
        raise DataError(refusal)

    def refuse(*_args: Any) -> None:
        raise DataError(refusal)

    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
        return builder.close()
    except expat.ExpatError as exc:
        raise DataError(
            f"XML file '{path}' is not well-formed: {expat.ErrorString(exc.code)} "
            f"(line {exc.lineno}, column {exc.offset})"
        ) from exc


def _text(element: ET.Element | None, tag: str) -> str:
    found = element.find(tag) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def voc_folder(root: Path) -> Path:
    """Where a VOC dataset keeps its XML files: ``Annotations/`` or the folder itself."""
    sub = root / "Annotations"
    return sub if sub.is_dir() else root


def _voc_image(root: Path, xml: Path, filename: str) -> str | None:
    folders = list(dict.fromkeys([root / "JPEGImages", root / "images", xml.parent, root]))
    names = [filename] if filename else []
    names += [
        xml.stem + ext for ext in IMAGE_EXTENSIONS + tuple(e.upper() for e in IMAGE_EXTENSIONS)
    ]
    for folder in folders:
        for name in names:
            candidate = folder / name
            if os.path.basename(name) == name and candidate.is_file():
                return str(candidate)
    return None


def _voc_objects(tree: ET.Element, path: str, issues: Issues) -> list[tuple[str, Box]]:
    """(name, (xmin, ymin, xmax, ymax)) of every <object> with a name and a numeric bndbox."""
    out = []
    for obj in tree.iter("object"):
        name = _text(obj, "name")
        box = obj.find("bndbox")
        coords = [_number(_text(box, k)) for k in ("xmin", "ymin", "xmax", "ymax")]
        x1, y1, x2, y2 = (c if c is not None else float("nan") for c in coords)
        if not name or any(c is None for c in coords):
            issues.add("bad-annotation", path, f"object {name or '(no name)'} without a bndbox")
            continue
        out.append((name, (x1, y1, x2, y2)))
    return out


def read_voc(root_path: str, class_names: tuple[str, ...] | None = None) -> Annotations:
    """Read Pascal VOC XML files (``Annotations/*.xml`` or XML beside the images); each names
    its image (under ``JPEGImages/`` or beside it); classes are the object names, sorted.
    Images in those folders that no XML names are kept as background images."""
    root = Path(root_path)
    folder = voc_folder(root)
    xmls = sorted(f for f in folder.glob("*.xml") if f.is_file()) if folder.is_dir() else []
    if not xmls:
        raise DataError(f"expected Pascal VOC XML files in '{folder}', found none")
    issues = Issues()
    found: list[tuple[RawRecord, list[tuple[str, Box]]]] = []
    seen: set[str] = set()
    for xml in xmls:
        try:
            tree = parse_xml(str(xml))
        except DataError as exc:
            code = "xml-refused" if "DOCTYPE" in str(exc) else "bad-file"
            issues.add(code, str(xml), str(exc))
            continue
        if tree.tag != "annotation":
            issues.add(
                "bad-file",
                str(xml),
                f"root element <{_short(tree.tag, 30)}>, expected <annotation>",
            )
            continue
        image = _voc_image(root, xml, _text(tree, "filename"))
        if image is None:
            issues.add("missing-image", str(xml), f"'{_text(tree, 'filename') or xml.stem}'")
            continue
        if os.path.normpath(image) in seen:
            issues.add("bad-file", str(xml), f"a second annotation of '{os.path.basename(image)}'")
            continue
        seen.add(os.path.normpath(image))
        size = tree.find("size")
        width, height = _positive_int(_text(size, "width")), _positive_int(_text(size, "height"))
        record = RawRecord(image, declared=(width, height) if width and height else None)
        found.append((record, _voc_objects(tree, str(xml), issues)))
    all_names = sorted({name for _, objects in found for name, _ in objects})
    names = list(class_names) if class_names else all_names
    index = {name: k for k, name in enumerate(names)}
    records = []
    for record, objects in found:
        for name, coords in objects:
            if name in index:
                record.boxes.append(coords)
                record.labels.append(index[name])
            else:
                issues.add("unknown-class", record.path, f"'{name}'")
        records.append(record)
    for where in sorted({os.path.dirname(r.path) for r in records}):
        for image in list_images(where, recursive=False):
            if os.path.normpath(image) not in seen:
                seen.add(os.path.normpath(image))
                records.append(RawRecord(image))
    return Annotations("voc", str(folder), records, names, issues)


# --- YOLO -------------------------------------------------------------------------------------


def _yaml_names(text: str) -> list[str] | None:
    """The ``names:`` of a YOLO data.yaml: a flow list, a block list or an index mapping."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("names:"):
            continue
        rest = line[len("names:") :].split(" #")[0].strip()
        items: list[str] = []
        if rest.startswith(("[", "{")):
            items = [v for v in rest.strip("[]{}").split(",") if v.strip()]
        elif not rest:
            for more in lines[i + 1 :]:
                if more.strip() and not more[:1].isspace() and not more.startswith("-"):
                    break
                if more.strip():
                    items.append(more.strip().removeprefix("- ").removeprefix("-"))
        if items and all(":" in v for v in items):
            items = [v.split(":", 1)[1] for v in items]
        names = [v.strip().strip("'\"") for v in items]
        return names if names and all(names) else None
    return None


def yolo_class_names(root: Path) -> tuple[list[str], str] | None:
    """Class names from classes.txt / obj.names (one a line) or data.yaml names, with the file."""
    for folder in (root, root / "labels"):
        for name in _LABEL_NAMES:
            f = folder / name
            if f.is_file():
                text = _read_bytes(str(f), 2**20, "class list").decode("utf-8", "replace")
                names = [n.strip() for n in text.splitlines() if n.strip()]
                if names:
                    return names, str(f)
    for f in sorted(root.glob("*.yaml")) + sorted(root.glob("*.yml")):
        if f.is_file():
            named = _yaml_names(_read_bytes(str(f), 2**20, "YAML file").decode("utf-8", "replace"))
            if named:
                return named, str(f)
    return None


def _label_files(labels: Path) -> dict[str, str]:
    out = {}
    for where, dirs, files in os.walk(labels):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in files:
            if f.lower().endswith(".txt") and f not in _LABEL_NAMES and not f.startswith("."):
                path = os.path.join(where, f)
                out[os.path.splitext(os.path.relpath(path, labels))[0]] = path
    return out


def _yolo_lines(path: str, issues: Issues) -> tuple[list[tuple], list[int]]:
    try:
        text = _read_bytes(path, 64 * 2**20, "label file").decode("utf-8", "replace")
    except DataError as exc:
        issues.add("bad-file", path, str(exc))
        return [], []
    boxes, labels = [], []
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        values = [_number(v) for v in parts]
        cls = values[0]
        ok = cls is not None and cls == cls and abs(cls) < 2**31 and cls == int(cls)
        if not ok or any(v is None for v in values) or len(parts) < 5 or len(parts) % 2 == 0:
            issues.add("bad-line", path, f"line {n} {_short(line.strip(), 40)}")
            continue
        coords = [float(v) for v in values[1:]]  # type: ignore[arg-type]
        if len(coords) > 4:  # a segment polygon: its bounding box
            xs, ys = coords[0::2], coords[1::2]
            coords = [
                (min(xs) + max(xs)) / 2,
                (min(ys) + max(ys)) / 2,
                max(xs) - min(xs),
                max(ys) - min(ys),
            ]
        boxes.append(tuple(coords))
        labels.append(int(cls))  # type: ignore[arg-type]
    return boxes, labels


def read_yolo(root_path: str, class_names: tuple[str, ...] | None = None) -> Annotations:
    """Read YOLO labels: ``images/…`` with ``labels/…`` mirroring them, one ``cls cx cy w h``
    line (fractions of the image) per box; images without a label file are background."""
    root = Path(root_path)
    images_dir, labels_dir = root / "images", root / "labels"
    for folder, what in ((images_dir, "images"), (labels_dir, "labels")):
        if not folder.is_dir():
            raise DataError(f"expected a YOLO {what} folder at '{folder}', but there is none")
    issues = Issues()
    notes = []
    names: list[str] | None = list(class_names) if class_names else None
    if names is None:
        listed = yolo_class_names(root)
        if listed is not None:
            names = listed[0]
            notes.append(f"class names from '{listed[1]}'")
    labels_by_key = _label_files(labels_dir)
    found = []
    for image in list_images(images_dir):
        key = os.path.splitext(os.path.relpath(image, images_dir))[0]
        label = labels_by_key.pop(key, None)
        boxes, labels = _yolo_lines(label, issues) if label is not None else ([], [])
        found.append((RawRecord(image, normalised=True), boxes, labels))
    for key, path in sorted(labels_by_key.items()):
        issues.add("unknown-image", path, f"'{key}'")
    if names is None:
        top = max((max(labels) for _, _, labels in found if labels), default=-1)
        names = [f"class{k}" for k in range(top + 1)]
        if names:
            notes.append("no classes.txt, obj.names or data.yaml names: classes are numbered")
    records = []
    for record, boxes, labels in found:
        for box, cls in zip(boxes, labels, strict=True):
            if 0 <= cls < len(names):
                record.boxes.append(box)
                record.labels.append(cls)
            else:
                issues.add("unknown-class", record.path, f"class {cls} of {len(names)}")
        records.append(record)
    return Annotations("yolo", str(labels_dir), records, names, issues, notes)
