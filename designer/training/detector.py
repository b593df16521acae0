"""Training a detector drawn in the designer: the network comes from the graph (backbone,
feature pyramid and heads, designer.core.detection_head); the task machinery, as in
KerasHub's RetinaNetObjectDetector, comes from KerasHub.

- ``AnchorGenerator`` makes the anchors of levels P3..P5, each flattened as (row, column,
  anchor): the order of the heads' rows.
- ``RetinaNetLabelEncoder`` matches the ground-truth boxes to the anchors (IoU) and encodes
  them as ``center_xywh`` deltas; an anchor is positive, background (-1) or ignored (-2).
- The loss is KerasHub's: Huber on the box deltas of the positive anchors and binary focal
  cross-entropy on the class logits of all but the ignored anchors, both summed and divided
  by the number of positive anchors; they are logged apart as ``box_loss`` and
  ``class_loss`` (and ``val_...``).
- ``predict`` decodes the deltas against the anchors and keeps the best boxes with
  KerasHub's ``NonMaxSuppression`` (on TensorFlow its padded NMS: :func:`graph_safe_nms`): ``{"boxes", "confidence", "labels", "num_detections"}``,
  boxes in pixels in ``bounding_box_format`` (padding rows: -1).

Data: ``x`` images (batch, height, width, channels) as the network expects them (0..1 for
the tiny detector); ``y`` ``{"boxes": (batch, max_boxes, 4), "labels": (batch, max_boxes)}``
with boxes in pixels and padding rows of -1.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from designer.training.detector_spec import (  # re-exported: the detector's settings
    BOX_OUTPUT,
    CLASS_OUTPUT,
    FORMATS,
    DetectorSpec,
    DetectorSpecError,
)

__all__ = [
    "BOX_OUTPUT",
    "CLASS_OUTPUT",
    "FORMATS",
    "DetectorError",
    "DetectorSpec",
    "DetectorSpecError",
    "GraphDetector",
    "detection_batches",
]

_MAX_LOG_SCALE = math.log(1000.0 / 16)  # torchvision's clamp of the size deltas before exp


class DetectorError(ValueError):
    """A network that does not fit its detector settings (the message says how)."""


def _named_outputs(network: keras.Model) -> keras.Model:
    """``network`` with a dict of the two outputs (box deltas first, as the graph orders
    them), whatever the names of its last layers."""
    outputs = network.outputs
    if isinstance(network.output, dict) and set(network.output) == {BOX_OUTPUT, CLASS_OUTPUT}:
        return network
    if len(outputs) != 2:
        raise DetectorError(
            f"a detector expects a network with two outputs ({BOX_OUTPUT}, {CLASS_OUTPUT}); "
            f"'{network.name}' has {len(outputs)}"
        )
    names = list(getattr(network, "output_names", None) or [])
    if sorted(names) == sorted([BOX_OUTPUT, CLASS_OUTPUT]):
        pairs = dict(zip(names, outputs, strict=True))
    else:
        pairs = {BOX_OUTPUT: outputs[0], CLASS_OUTPUT: outputs[1]}
    return keras.Model(network.inputs, pairs, name=network.name)


def _force_matching(matcher: Any) -> Any:
    """KerasHub's box matcher, plus: every ground-truth box is the match of its best anchor
    (however low their IoU), so that small boxes between anchor centres are learnt too.

    KerasHub's own ``force_match_for_each_col`` also forces its padding column (it appends a
    column of -1 before the argmax), whose index is out of range for the gather that follows
    (an InvalidArgumentError on TensorFlow); padding boxes (IoU 0 with every anchor) are
    skipped here as well.
    """
    from keras_hub.src.layers.modeling.box_matcher import BoxMatcher

    class ForceMatcher(BoxMatcher):
        def call(self, similarity_matrix: Any) -> Any:
            columns, values = super().call(similarity_matrix)
            rows = ops.shape(similarity_matrix)[1]
            best = ops.argmax(similarity_matrix, axis=1)  # (batch, boxes): the best anchor
            real = ops.cast(ops.greater(ops.max(similarity_matrix, axis=1), 0.0), "float32")
            chosen = ops.one_hot(best, rows) * real[..., None]  # (batch, boxes, anchors)
            forced = ops.greater(ops.max(chosen, axis=1), 0.0)  # (batch, anchors)
            columns = ops.where(
                forced, ops.cast(ops.argmax(chosen, axis=1), columns.dtype), columns
            )
            values = ops.where(forced, ops.cast(self.match_values[-1], values.dtype), values)
            return columns, values

    return ForceMatcher(
        thresholds=list(matcher.thresholds[1:-1]),
        match_values=list(matcher.match_values),
        force_match_for_each_col=False,
    )


def graph_safe_nms(**settings: Any) -> Any:
    """KerasHub's NonMaxSuppression layer with ``settings``; on TensorFlow it runs
    TensorFlow's own ``non_max_suppression_padded``, the code KerasHub ported.

    The port picks each 512-box tile's boxes with ``cast(linspace(...), int32)``; traced (as
    in ``predict``, the mAP callback or a SavedModel) on TensorFlow 2.21, linspace gives
    64.99999 for 65 and so on, and the candidates ranked 65, 69, 73, ... by score (48 of the
    first 512) are never kept. Eagerly it is right; other backends keep KerasHub's layer."""
    import keras_hub

    if keras.backend.backend() != "tensorflow":
        return keras_hub.layers.NonMaxSuppression(**settings)
    import tensorflow as tf
    from keras_hub.src.layers.modeling.non_max_supression import mask_invalid_detections

    class PaddedNonMaxSuppression(keras_hub.layers.NonMaxSuppression):
        def call(self, box_prediction: Any, class_prediction: Any, images: Any = None) -> Any:
            del images
            boxes = keras.utils.bounding_boxes.convert_format(
                box_prediction, source=self.bounding_box_format, target="yxyx"
            )
            probs = ops.sigmoid(class_prediction) if self.from_logits else class_prediction
            confidence = ops.max(probs, axis=-1)
            idx, valid = tf.image.non_max_suppression_padded(
                boxes,
                confidence,
                self.max_detections,
                iou_threshold=self.iou_threshold,
                score_threshold=self.confidence_threshold,
                pad_to_max_output_size=True,
                canonicalized_coordinates=True,
            )
            boxes = ops.take_along_axis(boxes, idx[..., None], axis=1)
            found = {
                "boxes": keras.utils.bounding_boxes.convert_format(
                    boxes, source="yxyx", target=self.bounding_box_format
                ),
                "confidence": ops.take_along_axis(confidence, idx, axis=1),
                "labels": ops.argmax(ops.take_along_axis(probs, idx[..., None], axis=1), axis=-1),
                "num_detections": valid,
            }
            return mask_invalid_detections(found)

    return PaddedNonMaxSuppression(**settings)


