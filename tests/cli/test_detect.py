"""``main.py detect``: pictures written at the images' sizes, detections.json with boxes in the
original image's pixels (checked against the network's own boxes mapped by hand), damaged and
non-image files skipped, --json, a project as the detector, and exit code 2 with a clear
message for unusable input. An untrained tiny detector with a score threshold of 0: every
anchor's box is a detection, which is what the mapping checks need."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from designer.cli import main

SIZE = 64
STAGES = ((8, 1), (8, 1), (8, 1), (12, 1), (12, 1), (12, 1))
HEAD = {"fpn_filters": 8, "head_convs": 1, "head_filters": 8, "anchors_per_location": 1}
CLASSES = ("cat", "dog")


def _graph():
    from designer.zoo.classic.tiny_detector import build_tiny_detector_graph

    return build_tiny_detector_graph((SIZE, SIZE, 3), len(CLASSES), STAGES, **HEAD)[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A detector .keras, a plain two-output network, a classifier, a detector project and
    a folder: a 200x100 RGB PNG, a 90x120 grey JPEG, a damaged PNG and a text file."""
    import keras

    from designer.app.project import Project, save_project
    from designer.core.build import build_model
    from designer.training.detector import GraphDetector
    from designer.training.detector_spec import designer_spec

    root = tmp_path_factory.mktemp("detect")
    keras.utils.set_random_seed(0)
    graph = _graph()
    spec = designer_spec(len(CLASSES), CLASSES, (SIZE, SIZE), 1)
    GraphDetector.from_graph(graph, spec).save(root / "detector.keras")
    build_model(graph).save(root / "plain.keras")
    inputs = keras.Input((8,))
    keras.Model(inputs, keras.layers.Dense(3, name="scores")(inputs)).save(root / "dense.keras")
    save_project(Project(graph=graph, name="det"), root / "det.ndproj")
    images = root / "images"
    (images / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (100, 200, 3), np.uint8)).save(images / "wide.png")
    Image.fromarray(rng.integers(0, 256, (120, 90), np.uint8)).save(images / "sub" / "tall.jpg")
    (images / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20))
    (images / "notes.txt").write_text("not an image")
    return root


