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


def shapes_detector() -> Project:
    """The zoo's tiny detector on generated shapes (circles, squares, triangles), with the
    settings of benchmarks/detection.py: 2,200 images, 200 of them for validation."""
    from designer.core.detection_head import tag_detection_groups
    from designer.zoo.classic.tiny_detector import build_tiny_detector_graph

    g, _ = build_tiny_detector_graph((128, 128, 3), 3)
    g.name = "tiny_detector"
    tag_detection_groups(g)
    auto_layout(g)
    return Project.from_sections(
        g,
        "Shapes detector",
        data={
            "source": {"kind": "shapes", "images": 2200, "seed": 0},
            "split": {"mode": "percent", "validation_percent": 9.1, "seed": 0},
        },
        augmentation={"flip_x": True, "fill_mode": "constant"},
        training={
            "solver": "adam",
            "initial_learn_rate": 0.002,
            "gradient_clipping": "norm",
            "gradient_threshold": 10.0,
            "l2_regularization": 0.0,
            "weight_decay": 0.0,
            "mini_batch_size": 16,
            "max_epochs": 12,
            "shuffle": "every-epoch",
            "seed": 0,
        },
    )


SAMPLE_FILES = {"lenet5.json": lenet5, "shapes_detector.json": shapes_detector}

if __name__ == "__main__":
    SAMPLES.mkdir(parents=True, exist_ok=True)
    for name, make in SAMPLE_FILES.items():
        path = save_project(make(), SAMPLES / name)
        print(f"wrote {path}")
