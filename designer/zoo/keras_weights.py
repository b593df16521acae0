"""Official ImageNet weights files of keras.applications: the same names, URLs and hashes.

File names are the names keras.applications caches under ~/.keras/models, so files a user
already downloaded with Keras are reused. Hashes are md5 (32 hex) or sha256 (64 hex), as
published in the keras.applications sources; MobileNet v1/v2 files have none published.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from designer.zoo.entry import WeightsFile

GCS = "https://storage.googleapis.com/tensorflow/keras-applications/"
GCS_EFFICIENTNET = "https://storage.googleapis.com/keras-applications/"

Chooser = Callable[..., "WeightsFile | None"]

# name -> (url folder, top file, top hash, no-top file, no-top hash)
_FIXED: dict[str, tuple[str, str, str, str, str]] = {
    "vgg16": (
        GCS + "vgg16/",
        "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        "64373286793e3c8b2b4e3219cbf3544b",
        "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "6d6bbae143d832006294945121d1f1fc",
    ),
    "vgg19": (
        GCS + "vgg19/",
        "vgg19_weights_tf_dim_ordering_tf_kernels.h5",
        "cbe5617147190e668d6c5d5026f83318",
        "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "253f8cb515780f3b799900260a226db6",
    ),
    "xception": (
        GCS + "xception/",
        "xception_weights_tf_dim_ordering_tf_kernels.h5",
        "0a58e3b7378bc2990ea3b43d5981f1f6",
        "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "b0042744bf5b25fce3cb969f33bebb97",
    ),
    "inception_v3": (
        GCS + "inception_v3/",
        "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
        "9a0d58056eeedaa3f26cb7ebd46da564",
        "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "bcbd6486424b2319ff4ef7d526e38f63",
    ),
    "inception_resnet_v2": (
        GCS + "inception_resnet_v2/",
        "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
        "e693bd0210a403b3192acc6073ad2e96",
        "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "d19885ff4a710c122648d3b5c3b684e4",
    ),
    "densenet121": (
        GCS + "densenet/",
        "densenet121_weights_tf_dim_ordering_tf_kernels.h5",
        "9d60b8095a5708f2dcce2bca79d332c7",
        "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "30ee3e1110167f948a6b9946edeeb738",
    ),
    "densenet169": (
        GCS + "densenet/",
        "densenet169_weights_tf_dim_ordering_tf_kernels.h5",
        "d699b8f76981ab1b30698df4c175e90b",
        "densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "b8c4d4c20dd625c148057b9ff1c1176b",
    ),
    "densenet201": (
        GCS + "densenet/",
        "densenet201_weights_tf_dim_ordering_tf_kernels.h5",
        "1ceb130c1ea1b78c3bf6114dbdfd8807",
        "densenet201_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "c13680b51ded0fb44dff2d8f86ac8bb1",
    ),
}

# NASNet: cached name differs from the file name in the URL.
_NASNET = {
    "nasnet_mobile": (
        ("nasnet_mobile.h5", "NASNet-mobile.h5", "020fb642bf7360b370c678b08e0adf61"),
        ("nasnet_mobile_no_top.h5", "NASNet-mobile-no-top.h5", "1ed92395b5b598bdda52abe5c0dbfd63"),
    ),
    "nasnet_large": (
        ("nasnet_large.h5", "NASNet-large.h5", "11577c9a518f0070763c2b964a382f17"),
        ("nasnet_large_no_top.h5", "NASNet-large-no-top.h5", "d81d89dc07e6e56530c4e77faddd61b5"),
    ),
}

# File stem -> (top hash, no-top hash); file = stem + "_weights_tf_dim_ordering_tf_kernels[_notop].h5"
RESNET_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
# Model name -> (top hash, no-top hash); file = name + ".h5" / "_notop.h5"
EFFICIENTNET_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}
EFFICIENTNET_V2_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}
CONVNEXT_HASHES = {
    "convnext_tiny": (
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
    ),
    "convnext_small": (
        "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
        "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab",
    ),
    "convnext_base": (
        "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
        "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45",
    ),
    "convnext_large": (
        "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
        "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd",
    ),
    "convnext_xlarge": (
        "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05",
    ),
}
MOBILENET_V3_HASHES = {
    "large_224_0.75_float": (
        "765b44a33ad4005b3ac83185abf1d0eb",
        "40af19a13ebea4e2ee0c676887f69a2e",
    ),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": (
        "675e7b876c45c57e9e63e6d90a36599c",
        "ec5221f64a2f6d1ef965a614bdae7973",
    ),
    "small_224_0.75_float": (
        "cb65d4e5be93758266aa0a7f2c6708b7",
        "ebdb5cc8e0b497cd13a7c275d475c819",
    ),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": (
        "99cd97fb2fcdad2bf028eb838de69e37",
        "cde8136e733e811080d9fcd8a252f7e4",
    ),
}


def fixed(key: str) -> Chooser:
    """Chooser for a network with one top and one no-top file (VGG, DenseNet, Inception...)."""
    folder, top, top_hash, notop, notop_hash = _FIXED[key]

    def choose(include_top: bool, input_shape: Any = None, **_: Any) -> WeightsFile:
        name, file_hash = (top, top_hash) if include_top else (notop, notop_hash)
        return WeightsFile(name, folder + name, file_hash)

    return choose


def nasnet(key: str) -> Chooser:
    """Chooser for NASNetMobile / NASNetLarge."""
    top, notop = _NASNET[key]

    def choose(include_top: bool, input_shape: Any = None, **_: Any) -> WeightsFile:
        cache_name, url_name, file_hash = top if include_top else notop
        return WeightsFile(cache_name, GCS + "nasnet/" + url_name, file_hash)

    return choose


def _suffixed(folder: str, stem: str, hashes: tuple[str, str], sep: str = "") -> Chooser:
    def choose(include_top: bool, input_shape: Any = None, **_: Any) -> WeightsFile:
        name = stem + (".h5" if include_top else "_notop.h5")
        return WeightsFile(name, folder + name, hashes[0] if include_top else hashes[1])

    return choose


def resnet(stem: str) -> Chooser:
    """Chooser for ResNet50/101/152 and their V2."""
    hashes = RESNET_HASHES[stem]
    return _suffixed(GCS + "resnet/", f"{stem}_weights_tf_dim_ordering_tf_kernels", hashes)


def efficientnet(variant: str) -> Chooser:
    """Chooser for EfficientNetB0..B7 (variant 'b0'..'b7')."""
    return _suffixed(GCS_EFFICIENTNET, f"efficientnet{variant}", EFFICIENTNET_HASHES[variant])


def efficientnet_v2(variant: str) -> Chooser:
    """Chooser for EfficientNetV2 (variant 'b0'..'b3', '-s', '-m', '-l')."""
    stem = f"efficientnetv2-{variant.lstrip('-')}"
    return _suffixed(GCS + "efficientnet_v2/", stem, EFFICIENTNET_V2_HASHES[variant])


def convnext(stem: str) -> Chooser:
    """Chooser for ConvNeXt Tiny..XLarge (stem 'convnext_tiny', ...)."""
    return _suffixed(GCS + "convnext/", stem, CONVNEXT_HASHES[stem])


def _rows(input_shape: Any, allowed: tuple[int, ...]) -> int:
    rows = input_shape[0] if input_shape and input_shape[0] else 224
    return rows if rows in allowed else 224  # keras.applications falls back to 224 too


def mobilenet(
    include_top: bool, input_shape: Any = None, alpha: float = 1.0, **_: Any
) -> WeightsFile | None:
    """MobileNet v1: one file per width (alpha) and input size; no published hash."""
    text = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}.get(float(alpha))
    if text is None:
        return None
    rows = _rows(input_shape, (128, 160, 192, 224))
    name = f"mobilenet_{text}_{rows}_tf" + (".h5" if include_top else "_no_top.h5")
    return WeightsFile(name, GCS + "mobilenet/" + name)


def mobilenet_v2(
    include_top: bool, input_shape: Any = None, alpha: float = 1.0, **_: Any
) -> WeightsFile | None:
    """MobileNet v2: one file per width (alpha) and input size; no published hash."""
    if float(alpha) not in (0.35, 0.5, 0.75, 1.0, 1.3, 1.4):
        return None
    rows = _rows(input_shape, (96, 128, 160, 192, 224))
    name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
    name += ".h5" if include_top else "_no_top.h5"
    return WeightsFile(name, GCS + "mobilenet_v2/" + name)


def mobilenet_v3(kind: str) -> Chooser:
    """MobileNet v3 Small/Large: files per alpha (0.75, 1.0) and minimalistic flag."""

    def choose(
        include_top: bool,
        input_shape: Any = None,
        alpha: float = 1.0,
        minimalistic: bool = False,
        **_: Any,
    ) -> WeightsFile | None:
        key = "{}{}_224_{}_float".format(
            kind, "_minimalistic" if minimalistic else "", float(alpha)
        )
        if key not in MOBILENET_V3_HASHES:
            return None
        top_hash, notop_hash = MOBILENET_V3_HASHES[key]
        name = f"weights_mobilenet_v3_{key}" + (".h5" if include_top else "_no_top_v2.h5")
        return WeightsFile(
            name, GCS + "mobilenet_v3/" + name, top_hash if include_top else notop_hash
        )

    return choose


def chooser(name: str) -> Chooser | None:
    """The weights chooser of the keras.applications zoo entry ``name``; None when unknown."""
    if name in _FIXED:
        return fixed(name)
    if name in _NASNET:
        return nasnet(name)
    if name in RESNET_HASHES:
        return resnet(name)
    if name in ("mobilenet", "mobilenet_v2"):
        return mobilenet if name == "mobilenet" else mobilenet_v2
    if name in ("mobilenet_v3_small", "mobilenet_v3_large"):
        return mobilenet_v3(name.rsplit("_", 1)[1])
    if name.startswith("efficientnet_v2_"):
        tag = name.rsplit("_", 1)[1]
        return efficientnet_v2(tag if tag in EFFICIENTNET_V2_HASHES else "-" + tag)
    if name.startswith("efficientnet_"):
        return efficientnet(name.rsplit("_", 1)[1])
    if name in CONVNEXT_HASHES:
        return convnext(name)
    return None