def _detect(capsys: pytest.CaptureFixture, *argv: object) -> tuple[int, str, str]:
    code = main(["detect", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _network_boxes(model_path: Path, image: Path, mode: str) -> np.ndarray:
    """The detector's boxes on ``image`` prepared by hand (Pillow, 0..1), network pixels."""
    import dataclasses

    import keras

    from designer.training.detector import GraphDetector

    model = keras.saving.load_model(model_path, compile=False)
    model = GraphDetector(model.network, dataclasses.replace(model.spec, score_threshold=0.0))
    with Image.open(image) as im:
        rgb = im.convert("RGB")
    fit = ImageOps.pad if mode == "pad" else Image.Image.resize
    pixels = np.asarray(fit(rgb, (SIZE, SIZE), Image.Resampling.BILINEAR), np.float32)
    found = model.predict_on_batch(pixels[None] / 255.0)
    return np.asarray(found["boxes"][0, : int(found["num_detections"][0])])


@pytest.mark.parametrize("mode", ["stretch", "pad"])
def test_boxes_are_in_the_original_pixels(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture, mode: str
) -> None:
    image = files / "images" / "wide.png"
    code, out, err = _detect(
        capsys, files / "detector.keras", image, "--out", tmp_path, "--score", "0",
        "--resize-mode", mode,
    )  # fmt: skip
    assert code == 0, err
    assert "wide.png:" in out and "detections.json" in out
    data = json.loads((tmp_path / "detections.json").read_text())
    assert data["preprocess"] == {"resize_mode": mode, "rescale": "unit"}
    (item,) = data["images"]
    assert (item["file"], item["width"], item["height"]) == ("wide.png", 200, 100)
    found = np.asarray([d["box"] for d in item["detections"]])
    expected = _network_boxes(files / "detector.keras", image, mode)
    if mode == "stretch":
        scale, offset = np.array([200 / SIZE, 100 / SIZE] * 2), np.zeros(4)
    else:  # 200x100 scaled by 0.32 to 64x32, centred: 16 rows of padding above
        scale, offset = np.full(4, 1 / 0.32), np.array([0, 16, 0, 16]) / 0.32
    expected = np.clip(expected * scale - offset, 0, [200, 100, 200, 100])
    assert len(found) == len(expected) > 0
    np.testing.assert_allclose(found, expected, atol=0.02)
    assert {d["class"] for d in item["detections"]} <= set(CLASSES)
    assert all(0.0 <= d["score"] <= 1.0 for d in item["detections"])
    with Image.open(tmp_path / "wide.png") as picture:
        assert picture.size == (200, 100) and picture.mode == "RGB"


def test_folder_skips_damaged_and_other_files(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out_dir = tmp_path / "drawn"
    code, out, err = _detect(
        capsys, files / "detector.keras", files / "images", "--out", out_dir, "--score", "0",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data == json.loads((out_dir / "detections.json").read_text())
    assert data["model"] == str(files / "detector.keras") and data["score_threshold"] == 0.0
    assert data["class_names"] == list(CLASSES) and data["notes"] == []
    sizes = {item["file"]: (item["width"], item["height"]) for item in data["images"]}
    assert sizes == {"wide.png": (200, 100), "sub/tall.jpg": (90, 120)}
    for item in data["images"]:
        with Image.open(out_dir / item["file"]) as picture:
            assert picture.size == (item["width"], item["height"])
        for d in item["detections"]:
            x1, y1, x2, y2 = d["box"]
            assert 0 <= x1 <= x2 <= item["width"] and 0 <= y1 <= y2 <= item["height"]
            assert d["class"] == CLASSES[d["class_index"]]
    skipped = {s["file"]: s["reason"] for s in data["skipped"]}
    assert set(skipped) == {"broken.png", "notes.txt"}
    assert "not an image file" in skipped["notes.txt"] and "cannot read" in skipped["broken.png"]
    assert "warning: skipped broken.png" in err and "warning: skipped notes.txt" in err


def test_high_threshold_keeps_only_high_scores(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    image = files / "images" / "wide.png"
    code, out, err = _detect(capsys, files / "detector.keras", image, "--out", tmp_path, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["score_threshold"] == 0.5
    assert all(d["score"] >= 0.5 for d in data["images"][0]["detections"])


def test_project_and_plain_network_as_detectors(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    image = files / "images" / "sub" / "tall.jpg"
    for name in ("det.ndproj", "plain.keras"):
        out_dir = tmp_path / name
        code, out, err = _detect(capsys, files / name, image, "--out", out_dir, "--score", "0")
        assert code == 0, err
        assert "classes unnamed" in out and "tall.jpg:" in out
        data = json.loads((out_dir / "detections.json").read_text())
        assert data["class_names"] == ["class 0", "class 1"]
        assert data["images"][0]["detections"], name
        assert (out_dir / "tall.jpg").is_file()


def test_a_model_that_is_no_detector(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    image = files / "images" / "wide.png"
    code, out, err = _detect(capsys, files / "dense.keras", image, "--out", tmp_path, "--json")
    assert code == 2
    message = json.loads(out)["error"]
    assert "not a detector" in message and "'scores'" in message
    assert "bbox_regression" in message and "cls_logits" in message
    assert err.startswith("error: ")
    assert not (tmp_path / "detections.json").exists()


@pytest.mark.parametrize(
    ("model", "image", "extra", "says"),
    [
        ("detector.keras", "missing.png", [], "no such file or folder"),
        ("missing.keras", "images/wide.png", [], "missing.keras"),
        ("detector.keras", "images/notes.txt", [], "not an image file"),
        ("detector.keras", "images/broken.png", [], "no readable image"),
        ("detector.keras", "images/wide.png", ["--score", "1.5"], "--score"),
    ],
)
def test_unusable_input_exits_2(
    files: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    model: str,
    image: str,
    extra: list[str],
    says: str,
) -> None:
    code, _, err = _detect(capsys, files / model, files / image, "--out", tmp_path, *extra)
    assert code == 2
    assert "error: " in err and says in err
    assert not (tmp_path / "detections.json").exists()


def test_a_folder_without_images(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    empty = tmp_path / "texts"
    empty.mkdir()
    (empty / "a.txt").write_text("x")
    code, _, err = _detect(capsys, files / "detector.keras", empty, "--out", tmp_path / "o")
    assert code == 2 and "no image files" in err


def test_refuses_to_overwrite_the_images(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = tmp_path / "own"
    folder.mkdir()
    Image.new("RGB", (20, 10)).save(folder / "x.png")
    code, _, err = _detect(capsys, files / "detector.keras", folder, "--out", folder)
    assert code == 2 and "overwrite" in err
