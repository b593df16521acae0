"""Insight: why a network answers as it does, and what it costs. No Qt.

Explanations of image models (Grad-CAM, occlusion sensitivity, gradient saliency), feature
maps of a layer, adversarial robustness (FGSM, PGD) and a compression report (int8
quantisation, magnitude pruning). Each module works on a ``keras.Model`` and plain arrays;
the GUI (``designer/ui/insight``) and the CLI (``explain``, ``robustness``) call them.
"""
