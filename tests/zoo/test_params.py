"""Every zoo entry builds and matches its published parameter count (within 2 %).

References (also stored on each entry): keras.io/api/applications table for the
keras.applications networks (VGG16 138,357,544 and VGG19 143,667,240 exactly), torchvision
num_params for ResNet-18 (11,689,512), ResNet-34 (21,797,672), SqueezeNet 1.1 (1,235,496)
and MobileNetV3 Small/Large (2,542,856 / 5,483,032), LeCun 1998 for LeNet-5 (60,850),
the single-GPU AlexNet count 62,378,344, MathWorks' 7.0M for GoogLeNet, 31,030,658 for U-Net,
29.5M (SegNet paper, Table 6), parameter formulas for the small sequence/regression nets.
Big networks are built inside StatelessScope, which allocates no weights.
"""

from __future__ import annotations

import pytest

from designer.zoo import list_entries
from designer.zoo.stats import _table, compute_stats

ENTRIES = [e.name for e in list_entries()]


def test_registry_has_all_families():
    expected = {
        "lenet5",
        "alexnet",
        "vgg16",
        "vgg19",
        "googlenet",
        "resnet18",
        "resnet34",
        "squeezenet1_1",
        "unet",
        "segnet",
        "lstm_classifier",
        "gru_classifier",
        "fcn_1d",
        "digit_tilt_regressor",
        "digits_cnn",
        "resnet50",
        "resnet101",
        "resnet152",
        "resnet50v2",
        "resnet101v2",
        "resnet152v2",
        "inception_v3",
        "inception_resnet_v2",
        "xception",
        "mobilenet",
        "mobilenet_v2",
        "mobilenet_v3_small",
        "mobilenet_v3_large",
        "densenet121",
        "densenet169",
        "densenet201",
        "nasnet_mobile",
        "nasnet_large",
        "convnext_tiny",
        "convnext_small",
        "convnext_base",
        "convnext_large",
        "convnext_xlarge",
    }
    expected |= {f"efficientnet_b{i}" for i in range(8)}
    expected |= {f"efficientnet_v2_{t}" for t in ("b0", "b1", "b2", "b3", "s", "m", "l")}
    assert expected <= set(ENTRIES)


@pytest.mark.slow
@pytest.mark.parametrize("name", ENTRIES)
def test_entry_builds_and_matches_reference_params(name):
    from designer.zoo import get_entry

    entry = get_entry(name)
    stats = compute_stats(name)
    ref = entry.reference_params
    assert ref is not None, f"{name} has no reference parameter count"
    assert abs(stats.params - ref.count) <= ref.tolerance * ref.count, (
        f"{name}: {stats.params:,} parameters, reference {ref.count:,} ({ref.source})"
    )
    # The shipped tile table must agree with a fresh build.
    row = _table()[name]
    assert row["params"] == stats.params and row["weighted_layers"] == stats.weighted_layers
    assert tuple(row["input_shape"]) == stats.input_shape == tuple(entry.input_shape)


def test_exact_counts_of_hand_checked_networks():
    # Layer-by-layer arithmetic done by hand, independent of Keras.
    assert compute_stats("lenet5").params == 156 + 2_416 + 48_120 + 10_164 + 850
    assert compute_stats("vgg16").params == 138_357_544
    assert compute_stats("vgg19").params == 143_667_240
    assert compute_stats("squeezenet1_1").params == 1_235_496
    assert compute_stats("resnet18").trainable_params == 11_689_512
    assert compute_stats("resnet34").trainable_params == 21_797_672
    assert compute_stats("lstm_classifier").params == 4 * 100 * (12 + 100 + 1) + 909
