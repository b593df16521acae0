"""Detection datastores: COCO, Pascal VOC and YOLO readers on files written here (with every
kind of problem), ``data inspect`` JSON, kind detection, and the generated shapes dataset."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import numpy as np
import pytest

from designer.cli.data import register
from designer.data.detection import DetectionConfig, DetectionStore, find_layout
from designer.data.detection_formats import parse_xml
from designer.data.registry import config_from_dict, detect, open_datastore
from designer.data.shapes import (
    CLASSES,
    ShapesConfig,
    render_shapes_image,
    shapes_folder,
    write_shapes_dataset,
)
from designer.data.summary import DataError, DataSummary
from tests.data.conftest import save


def _image(path: Path, w: int = 40, h: int = 30) -> str:
    return save(path, np.full((h, w, 3), 90, np.uint8))


def _codes(store: DetectionStore) -> set[str]:
    return {p.code for p in store.summary().problems}


def _inspect(path: str) -> tuple[int, dict, str]:
    parser = argparse.ArgumentParser(prog="main.py")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["data", "inspect", path, "--json"])
    out, err = io.StringIO(), io.StringIO()
    code = args.func(args, out, err)
    return code, json.loads(out.getvalue()), err.getvalue()


# --- COCO -------------------------------------------------------------------------------------


def _coco(root: Path) -> Path:
    for name in ("a.png", "b.png", "bg.png", "unlisted.png"):
        _image(root / "images" / name)
    (root / "images" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    images = [
        {"id": 1, "file_name": "a.png", "width": 40, "height": 30},
        {"id": 2, "file_name": "b.png", "width": 80, "height": 30},  # wrong size declared
        {"id": 3, "file_name": "bg.png"},
        {"id": 4, "file_name": "missing.png"},
        {"id": 5, "file_name": "bad.png"},
        {"file_name": "no-id.png"},
    ]
    box = {"image_id": 1, "category_id": 7}
    annotations = [
        {**box, "bbox": [2, 3, 10, 5]},  # dog: xyxy (2, 3, 12, 8)
        {"image_id": 1, "category_id": 3, "bbox": [30, 20, 20, 20]},  # cat, clipped to 40x30
        {**box, "bbox": [5, 5, 0, 4]},  # zero width: dropped
        {**box, "bbox": [5, 5, -3, 4]},  # inverted: dropped
        {**box, "bbox": [100, 100, 5, 5]},  # wholly outside: dropped
        {**box, "bbox": [1, 1, float("nan"), 2]},  # not finite: dropped
        {**box, "bbox": [1, 1, 2]},  # malformed
        {**box, "bbox": ["1", 1, 2, 2]},  # a text is no number
        {"image_id": 99, "category_id": 7, "bbox": [1, 1, 2, 2]},  # unknown image
        {"image_id": 2, "category_id": 42, "bbox": [1, 1, 2, 2]},  # unknown category
        {"image_id": 2, "category_id": 3, "bbox": [1, 1, 4, 4]},
        "not an annotation",
    ]
    categories = [{"id": 7, "name": "dog"}, {"id": 3, "name": "cat"}, {"id": 3, "name": "again"}]
    path = root / "annotations.json"
    path.write_text(
        json.dumps({"images": images, "annotations": annotations, "categories": categories})
    )
    return path


def test_coco_reader_boxes_classes_and_problems(tmp_path) -> None:
    ann = _coco(tmp_path)
    store = DetectionStore(DetectionConfig(str(tmp_path), "coco", str(ann)))
    assert store.task == "detection" and store.is_image
    assert store.class_names == ["cat", "dog"]  # category ids 3, 7 -> classes 0, 1
    by_name = {Path(r.path).name: r for r in store.records}
    assert sorted(by_name) == ["a.png", "b.png", "bg.png"]
    image, target = store.get(store.records.index(by_name["a.png"]))
    assert image.dtype == np.uint8 and image.shape == (30, 40, 3)
    assert target["boxes"].dtype == np.float32 and target["labels"].dtype == np.int32
    np.testing.assert_array_equal(target["boxes"], [[2, 3, 12, 8], [30, 20, 40, 30]])
    np.testing.assert_array_equal(target["labels"], [1, 0])
    assert len(by_name["bg.png"].labels) == 0  # kept as a background image
    summary = store.summary()
    assert summary.boxes == 3 and summary.background_images == 1
    assert summary.boxes_per_class == {"cat": 2, "dog": 1}
    assert summary.class_counts == {"cat": 2, "dog": 1}  # images holding the class
    assert summary.box_sizes["max_width"] == 10 and summary.box_sizes["min_height"] == 4
    assert {
        "box-clipped",
        "empty-box",
        "box-outside",
        "bad-box",
        "bad-annotation",
        "unknown-image",
        "unknown-category",
        "bad-category",
        "bad-image-entry",
        "missing-image",
        "unlisted-image",
        "corrupt-file",
        "size-mismatch",
    } <= _codes(store)
    empty = next(p for p in summary.problems if p.code == "empty-box")
    assert empty.message.startswith("boxes with zero or negative") and ": 2 (e.g." in empty.message
    assert summary.refusal is None
    assert store.describe_target(target) == "1 cat, 1 dog"
    assert store.describe_target({"boxes": np.zeros((0, 4)), "labels": []}) == "no objects"
    assert all("\n" not in line for line in summary.format_table().splitlines())


def test_coco_refusals_are_one_sentence(tmp_path) -> None:
    bad = tmp_path / "annotations.json"
    bad.write_text('{"images": [')
    with pytest.raises(DataError, match="not valid JSON"):
        DetectionStore(DetectionConfig(str(tmp_path), "coco", str(bad)))
    bad.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DataError, match="not valid JSON"):
        DetectionStore(DetectionConfig(str(tmp_path), "coco", str(bad)))
    bad.write_text('{"images": 3}')
    with pytest.raises(DataError, match="with an 'images' list"):
        DetectionStore(DetectionConfig(str(tmp_path), "coco", str(bad)))
    bad.write_text(json.dumps({"images": [{"id": 1, "file_name": "gone.png"}]}))
    with pytest.raises(DataError, match="found none .*missing on disk") as info:
        DetectionStore(DetectionConfig(str(tmp_path), "coco", str(bad)))
    assert "\n" not in str(info.value)
    with pytest.raises(DataError, match="format among"):
        DetectionStore(DetectionConfig(str(tmp_path), "tfrecord"))
    with pytest.raises(DataError, match="expected COCO JSON, Pascal VOC XML or YOLO"):
        DetectionStore(DetectionConfig(str(tmp_path / "nowhere")))


def test_coco_without_boxes_is_refused_by_the_summary(tmp_path) -> None:
    _image(tmp_path / "images" / "a.png")
    (tmp_path / "annotations.json").write_text(
        json.dumps({"images": [{"id": 1, "file_name": "a.png"}], "annotations": []})
    )
    summary = DetectionStore(DetectionConfig(str(tmp_path))).summary()
    assert summary.boxes == 0 and summary.refusal and "none of its 1 images" in summary.refusal


# --- Pascal VOC -------------------------------------------------------------------------------


def _voc_xml(filename: str, objects: list[tuple[str, tuple]], size=(40, 30)) -> str:
    body = "".join(
        f"<object><name>{n}</name><difficult>0</difficult><bndbox><xmin>{b[0]}</xmin>"
        f"<ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>"
        for n, b in objects
    )
    return (
        f"<annotation><folder>VOC</folder><filename>{filename}</filename><size>"
        f"<width>{size[0]}</width><height>{size[1]}</height><depth>3</depth></size>{body}"
        "</annotation>"
    )


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    "<annotation><filename>&lol2;</filename></annotation>"
)


def test_voc_reader_and_problems(tmp_path) -> None:
    ann, jpg = tmp_path / "Annotations", tmp_path / "JPEGImages"
    ann.mkdir()
    for name in ("a.jpg", "b.png", "bg.png", "laughs.png"):
        _image(jpg / name)
    (ann / "a.xml").write_text(
        _voc_xml(
            "a.jpg", [("person", (1, 2, 11, 12)), ("car", (30, 5, 50, 10)), ("car", (9, 9, 3, 3))]
        )
    )
    (ann / "b.xml").write_text(_voc_xml("", [("bike", (0, 0, 5, "x"))]))  # found by stem
    (ann / "gone.xml").write_text(_voc_xml("gone.jpg", [("car", (1, 1, 5, 5))]))
    (ann / "broken.xml").write_text("<annotation><filename>a.jpg")
    (ann / "laughs.xml").write_text(LAUGHS)
    (ann / "wrong.xml").write_text("<html/>")
    store = DetectionStore(DetectionConfig(str(tmp_path), "voc"))
    assert store.class_names == ["car", "person"]  # object names, sorted ("bike" had no box)
    names = sorted(Path(r.path).name for r in store.records)
    assert names == ["a.jpg", "b.png", "bg.png", "laughs.png"]  # no XML: background images
    rec = next(r for r in store.records if r.path.endswith("a.jpg"))
    np.testing.assert_array_equal(rec.boxes, [[1, 2, 11, 12], [30, 5, 40, 10]])
    np.testing.assert_array_equal(rec.labels, [1, 0])
    assert {
        "xml-refused",
        "bad-file",
        "missing-image",
        "bad-annotation",
        "empty-box",
        "box-clipped",
    } <= _codes(store)
    assert store.summary().background_images == 3
    assert detect(str(tmp_path)).format == "voc"


def test_voc_beside_images_and_fixed_classes(tmp_path) -> None:
    _image(tmp_path / "x.png")
    (tmp_path / "x.xml").write_text(
        _voc_xml("x.png", [("cat", (1, 1, 9, 9)), ("owl", (2, 2, 4, 4))])
    )
    cfg = detect(str(tmp_path))
    assert isinstance(cfg, DetectionConfig) and cfg.format == "voc"
    store = DetectionStore(DetectionConfig(str(tmp_path), "voc", class_names=("dog", "cat")))
    assert store.class_names == ["dog", "cat"] and store.records[0].labels.tolist() == [1]
    assert "unknown-class" in _codes(store) and "empty-class" in _codes(store)


def test_xml_with_entities_is_refused_before_parsing(tmp_path) -> None:
    f = tmp_path / "l.xml"
    f.write_text(LAUGHS)
    with pytest.raises(DataError, match="DOCTYPE"):
        parse_xml(str(f))
    f.write_bytes(LAUGHS.replace('<?xml version="1.0"?>', "").encode("utf-16"))
    with pytest.raises(DataError, match="DOCTYPE"):
        parse_xml(str(f))
    f.write_text("<a><b>1</b></a>")
    assert parse_xml(str(f)).find("b").text == "1"
    with pytest.raises(DataError, match="not well-formed"):
        f.write_text("<a>")
        parse_xml(str(f))


# --- YOLO -------------------------------------------------------------------------------------


def test_yolo_reader_and_problems(tmp_path) -> None:
    _image(tmp_path / "images" / "train" / "a.png", 40, 20)
    _image(tmp_path / "images" / "train" / "bg.png")
    labels = tmp_path / "labels" / "train"
    labels.mkdir(parents=True)
    (labels / "a.txt").write_text(
        "0 0.5 0.5 0.5 0.5\n"  # (10, 5, 30, 15)
        "\n# a comment\n"
        "1 0.95 0.5 0.2 0.2\n"  # reaches past the right edge: clipped
        "1 0.5 0.5 0 0.2\n"  # empty
        "7 0.5 0.5 0.1 0.1\n"  # unknown class
        "1 0.5 0.5\n"  # too few values
        "x 0.5 0.5 0.1 0.1\n"
        "0 nan 0.5 0.1 0.1\n"
        "1 0.1 0.1 0.3 0.1 0.2 0.4\n"  # a polygon: its bounding box
    )
    (labels / "orphan.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (tmp_path / "classes.txt").write_text("ball\nbat\n")
    store = DetectionStore(DetectionConfig(str(tmp_path), "yolo"))
    assert store.class_names == ["ball", "bat"]
    rec = next(r for r in store.records if r.path.endswith("a.png"))
    np.testing.assert_allclose(
        rec.boxes, [[10, 5, 30, 15], [34, 8, 40, 12], [4, 2, 12, 8]], atol=1e-4
    )
    assert rec.labels.tolist() == [0, 1, 1]
    assert {
        "box-clipped",
        "empty-box",
        "unknown-class",
        "bad-line",
        "bad-box",
        "unknown-image",
    } <= (_codes(store))
    assert store.summary().background_images == 1
    assert detect(str(tmp_path)).format == "yolo"


@pytest.mark.parametrize(
    "yaml_text",
    [
        "path: .\nnames: ['ball', \"bat\"]\n",
        "nc: 2\nnames:\n  - ball\n  - bat\ntrain: images\n",
        "names:\n  0: ball\n  1: bat\n",
    ],
)
def test_yolo_names_from_data_yaml(tmp_path, yaml_text) -> None:
    _image(tmp_path / "images" / "a.png")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "a.txt").write_text("1 0.5 0.5 0.2 0.2\n")
    (tmp_path / "data.yaml").write_text(yaml_text)
    assert DetectionStore(DetectionConfig(str(tmp_path), "yolo")).class_names == ["ball", "bat"]


def test_yolo_without_names_numbers_the_classes(tmp_path) -> None:
    _image(tmp_path / "images" / "a.png")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "a.txt").write_bytes(b"2 0.5 0.5 0.2 0.2\n\xff\xfe junk\n")
    store = DetectionStore(DetectionConfig(str(tmp_path)))
    assert store.class_names == ["class0", "class1", "class2"] and "bad-line" in _codes(store)


# --- kinds, inspect ---------------------------------------------------------------------------


def test_registry_detects_detection_layouts_and_keeps_the_others(tmp_path, digits_folder) -> None:
    coco = tmp_path / "coco"
    _coco(coco)
    assert detect(str(coco)).kind == "detection" and detect(str(coco)).format == "coco"
    nested = tmp_path / "nested"
    _image(nested / "images" / "a.png")
    (nested / "annotations").mkdir()
    (nested / "annotations" / "instances_val.json").write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": "a.png"}],
                "annotations": [{"image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5]}],
                "categories": [{"id": 1, "name": "thing"}],
            }
        )
    )
    cfg = detect(str(nested))
    assert cfg.annotations.endswith("instances_val.json")
    assert len(open_datastore(cfg)) == 1
    by_file = detect(str(nested / "annotations" / "instances_val.json"))
    assert by_file.kind == "detection" and len(open_datastore(by_file)) == 1
    (tmp_path / "other.json").write_text('{"a": 1}')
    with pytest.raises(DataError, match="COCO annotation file"):
        detect(str(tmp_path / "other.json"))
    assert detect(str(digits_folder)).kind == "image-folder"
    save(tmp_path / "seg" / "images" / "a.png", np.zeros((4, 4, 3), np.uint8))
    save(tmp_path / "seg" / "masks" / "a.png", np.array([[0, 1, 2, 0]] * 4, np.uint8))
    assert detect(str(tmp_path / "seg")).kind == "segmentation"
    assert find_layout(str(tmp_path / "seg")) is None and find_layout(str(digits_folder)) is None
    assert detect("synthetic:shapes") == ShapesConfig()
    for cfg in (DetectionConfig(str(coco), "coco", class_names=("a",)), ShapesConfig(images=3)):
        assert config_from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_inspect_json_of_a_shapes_dataset(tmp_path) -> None:
    write_shapes_dataset(tmp_path / "shapes", images=12, seed=3)
    code, report, err = _inspect(str(tmp_path / "shapes"))
    assert code == 0 and err == ""
    assert report["kind"] == "detection" and report["task"] == "detection"
    assert report["num_samples"] == 12 and report["classes"] == list(CLASSES)
    assert report["boxes"] == sum(report["boxes_per_class"].values()) > 0
    assert set(report["box_sizes"]) == {
        f"{m}_{a}" for m in ("min", "median", "max") for a in ("width", "height")
    }
    assert report["problems"] == [] and report["config"]["format"] == "coco"
    # other kinds' output keeps its keys
    plain = DataSummary("image-folder", "classification", 3).to_dict()
    assert "boxes" not in plain and "box_sizes" not in plain
    assert "boxes" not in DataSummary("image-folder", "classification", 3).format_table()


# --- shapes -----------------------------------------------------------------------------------


def test_shapes_are_deterministic_and_independent_of_the_count(tmp_path) -> None:
    a = write_shapes_dataset(tmp_path / "a", images=6, seed=5)
    b = write_shapes_dataset(tmp_path / "b", images=6, seed=5)
    c = write_shapes_dataset(tmp_path / "c", images=3, seed=5)
    d = write_shapes_dataset(tmp_path / "d", images=3, seed=6)
    read = lambda root, name: (root / name).read_bytes()  # noqa: E731
    assert read(a, "annotations.json") == read(b, "annotations.json")
    for i in range(6):
        assert read(a, f"images/{i:06d}.png") == read(b, f"images/{i:06d}.png")
    assert read(a, "images/000002.png") == read(c, "images/000002.png")
    assert read(a, "images/000002.png") != read(d, "images/000002.png")
    with pytest.raises(DataError, match="expected size from 32"):
        write_shapes_dataset(tmp_path / "e", size=8)


def test_shape_boxes_are_tight_and_hold_the_shapes() -> None:
    sizes = []
    for i in range(40):
        sample = render_shapes_image(0, i)
        assert 1 <= len(sample.boxes) <= 4 and sample.image.shape == (128, 128, 3)
        changed = (sample.image != sample.background).any(axis=-1)
        inside = np.zeros_like(changed)
        for (x1, y1, x2, y2), label in zip(sample.boxes.astype(int), sample.labels, strict=True):
            assert 0 <= x1 < x2 <= 128 and 0 <= y1 < y2 <= 128 and label in (0, 1, 2)
            inside[y1:y2, x1:x2] = True
            region = changed[y1:y2, x1:x2]
            assert region.mean() > 0.3  # the shape covers its box (a triangle: half of it)
            # tight: the first and last rows and columns of the box hold drawn pixels
            assert region[0].any() and region[-1].any()
            assert region[:, 0].any() and region[:, -1].any()
            diff = np.abs(sample.image[y1:y2, x1:x2].astype(int) - sample.background[y1:y2, x1:x2])
            assert diff.sum(axis=-1)[region].mean() > 60  # a colour that stands out
            sizes.append(max(x2 - x1, y2 - y1))
        assert not (changed & ~inside).any()  # nothing drawn outside the boxes
    assert min(sizes) >= 11 and max(sizes) <= 48 and max(sizes) - min(sizes) > 20


def test_shapes_kind_generates_once_in_the_cache(tmp_path) -> None:
    cfg = ShapesConfig(images=5, seed=2, cache_dir=str(tmp_path))
    store = open_datastore(cfg.to_dict())
    assert len(store) == 5 and store.config == cfg and store.summary().kind == "shapes"
    stamp = (shapes_folder(cfg) / "annotations.json").stat().st_mtime_ns
    again = open_datastore(cfg)
    assert (shapes_folder(cfg) / "annotations.json").stat().st_mtime_ns == stamp
    first = render_shapes_image(2, 0)
    image, target = again.get(0)
    np.testing.assert_array_equal(image, first.image)
    np.testing.assert_array_equal(target["boxes"], first.boxes)
    np.testing.assert_array_equal(target["labels"], first.labels)
    assert "generated shapes (seed 2)" in store.summary().source
