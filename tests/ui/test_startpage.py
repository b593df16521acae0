"""The start page / gallery, driven through its real widgets in a real MainWindow."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox

from designer import zoo
from designer.app.data_settings import effective_preprocess
from designer.app.gallery import PRETRAINED
from designer.core.weights import weight_arrays
from designer.ui.document.commands import AddNode
from designer.ui.gallery.dialogs import KEY_MIRROR, KEY_OFFLINE
from designer.ui.gallery.start_page import BLANK, StartPage
from designer.zoo import weights as zoo_weights

OK = QDialogButtonBox.StandardButton.Ok
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """An empty Keras cache, no mirror, no downloads (no network in tests; conftest.py keeps
    QSettings in a temporary folder)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv(zoo_weights.ENV_MIRROR, raising=False)
    monkeypatch.setenv(zoo_weights.ENV_OFFLINE, "1")
    zoo.set_mirror(None)
    zoo.set_offline(None)
    yield
    zoo.set_mirror(None)
    zoo.set_offline(None)


@pytest.fixture
def window(qtbot):
    """A real main window (its extensions include the start page)."""
    from designer.ui.shell.main_window import MainWindow

    win = MainWindow()
    yield win
    win.tasks.stop_all()
    win.document.mark_saved()  # no "save changes?" question on close
    win.close()
    win.deleteLater()