@keras.saving.register_keras_serializable(package="designer")
class GraphDetector(keras.Model):
    """A RetinaNet-style detector around a functional network drawn in the designer."""

    def __init__(self, network: keras.Model, spec: DetectorSpec | dict[str, Any], **kwargs: Any):
        super().__init__(**kwargs)
        import keras_hub  # lazy: KerasHub loads TensorFlow text ops and much else
        from keras_hub.src.models.retinanet.retinanet_label_encoder import (
            RetinaNetLabelEncoder,
        )

        self.spec = spec if isinstance(spec, DetectorSpec) else DetectorSpec.from_dict(spec)
        self.network = _named_outputs(network)
        self._check_network()
        s = self.spec
        self.anchor_generator = keras_hub.layers.AnchorGenerator(
            s.bounding_box_format,
            min_level=s.min_level,
            max_level=s.max_level,
            num_scales=s.num_scales,
            aspect_ratios=list(s.aspect_ratios),
            anchor_size=s.anchor_size,
        )
        self.label_encoder = RetinaNetLabelEncoder(
            self.anchor_generator,
            bounding_box_format=s.bounding_box_format,
            encoding_format="center_xywh",
            positive_threshold=s.positive_threshold,
            negative_threshold=s.negative_threshold,
            box_variance=list(s.box_variance),
        )
        if s.force_match:
            self.label_encoder.box_matcher = _force_matching(self.label_encoder.box_matcher)
        self.prediction_decoder = graph_safe_nms(
            bounding_box_format=s.bounding_box_format,
            from_logits=True,
            iou_threshold=s.iou_threshold,
            confidence_threshold=s.score_threshold,
            max_detections=s.max_detections,
        )
        self.box_loss_tracker = keras.metrics.Mean(name="box_loss")
        self.class_loss_tracker = keras.metrics.Mean(name="class_loss")
        self.box_loss_fn: Any = keras.losses.Huber(reduction="sum")
        self.class_loss_fn: Any = keras.losses.BinaryFocalCrossentropy(
            from_logits=True, reduction="sum"
        )
        self.built = True

    @classmethod
    def from_graph(cls, graph: Any, spec: DetectorSpec, **kwargs: Any) -> GraphDetector:
        """Build the designer graph (designer.core.build.build_model) and wrap it."""
        from designer.core.build import build_model

        return cls(build_model(graph), spec, name=kwargs.pop("name", "detector"), **kwargs)

    def _check_network(self) -> None:
        s = self.spec
        shape = tuple(self.network.inputs[0].shape[1:3])
        if shape != s.image_size:
            raise DetectorError(
                f"the detector settings expect {s.image_size[0]}x{s.image_size[1]} images; "
                f"the network takes {shape[0]}x{shape[1]}"
            )
        box, cls = (self.network.output[k] for k in (BOX_OUTPUT, CLASS_OUTPUT))
        rows = s.num_anchors()
        if tuple(box.shape[1:]) != (rows, 4) or tuple(cls.shape[1:]) != (rows, s.num_classes):
            raise DetectorError(
                f"{s.anchors_per_location} anchors per location on levels P{s.min_level}.."
                f"P{s.max_level} expect outputs of {rows} rows of 4 (boxes) and of "
                f"{s.num_classes} (classes); the network gives {tuple(box.shape[1:])} and "
                f"{tuple(cls.shape[1:])}"
            )

    # ------------------------------------------------------------------ keras hooks
    def call(self, inputs: Any, training: bool | None = None) -> dict[str, Any]:
        return self.network(inputs, training=training)

    def compile(
        self,
        optimizer: Any = "adam",
        box_loss: Any = "auto",
        classification_loss: Any = "auto",
        loss: Any = None,
        **kwargs: Any,
    ) -> None:
        """Compile with KerasHub's detection losses (``loss`` is ignored: the losses are
        Huber for boxes and binary focal cross-entropy for classes unless given)."""
        del loss
        if box_loss != "auto":
            self.box_loss_fn = keras.losses.get(box_loss)
        if classification_loss != "auto":
            self.class_loss_fn = keras.losses.get(classification_loss)
        kwargs.pop("metrics", None)  # detection metrics are callbacks (detection_metrics)
        super().compile(optimizer=optimizer, **kwargs)

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Compile again after loading (the optimizer and its state come back too)."""
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None:
            self.optimizer.build(self.trainable_variables)

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        del sample_weight, training
        boxes, labels = self.label_encoder(
            images=x,
            gt_boxes=ops.cast(y["boxes"], "float32"),
            gt_classes=ops.cast(y["labels"], "float32"),
        )
        cls_labels = ops.one_hot(ops.cast(labels, "int32"), self.spec.num_classes)
        positive = ops.cast(ops.greater(labels, -1.0), "float32")
        normalizer = ops.sum(positive)
        any_positive = ops.cast(ops.greater(normalizer, 0.0), "float32")
        scale = any_positive / ops.maximum(normalizer, 1.0)  # KerasHub: no positives, no loss
        cls_weights = ops.cast(ops.not_equal(labels, -2.0), "float32") * scale
        box_weights = positive * scale
        box_loss = self.box_loss_fn(boxes, y_pred[BOX_OUTPUT], sample_weight=box_weights)
        class_loss = self.class_loss_fn(cls_labels, y_pred[CLASS_OUTPUT], sample_weight=cls_weights)
        self.box_loss_tracker.update_state(box_loss)
        self.class_loss_tracker.update_state(class_loss)
        total = box_loss + class_loss
        for extra in self.losses:  # weight regularisers of the network's layers
            total = total + self._aggregate_additional_loss(extra)
        return total

    def predict_step(self, data: Any) -> dict[str, Any]:
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self.decode_predictions(self(x, training=False), x)

    def decode_predictions(self, predictions: dict[str, Any], images: Any) -> dict[str, Any]:
        """Box deltas and class logits -> the best boxes after non-max suppression."""
        fmt = self.spec.bounding_box_format
        height, width = self.spec.image_size
        anchors = ops.concatenate(list(self.anchor_generator(images).values()), axis=0)
        deltas = predictions[BOX_OUTPUT] * ops.convert_to_tensor(self.spec.box_variance)
        deltas = ops.concatenate(
            [deltas[..., :2], ops.minimum(deltas[..., 2:], _MAX_LOG_SCALE)], axis=-1
        )
        boxes = keras.utils.bounding_boxes.decode_deltas_to_boxes(
            anchors=anchors,
            boxes_delta=deltas,
            anchor_format=fmt,
            box_format=fmt,
            encoded_format="center_xywh",
            image_shape=(height, width, 3),
        )
        if fmt in ("xyxy", "yxyx"):  # keep the boxes inside the image
            limits = [width, height, width, height] if fmt == "xyxy" else [height, width] * 2
            boxes = ops.clip(boxes, 0.0, ops.convert_to_tensor(limits, "float32"))
        logits = predictions[CLASS_OUTPUT]
        if boxes.shape[0] is not None:
            return self.prediction_decoder(boxes, logits)

        # KerasHub's NMS needs a known batch size (predict_on_batch traces without one):
        # then each image goes alone
        def one(pair: tuple[Any, Any]) -> dict[str, Any]:
            found = self.prediction_decoder(pair[0][None], pair[1][None])
            return {key: value[0] for key, value in found.items()}

        return ops.map(one, (boxes, logits))

    # ------------------------------------------------------------------ saving
    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "network": keras.saving.serialize_keras_object(self.network),
            "spec": self.spec.to_dict(),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> GraphDetector:
        config = dict(config)
        network = keras.saving.deserialize_keras_object(config.pop("network"))
        spec = DetectorSpec.from_dict(config.pop("spec"))
        return cls(network, spec, **config)


def detection_batches(
    images: Any, boxes: list[Any], labels: list[Any], max_boxes: int | None = None
) -> tuple[Any, dict[str, Any]]:
    """Arrays for ``fit``: images as they are, boxes and labels padded with -1 to
    ``max_boxes`` rows (the most boxes of any image by default)."""
    import numpy as np

    most = max_boxes if max_boxes is not None else max((len(b) for b in boxes), default=1)
    most = max(most, 1)
    out_boxes = -np.ones((len(boxes), most, 4), "float32")
    out_labels = -np.ones((len(boxes), most), "float32")
    for i, (b, lab) in enumerate(zip(boxes, labels, strict=True)):
        n = min(len(b), most)
        if n:
            out_boxes[i, :n] = np.asarray(b, "float32")[:n]
            out_labels[i, :n] = np.asarray(lab, "float32")[:n]
    return images, {"boxes": out_boxes, "labels": out_labels}
