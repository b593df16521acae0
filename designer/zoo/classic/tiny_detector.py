"""A tiny RetinaNet-style detector that trains on a laptop CPU: a small CNN backbone
(Conv2D-BatchNorm-ReLU stages with max-pooling, reaching strides 8, 16 and 32) with the
designer's feature pyramid and prediction heads (designer.core.detection_head).

After T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollar, "Focal Loss for Dense Object
Detection", ICCV 2017 (arXiv:1708.02002), scaled down for 128x128 images of simple shapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from designer.core.detection_head import (
    BACKBONE_GROUP,
    DetectionHead,
    add_detection_head,
    find_feature_nodes,
)
from designer.core.graph import LayerGraph

if TYPE_CHECKING:
    import keras

# (filters, convolutions) per stage; every stage after the first starts with a 2x2 max-pool
TINY_STAGES = ((16, 1), (32, 1), (48, 1), (64, 2), (96, 1), (128, 1))
TINY_INPUT = (128, 128, 3)


def tiny_backbone_graph(
    input_shape: tuple[int, ...] | None = None,
    stages: tuple[tuple[int, int], ...] = TINY_STAGES,
    bn_momentum: float = 0.9,
) -> LayerGraph:
    """The backbone alone as a graph: stage k ends at stride 2**k (group ``backbone``).

    Batch normalisation's moving statistics follow at momentum 0.9 (Keras: 0.99) so that
    they are usable after the few hundred steps of a short CPU run."""
    graph = LayerGraph()
    graph.name = "tiny_detector"
    shape = tuple(input_shape or TINY_INPUT)
    with graph.batch():
        src = graph.add("Input", "image", shape=list(shape))
        y = 0.0
        for s, (filters, convs) in enumerate(stages, start=1):
            chain: list[tuple[str, str, dict[str, Any]]] = []
            if s > 1:
                chain.append(("MaxPooling2D", f"stage{s}_pool", {"pool_size": 2}))
            for c in range(1, convs + 1):
                chain += [
                    (
                        "Conv2D",
                        f"stage{s}_conv{c}",
                        {
                            "filters": filters,
                            "kernel_size": 3,
                            "padding": "same",
                            "use_bias": False,
                        },
                    ),
                    ("BatchNormalization", f"stage{s}_bn{c}", {"momentum": bn_momentum}),
                    ("ReLU", f"stage{s}_relu{c}", {}),
                ]
            for type_name, name, params in chain:
                y += 90.0
                nid = graph.add(type_name, name, (0.0, y), params=params)
                graph.node(nid).group = BACKBONE_GROUP  # observers hear of it after the batch
                graph.connect(src, nid)
                src = nid
    return graph


def build_tiny_detector_graph(
    input_shape: tuple[int, ...] | None = None,
    num_classes: int = 3,
    stages: tuple[tuple[int, int], ...] = TINY_STAGES,
    bn_momentum: float = 0.9,
    **head: Any,
) -> tuple[LayerGraph, DetectionHead]:
    """The whole detector as a graph (backbone, feature_pyramid and heads groups) and what
    the head added; ``head`` options go to add_detection_head (fpn_filters, head_convs,
    head_filters, anchors_per_location, prior_probability)."""
    graph = tiny_backbone_graph(input_shape, stages, bn_momentum)
    features = find_feature_nodes(graph)
    return graph, add_detection_head(graph, features, num_classes, **head)


def build_tiny_detector(
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    include_top: bool = True,
    fpn_filters: int = 64,
    head_convs: int = 2,
    head_filters: int = 64,
    anchors_per_location: int = 9,
) -> keras.Model:
    """The zoo builder: the detector as a keras.Model with outputs ``bbox_regression``
    (anchors x 4) and ``cls_logits`` (anchors x classes); without the top, the backbone."""
    from designer.core.build import build_model  # lazy: keras loads on first build

    if not include_top:
        return build_model(tiny_backbone_graph(input_shape))
    graph, _ = build_tiny_detector_graph(
        input_shape,
        num_classes or 3,
        fpn_filters=fpn_filters,
        head_convs=head_convs,
        head_filters=head_filters,
        anchors_per_location=anchors_per_location,
    )
    return build_model(graph)
