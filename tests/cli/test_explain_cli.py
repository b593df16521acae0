"""``main.py explain``: PNG and .npy written at the image's size, JSON keys, folder mode with a
corrupt file skipped and reported, and one-line errors with exit code 2."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from designer.cli.explain import open_target, register, run_explain
from tests.insight.test_explain import CLASSES, patch_images, tiny_cnn

KEYS = {"method", "class", "class_name", "probability", "layer", "out", "npy"}


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="main.py")
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["explain", *map(str, argv)])


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_explain(_parse(*argv), out, err)
    return code, out.getvalue(), err.getvalue()


def _save_png(path: Path, grey: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((np.clip(grey[..., 0], 0, 1) * 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A .keras model (the tiny CNN), a project holding it with image-folder data, images."""
    import keras

    from designer.app.files import project_from_model
    from designer.app.project import save_project
    from designer.app.settings import DataSection
    from designer.data.images import ImageFolderConfig

    root = tmp_path_factory.mktemp("explain")
    keras.utils.set_random_seed(0)
    model = tiny_cnn()
    model.save(root / "cnn.keras")
    x, y, _ = patch_images(6, seed=3)
    data = root / "data"
    for i, (image, label) in enumerate(zip(x, y, strict=True)):
        _save_png(data / CLASSES[label] / f"{i}.png", image)
    for name in CLASSES:  # every class has a folder
        (data / name).mkdir(exist_ok=True)
    project = project_from_model(model, "patches")
    source = DataSection(source=ImageFolderConfig(path=str(data)))
    project.settings = project.settings.replace(data=source)
    save_project(project, root / "patches.ndproj")
    big = np.asarray(Image.fromarray((x[0, ..., 0] * 255).astype(np.uint8)).resize((48, 40)))
    Image.fromarray(np.stack([big] * 3, -1)).save(root / "rgb.png")  # 40x48, RGB
    return root


def test_png_and_npy_at_the_image_size(files: Path, tmp_path: Path) -> None:
    out, npy = tmp_path / "heat.png", tmp_path / "raw.npy"
    code, text, err = _run(
        files / "cnn.keras", files / "rgb.png", "--method", "saliency", "--out", out,
        "--npy", npy, "--json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(text)
    assert set(data) == KEYS
    assert data["method"] == "saliency" and data["layer"] is None and data["class_name"] is None
    assert 0 <= data["class"] < 4 and 0.0 <= data["probability"] <= 1.0
    assert data["out"] == str(out) and data["npy"] == str(npy)
    heat = np.load(npy)
    assert heat.shape == (40, 48) and heat.dtype == np.float32  # the file's size, not 32x32
    assert heat.min() >= 0.0 and heat.max() <= 1.0 and heat.max() > 0.5
    with Image.open(out) as picture:  # the overlay (enlarged), a colour bar, the caption
        assert picture.format == "PNG" and picture.height >= 256 and picture.width > 300


@pytest.mark.parametrize("method", ["gradcam", "occlusion"])
def test_methods_print_a_line(files: Path, tmp_path: Path, method: str) -> None:
    code, text, err = _run(
        files / "cnn.keras", files / "rgb.png", "--method", method, "--out", tmp_path,
        "--npy", "--patch", "12", "--stride", "8",
    )  # fmt: skip
    assert code == 0, err
    assert f": {method}" in text and "rgb.png" in text
    assert (tmp_path / "rgb.png").exists() and np.load(tmp_path / "rgb.npy").shape == (40, 48)
    if method == "gradcam":
        assert "layer conv2" in text


def test_project_gives_class_names_and_its_preprocessing(files: Path, tmp_path: Path) -> None:
    target = open_target(files / "patches.ndproj")
    assert target.class_names == tuple(sorted(CLASSES))
    assert target.config.image_size == (32, 32) and target.config.channels == 1
    code, text, err = _run(
        files / "patches.ndproj", files / "rgb.png", "--out", tmp_path / "p.png",
        "--class", "2", "--layer", "conv1", "--json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(text)
    assert data["class"] == 2 and data["class_name"] == sorted(CLASSES)[2]
    assert data["layer"] == "conv1" and data["npy"] is None


def test_folder_skips_a_corrupt_file(files: Path, tmp_path: Path) -> None:
    folder = tmp_path / "images"
    x, _, _ = patch_images(3, seed=4)
    _save_png(folder / "a.png", x[0])
    _save_png(folder / "b.png", x[1])
    _save_png(folder / "sub" / "c.png", x[2])
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    out = tmp_path / "heat"
    code, text, err = _run(
        files / "cnn.keras", folder, "--method", "gradcam", "--out", out, "--npy", "--json"
    )
    assert code == 0, err
    rows = json.loads(text)
    assert [Path(r["image"]).name for r in rows] == ["a.png", "b.png", "c.png"]
    assert all(set(r) >= KEYS for r in rows)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == [
        "a.png",
        "b.png",
        "sub/c.png",
    ]
    assert np.load(out / "sub" / "c.npy").shape == (32, 32)
    assert err.count("\n") == 1 and err.startswith("skipped:") and "broken.png" in err
    code, text, _ = _run(files / "cnn.keras", folder, "--method", "saliency", "--out", out)
    assert code == 0 and text.splitlines()[-1] == "explained 3 images, skipped 1"


def _models(root: Path) -> tuple[Path, Path]:
    import keras

    dense = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(2, name="out")]
    )
    dense.save(root / "dense.keras")
    table = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    table.save(root / "table.keras")
    return root / "dense.keras", root / "table.keras"


def test_errors_are_one_line_with_exit_2(files: Path, tmp_path: Path) -> None:
    dense, table = _models(tmp_path)
    image, out = files / "rgb.png", tmp_path / "o.png"
    cases = [
        ((dense, image, "--out", out), "Grad-CAM needs a convolutional layer"),
        ((table, image, "--out", out, "--method", "saliency"), "not an image model"),
        ((files / "cnn.keras", image, "--out", out, "--class", "9"), "class index 9 is out"),
        ((files / "cnn.keras", image, "--out", out, "--layer", "zz"), "no layer named 'zz'"),
        ((files / "cnn.keras", tmp_path / "none.png", "--out", out), "no such file or folder"),
        ((files / "cnn.keras", image, "--out", tmp_path / "o.jpg"), "must be a .png"),
        ((files / "cnn.keras", image, "--out", tmp_path / "no" / "o.png"), "does not exist"),
        ((files / "cnn.keras", files, "--out", out), "--out is a folder"),
        ((tmp_path / "missing.keras", image, "--out", out), "no such file"),
    ]
    for argv, words in cases:
        code, text, err = _run(*argv)
        assert code == 2, (argv, err)
        assert err.startswith("error: ") and err.count("\n") == 1 and words in err, err
        assert text == ""
    assert not out.exists()
