"""Training > Train with the project's workers option above 1: local worker processes train
(MultiWorkerMirroredStrategy), the window shows the chief's curves and the number of workers,
and the weights the chief trained come back into the open project."""

from __future__ import annotations

from tests.fixtures import plain
from tests.ui.test_training_window import click_train, leaves_saved, sample, training_window


@leaves_saved
def test_two_workers_train_from_the_window(qtbot, window):
    project = sample(256, max_epochs=2, mini_batch_size=32, validation_frequency="epoch", workers=2)
    project.path = None  # unsaved: the workers train a snapshot of it as it is
    actions = training_window(window, project)
    with qtbot.waitSignal(window.document.modifiedChanged, timeout=120_000):
        progress = click_train(qtbot, window, actions)
        assert progress.windowTitle() == "Training Progress - 2 workers"
        assert progress.stop_button.isEnabled() and not progress.pause_button.isEnabled()
        qtbot.waitUntil(lambda: not progress.running, timeout=120_000)
    assert progress.result.status == "finished", progress.result.message
    assert "2 workers" in progress.info.text("hardware")  # the chief's plan
    assert progress.info.text("epoch") == "2 of 2"
    x, _ = progress.plots.loss_curve.raw.getData()  # the chief's iterations, replayed
    assert x is not None and len(x) >= 2
    vx, _ = progress.plots.metric_curve.val.getData()
    assert vx is not None and len(vx) == 2  # a validation point per epoch
    trained = window.document.project
    assert all(n.weights is not None for n in trained.graph.nodes if n.type in ("Conv2D", "Dense"))
    assert plain(trained, "results")["status"] == "finished"
    assert plain(trained, "training")["workers"] == 2