@pytest.fixture
def page(qtbot, window, tmp_path):
    """The gallery over ``window``, shown, with settings in a temporary file."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    dialog = StartPage(window, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def shown(page: StartPage) -> set[str]:
    """Names of the tiles the user sees."""
    return {name for name, tile in page.tiles.items() if tile.isVisibleTo(page)}


def open_with_options(qtbot, page: StartPage, name: str):
    """Click a tile; return its options dialog."""
    qtbot.mouseClick(page.tiles[name], LEFT)
    qtbot.waitUntil(lambda: page.options_dialog is not None and page.options_dialog.isVisible())
    return page.options_dialog


def ask_for_headless_weights(qtbot, page: StartPage, side: int) -> None:
    """Open pretrained MobileNetV3Small without its top at side x side, offline: the start
    page then asks for the missing weights file."""
    options = open_with_options(qtbot, page, "mobilenet_v3_small")
    assert options.pretrained and not options.dims[0].isEnabled()  # locked with the top
    qtbot.mouseClick(options.include_top, LEFT)
    assert options.dims[0].isEnabled() and not options.dims[2].isEnabled()
    for spin in options.dims[:2]:
        spin.selectAll()
        qtbot.keyClicks(spin, str(side))
    qtbot.mouseClick(options.buttons.button(OK), LEFT)
    qtbot.waitUntil(
        lambda: page.weights_box is not None and page.weights_box.isVisible(), timeout=30_000
    )


def wait_opened(qtbot, window, name: str) -> None:
    qtbot.waitUntil(lambda: window.document.project.name == name, timeout=60_000)


def test_gallery_lists_every_entry_with_its_figures(page):
    entries = zoo.list_entries()
    assert shown(page) == {e.name for e in entries} | {BLANK}
    assert page.count.text() == f"{len(entries)} of {len(entries)} networks"
    lenet = page.tiles["lenet5"]
    texts = " | ".join([lenet.title.text()] + [label.text() for label in lenet.lines])
    assert "LeNet-5" in texts and "61.7 k parameters" in texts and "depth 5" in texts
    assert "28x28x1 input" in texts and "No pretrained weights" in texts
    resnet = " | ".join(label.text() for label in page.tiles["resnet50"].lines)
    assert "top-1 74.9 %" in resnet and "ImageNet weights (not cached)" in resnet


def test_search_and_task_filter(qtbot, page):
    qtbot.keyClicks(page.search, "mobilenet")
    expected = {e.name for e in zoo.list_entries(search="mobilenet")}
    assert shown(page) == expected and len(expected) == 4
    assert page.count.text().startswith("4 of ")
    page.search.clear()
    page.task.setCurrentIndex(page.task.findData("segmentation"))
    assert shown(page) == {"unet", "segnet", BLANK}
    qtbot.keyClicks(page.search, "2015 u-net")
    assert shown(page) == {"unet"}
    page.task.setCurrentIndex(page.task.findData("sequence"))
    assert shown(page) == set()
    assert page.count.text().startswith("0 of ")


def test_blank_tile_opens_one_image_input(qtbot, window, page):
    qtbot.mouseClick(page.tiles[BLANK], LEFT)
    nodes = window.document.graph.nodes
    assert [(n.type, list(n.params["shape"])) for n in nodes] == [("Input", [28, 28, 1])]
    assert page.result() == QDialog.DialogCode.Accepted


def test_open_lenet_with_other_class_count(qtbot, window, page):
    options = open_with_options(qtbot, page, "lenet5")
    assert options.weights.count() == 1 and options.weights.currentData() is None  # random only
    options.classes.selectAll()
    qtbot.keyClicks(options.classes, "5")
    qtbot.mouseClick(options.buttons.button(OK), LEFT)
    wait_opened(qtbot, window, "LeNet-5")
    report = window.document.analyse_now()
    assert len(window.document.graph) == zoo.entry_stats("lenet5").layers == 9
    assert report.total_params == 61_706 - 84 * 10 - 10 + 84 * 5 + 5
    assert not window.document.modified  # untouched: nothing to save yet
    pre, _ = effective_preprocess(window.document.project)
    assert pre.image_size == (28, 28) and pre.rescale == "unit"
    qtbot.waitUntil(lambda: page.result() == QDialog.DialogCode.Accepted)
    assert "LeNet-5" in window.statusBar().currentMessage()


def test_open_bundled_digits_cnn_with_its_pretrained_weights(qtbot, window, page):
    from designer.zoo.bundled import load_digits_cnn

    options = open_with_options(qtbot, page, "digits_cnn")
    assert options.pretrained and not options.classes.isEnabled()
    qtbot.mouseClick(options.buttons.button(OK), LEFT)
    wait_opened(qtbot, window, "Digits CNN (pretrained)")
    graph = window.document.graph
    assert len(graph) == zoo.entry_stats("digits_cnn").layers
    assert window.document.analyse_now().total_params == 130_890
    trained = load_digits_cnn().get_layer("conv2").get_weights()[0]
    np.testing.assert_array_equal(weight_arrays(graph.find("conv2").weights)[0], trained)


def test_offline_imagenet_entry_asks_then_opens_random_weights(qtbot, window, page, tmp_path):
    ask_for_headless_weights(qtbot, page, 64)
    message = page.weights_box.informativeText()
    assert "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5" in message
    assert str(tmp_path / "keras" / "models") in message
    assert window.document.project.name == "untitled"  # nothing opened yet
    qtbot.mouseClick(page.weights_box.random_button, LEFT)
    wait_opened(qtbot, window, "MobileNetV3Small")
    graph = window.document.graph
    inputs = [n for n in graph.nodes if n.type == "Input"]
    assert [list(n.params["shape"]) for n in inputs] == [[64, 64, 3]]
    expected = zoo.build_model("mobilenet_v3_small", include_top=False, input_shape=(64, 64, 3))
    assert window.document.analyse_now().total_params == expected.count_params()
    assert effective_preprocess(window.document.project)[0].preprocess_module == "mobilenet_v3"
    # random weights: no variables were made while opening; building initialises them
    assert all(n.weights is None for n in graph.nodes)
    from designer.core.build import build_model

    built = build_model(graph)
    assert built.count_params() == expected.count_params()
    assert np.isfinite(np.asarray(built(np.ones((1, 64, 64, 3), np.float32)))).all()


def test_settings_store_the_mirror_and_offline_switch(qtbot, page, tmp_path):
    dialog = page.show_settings()
    qtbot.waitUntil(dialog.isVisible)
    mirror = tmp_path / "mirror"
    qtbot.keyClicks(dialog.mirror, str(mirror))
    qtbot.mouseClick(dialog.offline, LEFT)
    dialog.accept()
    assert page.settings.value(KEY_MIRROR) == str(mirror)
    assert page.settings.value(KEY_OFFLINE) == "true"
    assert zoo.get_mirror() == str(mirror) and zoo_weights.is_offline()
    resnet = " | ".join(label.text() for label in page.tiles["resnet50"].lines)
    assert "ImageNet weights (from mirror)" in resnet
    zoo.set_mirror(None)
    StartPage(page.shell, page.settings).deleteLater()  # a new page applies stored settings
    assert zoo.get_mirror() == str(mirror)


def test_install_adds_the_menu_action_and_show_start_page(qtbot, window):
    action = window.gallery.action
    assert action in window.menu("&File").actions()
    assert action.shortcut().toString() == "Ctrl+Shift+N"
    action.trigger()
    pages = [w for w in window.findChildren(StartPage) if w.isVisible()]
    assert len(pages) == 1
    pages[0].reject()
    page = window.gallery.show_start_page()
    assert isinstance(page, StartPage) and page.isVisible()
    page.reject()


def test_missing_weights_can_be_loaded_from_a_file(qtbot, window, page, tmp_path):
    source = zoo.build_model("mobilenet_v3_small", include_top=False, input_shape=(32, 32, 3))
    kernel = source.get_layer("conv").get_weights()[0]
    source.get_layer("conv").set_weights([kernel + 0.5])  # recognisable values
    path = tmp_path / "mine.weights.h5"
    source.save_weights(path)
    ask_for_headless_weights(qtbot, page, 32)
    qtbot.mouseClick(page.weights_box.file_button, LEFT)
    qtbot.waitUntil(lambda: page.file_dialog is not None and page.file_dialog.isVisible())
    page.file_dialog.selectFile(str(path))
    page.file_dialog.accept()
    wait_opened(qtbot, window, "MobileNetV3Small")
    opened = weight_arrays(window.document.graph.find("conv").weights)[0]
    np.testing.assert_array_equal(opened, kernel + 0.5)


class _SlowServer:
    """Serves any path as 8 MB of zeros, 64 kB every 50 ms (a slow weights download)."""

    def __init__(self) -> None:
        import threading
        import time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                size, chunk = 8 << 20, 64 << 10
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                try:
                    for _ in range(size // chunk):
                        self.wfile.write(bytes(chunk))
                        time.sleep(0.05)
                except OSError:
                    pass  # the client cancelled

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = "http://{}:{}".format(*self.httpd.server_address[:2])

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_cancel_while_building_opens_nothing(qtbot, window, page, tmp_path):
    """Cancel during a (slow) weights download: nothing opens, nothing is cached."""
    import time

    from PySide6.QtWidgets import QProgressDialog, QPushButton

    server = _SlowServer()
    zoo.set_mirror(server.url)
    try:
        options = open_with_options(qtbot, page, "resnet50")
        assert options.weights.currentData() == PRETRAINED
        qtbot.mouseClick(options.buttons.button(OK), LEFT)
        assert not page.scroll.isEnabled()  # no second network while one is built
        progress = page.findChild(QProgressDialog)
        qtbot.waitUntil(progress.isVisible, timeout=30_000)
        qtbot.waitUntil(lambda: progress.value() > 0, timeout=30_000)  # downloading
        clicked = time.perf_counter()
        qtbot.mouseClick(progress.findChild(QPushButton), LEFT)
        qtbot.waitUntil(lambda: not window.tasks.busy, timeout=60_000)
        assert time.perf_counter() - clicked < 3  # the 6.4 s download stopped at once
        qtbot.waitUntil(page.scroll.isEnabled)
        assert window.document.project.name == "untitled" and page.isVisible()
        assert page.weights_box is None or not page.weights_box.isVisible()  # no "missing" question
        cache = tmp_path / "keras" / "models"
        assert not cache.exists() or not any(cache.iterdir())  # no partial file kept
    finally:
        server.close()


def test_unsaved_work_is_asked_about_before_anything_is_built(qtbot, window, page):
    from tests.ui.conftest import answer_next_message_box

    window.document.push(AddNode(window.document.graph, "Dense", (0.0, 0.0)))
    assert window.document.modified
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Cancel, seen)
    options = open_with_options(qtbot, page, "lenet5")
    qtbot.mouseClick(options.buttons.button(OK), LEFT)
    qtbot.waitUntil(lambda: bool(seen))
    assert "Save the changes" in seen[0]
    assert page._worker is None and page.isVisible()  # cancelled: nothing built, still here
    assert window.document.project.name == "untitled" and window.document.modified
    answer_next_message_box(QMessageBox.StandardButton.Discard, seen)
    options = open_with_options(qtbot, page, "lenet5")
    qtbot.mouseClick(options.buttons.button(OK), LEFT)
    wait_opened(qtbot, window, "LeNet-5")
    assert len(seen) == 2 and not window.document.modified  # asked once, before the build
