"""Every keras.applications family as zoo entries, with its paper, preprocessing and weights.

Reference parameter counts and ImageNet top-1 accuracies are those of the table at
https://keras.io/api/applications (rounded to 0.1 M there), unless the entry says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import designer.zoo.keras_weights as kw
from designer.zoo.entry import Citation, ParamReference, Preprocessing, ZooEntry

KERAS_TABLE = "keras.io/api/applications table (Parameters column)"

C = Citation
PAPERS = {
    "VGG": C(
        "K. Simonyan, A. Zisserman",
        "Very Deep Convolutional Networks for Large-Scale Image Recognition",
        "ICLR 2015 (arXiv:1409.1556)",
        2014,
    ),
    "ResNet": C(
        "K. He, X. Zhang, S. Ren, J. Sun",
        "Deep Residual Learning for Image Recognition",
        "CVPR 2016 (arXiv:1512.03385)",
        2015,
    ),
    "ResNetV2": C(
        "K. He, X. Zhang, S. Ren, J. Sun",
        "Identity Mappings in Deep Residual Networks",
        "ECCV 2016 (arXiv:1603.05027)",
        2016,
    ),
    "Inception": C(
        "C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens, Z. Wojna",
        "Rethinking the Inception Architecture for Computer Vision",
        "CVPR 2016 (arXiv:1512.00567)",
        2015,
    ),
    "InceptionResNet": C(
        "C. Szegedy, S. Ioffe, V. Vanhoucke, A. Alemi",
        "Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning",
        "AAAI 2017 (arXiv:1602.07261)",
        2016,
    ),
    "Xception": C(
        "F. Chollet",
        "Xception: Deep Learning with Depthwise Separable Convolutions",
        "CVPR 2017 (arXiv:1610.02357)",
        2016,
    ),
    "MobileNet": C(
        "A. G. Howard et al.",
        "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications",
        "arXiv:1704.04861",
        2017,
    ),
    "MobileNetV2": C(
        "M. Sandler, A. Howard, M. Zhu, A. Zhmoginov, L.-C. Chen",
        "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
        "CVPR 2018 (arXiv:1801.04381)",
        2018,
    ),
    "MobileNetV3": C(
        "A. Howard et al.", "Searching for MobileNetV3", "ICCV 2019 (arXiv:1905.02244)", 2019
    ),
    "DenseNet": C(
        "G. Huang, Z. Liu, L. van der Maaten, K. Q. Weinberger",
        "Densely Connected Convolutional Networks",
        "CVPR 2017 (arXiv:1608.06993)",
        2016,
    ),
    "NASNet": C(
        "B. Zoph, V. Vasudevan, J. Shlens, Q. V. Le",
        "Learning Transferable Architectures for Scalable Image Recognition",
        "CVPR 2018 (arXiv:1707.07012)",
        2017,
    ),
    "EfficientNet": C(
        "M. Tan, Q. V. Le",
        "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks",
        "ICML 2019 (arXiv:1905.11946)",
        2019,
    ),
    "EfficientNetV2": C(
        "M. Tan, Q. V. Le",
        "EfficientNetV2: Smaller Models and Faster Training",
        "ICML 2021 (arXiv:2104.00298)",
        2021,
    ),
    "ConvNeXt": C(
        "Z. Liu, H. Mao, C.-Y. Wu, C. Feichtenhofer, T. Darrell, S. Xie",
        "A ConvNet for the 2020s",
        "CVPR 2022 (arXiv:2201.03545)",
        2022,
    ),
}

PREP_TEXT = {
    "vgg16": "RGB->BGR, subtract ImageNet mean (caffe)",
    "vgg19": "RGB->BGR, subtract mean (caffe)",
    "resnet50": "RGB->BGR, subtract ImageNet mean (caffe)",
    "resnet": "RGB->BGR, subtract mean (caffe)",
    "resnet_v2": "scale to [-1, 1]",
    "inception_v3": "scale to [-1, 1]",
    "inception_resnet_v2": "scale to [-1, 1]",
    "xception": "scale to [-1, 1]",
    "mobilenet": "scale to [-1, 1]",
    "mobilenet_v2": "scale to [-1, 1]",
    "mobilenet_v3": "none: the model rescales [0, 255] inputs itself",
    "densenet": "scale to [0, 1], normalise by ImageNet mean/std (torch)",
    "nasnet": "scale to [-1, 1]",
    "efficientnet": "none: the model rescales [0, 255] inputs itself",
    "efficientnet_v2": "none: the model rescales [0, 255] inputs itself",
    "convnext": "none: the model normalises [0, 255] inputs itself",
}

# Families of several papers (any other paper is its own family).
FAMILY_OF_PAPER = {
    "ResNetV2": "ResNet",
    "InceptionResNet": "Inception",
    "Xception": "Inception",
    "MobileNetV2": "MobileNet",
    "MobileNetV3": "MobileNet",
}

# The keras.io/api/applications table: input size, ImageNet top-1 %, reference parameters
# (exact where known, else as rounded there), and the keras.applications preprocessing module.
_TABLE = """
name                function          paper           year size top1 params      preprocessing
vgg16               VGG16             VGG             2014 224  71.3 138_357_544 vgg16
vgg19               VGG19             VGG             2014 224  71.3 143_667_240 vgg19
resnet50            ResNet50          ResNet          2015 224  74.9 25.6e6      resnet50
resnet101           ResNet101         ResNet          2015 224  76.4 44.7e6      resnet
resnet152           ResNet152         ResNet          2015 224  76.6 60.4e6      resnet
resnet50v2          ResNet50V2        ResNetV2        2016 224  76.0 25.6e6      resnet_v2
resnet101v2         ResNet101V2       ResNetV2        2016 224  77.2 44.7e6      resnet_v2
resnet152v2         ResNet152V2       ResNetV2        2016 224  78.0 60.4e6      resnet_v2
inception_v3        InceptionV3       Inception       2015 299  77.9 23.9e6      inception_v3
inception_resnet_v2 InceptionResNetV2 InceptionResNet 2016 299  80.3 55.9e6      inception_resnet_v2
xception            Xception          Xception        2016 299  79.0 22.9e6      xception
mobilenet           MobileNet         MobileNet       2017 224  70.4 4.3e6       mobilenet
mobilenet_v2        MobileNetV2       MobileNetV2     2018 224  71.3 3.5e6       mobilenet_v2
mobilenet_v3_small  MobileNetV3Small  MobileNetV3     2019 224  68.1 2_542_856   mobilenet_v3
mobilenet_v3_large  MobileNetV3Large  MobileNetV3     2019 224  75.6 5_483_032   mobilenet_v3
densenet121         DenseNet121       DenseNet        2016 224  75.0 8.1e6       densenet
densenet169         DenseNet169       DenseNet        2016 224  76.2 14.3e6      densenet
densenet201         DenseNet201       DenseNet        2016 224  77.3 20.2e6      densenet
nasnet_mobile       NASNetMobile      NASNet          2017 224  74.4 5.3e6       nasnet
nasnet_large        NASNetLarge       NASNet          2017 331  82.5 88.9e6      nasnet
efficientnet_b0     EfficientNetB0    EfficientNet    2019 224  77.1 5.3e6       efficientnet
efficientnet_b1     EfficientNetB1    EfficientNet    2019 240  79.1 7.9e6       efficientnet
efficientnet_b2     EfficientNetB2    EfficientNet    2019 260  80.1 9.2e6       efficientnet
efficientnet_b3     EfficientNetB3    EfficientNet    2019 300  81.6 12.3e6      efficientnet
efficientnet_b4     EfficientNetB4    EfficientNet    2019 380  82.9 19.5e6      efficientnet
efficientnet_b5     EfficientNetB5    EfficientNet    2019 456  83.6 30.6e6      efficientnet
efficientnet_b6     EfficientNetB6    EfficientNet    2019 528  84.0 43.3e6      efficientnet
efficientnet_b7     EfficientNetB7    EfficientNet    2019 600  84.3 66.7e6      efficientnet
efficientnet_v2_b0  EfficientNetV2B0  EfficientNetV2  2021 224  78.7 7.2e6       efficientnet_v2
efficientnet_v2_b1  EfficientNetV2B1  EfficientNetV2  2021 240  79.8 8.2e6       efficientnet_v2
efficientnet_v2_b2  EfficientNetV2B2  EfficientNetV2  2021 260  80.5 10.2e6      efficientnet_v2
efficientnet_v2_b3  EfficientNetV2B3  EfficientNetV2  2021 300  82.0 14.5e6      efficientnet_v2
efficientnet_v2_s   EfficientNetV2S   EfficientNetV2  2021 384  83.9 21.6e6      efficientnet_v2
efficientnet_v2_m   EfficientNetV2M   EfficientNetV2  2021 480  85.3 54.4e6      efficientnet_v2
efficientnet_v2_l   EfficientNetV2L   EfficientNetV2  2021 480  85.7 119.0e6     efficientnet_v2
convnext_tiny       ConvNeXtTiny      ConvNeXt        2022 224  81.3 28.6e6      convnext
convnext_small      ConvNeXtSmall     ConvNeXt        2022 224  82.3 50.2e6      convnext
convnext_base       ConvNeXtBase      ConvNeXt        2022 224  85.3 88.5e6      convnext
convnext_large      ConvNeXtLarge     ConvNeXt        2022 224  86.3 197.7e6     convnext
convnext_xlarge     ConvNeXtXLarge    ConvNeXt        2022 224  86.7 350.1e6     convnext
"""


@dataclass(frozen=True)
class ApplicationSpec:
    """One row of the table above."""

    name: str
    function: str
    paper: str
    year: int
    size: int
    top1: float
    params: float
    prep: str


def application_specs() -> list[ApplicationSpec]:
    """The rows of the keras.applications table, in order (the header line skipped)."""
    rows = [line.split() for line in _TABLE.strip().splitlines()[1:]]
    return [
        ApplicationSpec(name, fn, paper, int(year), int(size), float(top1), float(params), prep)
        for name, fn, paper, year, size, top1, params, prep in rows
    ]


_SOURCE_OVERRIDES = {
    "vgg16": "Simonyan & Zisserman 2014 (138,357,544; same in keras.io table: 138.4M)",
    "vgg19": "Simonyan & Zisserman 2014 (143,667,240; same in keras.io table: 143.7M)",
    "mobilenet_v3_small": "torchvision MobileNet_V3_Small_Weights.IMAGENET1K_V1 num_params "
    "(keras docstring says 2.9M, the paper 2.5M)",
    "mobilenet_v3_large": "torchvision MobileNet_V3_Large_Weights.IMAGENET1K_V1 num_params "
    "(paper and keras docstring: 5.4M)",
}
_TOP1_SOURCE = {
    "mobilenet_v3_small": "keras mobilenet_v3 docstring",
    "mobilenet_v3_large": "keras mobilenet_v3 docstring",
}


def _builder(function_name: str, default_size: int):
    def build(input_shape=None, num_classes=1000, include_top=True, **options: Any):
        import keras

        fn = getattr(keras.applications, function_name)
        shape = tuple(input_shape) if input_shape else (default_size, default_size, 3)
        return fn(
            include_top=include_top,
            weights=None,
            input_shape=shape,
            classes=num_classes or 1000,
            **options,
        )

    build.__doc__ = f"Build keras.applications.{function_name} (random weights)."
    return build


def application_entries() -> list[ZooEntry]:
    """One ZooEntry per keras.applications network."""
    entries = []
    for spec in application_specs():
        name, fn, size, params = spec.name, spec.function, spec.size, spec.params
        source = _SOURCE_OVERRIDES.get(name, f"{KERAS_TABLE}: {params / 1e6:.1f}M")
        notes = f"ImageNet top-1 from {_TOP1_SOURCE.get(name, 'keras.io/api/applications')}."
        entries.append(
            ZooEntry(
                name=name,
                display_name=fn,
                family=FAMILY_OF_PAPER.get(spec.paper, spec.paper),
                task="image classification",
                year=spec.year,
                citation=PAPERS[spec.paper],
                description=f"{fn} from keras.applications, ImageNet weights available "
                f"({size}x{size} RGB input).",
                input_shape=(size, size, 3),
                num_classes=1000,
                builder=_builder(fn, size),
                reference_params=ParamReference(int(params), source),
                imagenet_top1=spec.top1,
                preprocessing=Preprocessing(spec.prep, (size, size), PREP_TEXT[spec.prep]),
                weights_chooser=kw.chooser(name),
                keras_application=fn,
                notes=notes,
                tags=("keras.applications", "imagenet"),
            )
        )
    return entries
