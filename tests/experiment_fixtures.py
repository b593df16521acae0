"""A tiny experiment on the sample project: LeNet-5 with a Dropout layer, 120 digits,
one epoch per trial, varying the learning rate and the dropout rate."""

from __future__ import annotations

import json
from pathlib import Path

from designer.app.project import load_project, save_project
from tests.fixtures import edit_sections

SAMPLE = Path(__file__).resolve().parents[1] / "designer" / "resources" / "samples" / "lenet5.json"

SPACE = {
    "parameters": [
        {"target": "training.initial_learn_rate", "kind": "list", "values": [0.003, 0.03]},
        {"target": "layer.drop.rate", "kind": "list", "values": [0.0, 0.4]},
    ],
    "strategy": "grid",
    "trials": 4,
    "objective": "val_accuracy",
    "epochs": 1,
}


def dropout_project(
    tmp_path: Path, samples: int = 120, space: dict | None = None, name: str = "tiny.json"
) -> Path:
    """The sample with a Dropout 'drop' between f5 and f6 and little data, saved as ``name``
    (with ``space`` as its experiment section)."""
    project = load_project(SAMPLE)
    edit_sections(
        project,
        data={"source": {"num_samples": samples}},
        training={"max_epochs": 1, "mini_batch_size": 32},
    )
    graph = project.graph
    f5, f6 = graph.find("f5"), graph.find("f6")
    graph.disconnect(f5.id, f6.id, 0)
    drop = graph.add("Dropout", name="drop", rate=0.2)
    graph.connect(f5.id, drop)
    graph.connect(drop, f6.id)
    if space is not None:
        edit_sections(project, experiment=space)
    return save_project(project, tmp_path / name)


def write_space(tmp_path: Path, **changes) -> Path:
    """SPACE (with ``changes``) as a space file."""
    path = tmp_path / "space.json"
    path.write_text(json.dumps({**SPACE, **changes}), encoding="utf-8")
    return path
