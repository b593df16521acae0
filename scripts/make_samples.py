"""Write the bundled sample projects in designer/resources/samples/ (run after changing them).

python scripts/make_samples.py
"""

from __future__ import annotations

from pathlib import Path

from designer.app.project import Project, save_project
from designer.core.graph import LayerGraph
from designer.core.layout import auto_layout

SAMPLES = Path(__file__).resolve().parent.parent / "designer" / "resources" / "samples"


def lenet5() -> Project:
    """LeNet-5 (LeCun et al. 1998) for 28x28 grey digits, as taught in the course."""
    g = LayerGraph()
    g.name = "lenet5"
    chain = [
        g.add("Input", "input", shape=[28, 28, 1]),
        g.add("Conv2D", "c1", filters=6, kernel_size=[5, 5], padding="same", activation="tanh"),
        g.add("AveragePooling2D", "s2", pool_size=[2, 2]),
        g.add("Conv2D", "c3", filters=16, kernel_size=[5, 5], activation="tanh"),
        g.add("AveragePooling2D", "s4", pool_size=[2, 2]),
        g.add("Flatten", "flatten"),
        g.add("Dense", "f5", units=120, activation="tanh"),
        g.add("Dense", "f6", units=84, activation="tanh"),
        g.add("Dense", "output", units=10, activation="softmax"),
    ]
    for src, dst in zip(chain, chain[1:], strict=False):
        g.connect(src, dst)
    auto_layout(g)
    # The sections' layout: designer.app.settings.
    return Project.from_sections(
        g,
        "LeNet-5 digits",
        data={
            "source": {"kind": "synthetic", "charset": "digits", "num_samples": 6000, "seed": 0},
            "split": {"mode": "percent", "validation_percent": 20.0, "seed": 0},
        },
        training={
            "solver": "adam",
            "initial_learn_rate": 0.001,
            "mini_batch_size": 64,
            "max_epochs": 5,
        },
    )


if __name__ == "__main__":
    SAMPLES.mkdir(parents=True, exist_ok=True)
    path = save_project(lenet5(), SAMPLES / "lenet5.json")
    print(f"wrote {path}")
