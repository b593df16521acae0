"""Zoo entries of the classic architectures and of the bundled pretrained digits network."""

from __future__ import annotations

from designer.zoo.bundled import DIGITS_MODEL, build_digits_cnn
from designer.zoo.classic import (
    googlenet,
    lenet,
    resnet,
    segmentation,
    sequence,
    squeezenet,
    tiny_detector,
)
from designer.zoo.entry import Citation, ParamReference, ZooEntry

C = Citation
LECUN = C(
    "Y. LeCun, L. Bottou, Y. Bengio, P. Haffner",
    "Gradient-Based Learning Applied to Document Recognition",
    "Proceedings of the IEEE 86(11)",
    1998,
)
ALEXNET = C(
    "A. Krizhevsky, I. Sutskever, G. E. Hinton",
    "ImageNet Classification with Deep Convolutional Neural Networks",
    "NeurIPS 2012",
    2012,
)
GOOGLENET = C(
    "C. Szegedy et al.", "Going Deeper with Convolutions", "CVPR 2015 (arXiv:1409.4842)", 2014
)
RESNET = C(
    "K. He, X. Zhang, S. Ren, J. Sun",
    "Deep Residual Learning for Image Recognition",
    "CVPR 2016 (arXiv:1512.03385)",
    2015,
)
SQUEEZENET = C(
    "F. N. Iandola et al.",
    "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size",
    "arXiv:1602.07360",
    2016,
)
UNET = C(
    "O. Ronneberger, P. Fischer, T. Brox",
    "U-Net: Convolutional Networks for Biomedical Image Segmentation",
    "MICCAI 2015 (arXiv:1505.04597)",
    2015,
)
SEGNET = C(
    "V. Badrinarayanan, A. Kendall, R. Cipolla",
    "SegNet: A Deep Convolutional Encoder-Decoder Architecture for Image Segmentation",
    "IEEE TPAMI 39(12) 2017 (arXiv:1511.00561)",
    2015,
)
RETINANET = C(
    "T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollar",
    "Focal Loss for Dense Object Detection",
    "ICCV 2017 (arXiv:1708.02002)",
    2017,
)
LSTM = C("S. Hochreiter, J. Schmidhuber", "Long Short-Term Memory", "Neural Computation 9(8)", 1997)
GRU = C(
    "K. Cho et al.",
    "Learning Phrase Representations using RNN Encoder-Decoder for Statistical Machine Translation",
    "EMNLP 2014 (arXiv:1406.1078)",
    2014,
)
FCN = C(
    "Z. Wang, W. Yan, T. Oates",
    "Time Series Classification from Scratch with Deep Neural Networks: A Strong Baseline",
    "IJCNN 2017 (arXiv:1611.06455)",
    2017,
)
MATHWORKS_REGRESSION = C(
    "The MathWorks",
    "Train Convolutional Neural Network for Regression",
    "Deep Learning Toolbox documentation example",
    2017,
    "https://www.mathworks.com/help/deeplearning/ug/"
    "train-a-convolutional-neural-network-for-regression.html",
)
BUNDLED = C(
    "Network Designer",
    "Digits CNN trained on rendered DejaVu glyphs",
    "scripts/train_bundled.py",
    2026,
)

P = ParamReference


def classic_entries() -> list[ZooEntry]:
    """Entries for LeNet-5 ... the digit tilt regressor, and the bundled digits_cnn."""
    ic = "image classification"
    return [
        ZooEntry(
            "digits_cnn",
            "Digits CNN (pretrained)",
            "Bundled",
            ic,
            2026,
            BUNDLED,
            "Compact CNN trained on rendered digits; ships with the project, for transfer "
            "learning (digits -> letters) with no download.",
            (28, 28, 1),
            10,
            build_digits_cnn,
            P(
                130_890,
                "by construction: conv 320 + 18,496 + 36,928, "
                "dense 73,856 + 1,290 (resources/pretrained/digits_cnn.json)",
            ),
            bundled_weights=str(DIGITS_MODEL),
            tags=("pretrained", "digits", "bundled"),
        ),
        ZooEntry(
            "lenet5",
            "LeNet-5",
            "LeNet",
            ic,
            1998,
            LECUN,
            "Classic C1-S2-C3-S4-C5-F6-output digit classifier.",
            (28, 28, 1),
            10,
            lenet.build_lenet5,
            P(
                60_850,
                "LeCun et al. 1998, Sec. II.B: C1 156 + S2 12 + C3 1,516 + S4 32 + "
                "C5 48,120 + F6 10,164 + output 840 trainable parameters",
            ),
            notes="Modern variant: full C3 connections, parameter-free pooling, softmax "
            "output: 61,706 parameters (+1.4 %).",
        ),
        ZooEntry(
            "alexnet",
            "AlexNet",
            "AlexNet",
            ic,
            2012,
            ALEXNET,
            "Eight-layer ImageNet winner of 2012 (single-GPU variant, no grouping).",
            (227, 227, 3),
            1000,
            lenet.build_alexnet,
            P(
                62_378_344,
                "62.4M, the commonly cited count of the single-GPU AlexNet "
                "(Krizhevsky 2012 layer sizes without grouping)",
            ),
            notes="Option grouped=True builds the two-GPU paper net: 60,965,224 "
            "parameters (the paper's '60 million'). No LRN layers.",
        ),
        ZooEntry(
            "googlenet",
            "GoogLeNet (Inception v1)",
            "Inception",
            ic,
            2014,
            GOOGLENET,
            "22-layer network of nine inception modules (no auxiliary classifiers).",
            (224, 224, 3),
            1000,
            googlenet.build_googlenet,
            P(
                7_000_000,
                "MathWorks 'Pretrained Deep Neural Networks' table: 7.0M; the "
                "paper's Table 1 params column sums to about 6.8M",
            ),
            notes="No LRN layers; auxiliary classifiers left out.",
        ),
        ZooEntry(
            "resnet18",
            "ResNet-18",
            "ResNet",
            ic,
            2015,
            RESNET,
            "18-layer residual network of basic blocks (2-2-2-2).",
            (224, 224, 3),
            1000,
            resnet.build_resnet18,
            P(11_689_512, "torchvision resnet18 num_params (11.7M)"),
        ),
        ZooEntry(
            "resnet34",
            "ResNet-34",
            "ResNet",
            ic,
            2015,
            RESNET,
            "34-layer residual network of basic blocks (3-4-6-3).",
            (224, 224, 3),
            1000,
            resnet.build_resnet34,
            P(21_797_672, "torchvision resnet34 num_params (21.8M)"),
        ),
        ZooEntry(
            "squeezenet1_1",
            "SqueezeNet 1.1",
            "SqueezeNet",
            ic,
            2016,
            SQUEEZENET,
            "AlexNet-level accuracy with fire modules and 50x fewer parameters.",
            (224, 224, 3),
            1000,
            squeezenet.build_squeezenet11,
            P(1_235_496, "torchvision squeezenet1_1 num_params (1.24M)"),
        ),
        ZooEntry(
            "unet",
            "U-Net",
            "U-Net",
            "segmentation",
            2015,
            UNET,
            "Encoder-decoder with transposed convolutions and skip concatenations.",
            (256, 256, 1),
            2,
            segmentation.build_unet,
            P(
                31_030_658,
                "Ronneberger et al. 2015, Fig. 1 layer sizes (1 input channel, "
                "2 classes): 31.03M, the commonly cited count",
            ),
            notes="Options base_filters (64) and depth (4) make smaller U-Nets.",
        ),
        ZooEntry(
            "segnet",
            "SegNet",
            "SegNet",
            "segmentation",
            2015,
            SEGNET,
            "VGG16 encoder with a mirrored upsampling decoder (nearest upsampling in place "
            "of max-unpooling).",
            (224, 224, 3),
            12,
            segmentation.build_segnet,
            P(29_500_000, "Badrinarayanan et al. 2017, Table 6: 29.5M trainable parameters"),
        ),
        ZooEntry(
            "tiny_detector",
            "Tiny RetinaNet detector",
            "RetinaNet",
            "object detection",
            2017,
            RETINANET,
            "Small CNN backbone with a feature pyramid (P3-P5) and box and class heads; "
            "trains on a CPU (generated shapes: mAP@0.5 0.9 in 10 minutes).",
            (128, 128, 3),
            3,
            tiny_detector.build_tiny_detector,
            P(
                932_653,
                "by construction: backbone convs 249,264 + BN 1,792, feature pyramid 18,624 "
                "+ 110,784, heads 3 x 184,063 (3 classes, 9 anchors per location)",
            ),
            notes="Train it with designer.training.detector.GraphDetector (KerasHub anchors, "
            "label encoder, focal loss and NMS). Options fpn_filters, head_convs, "
            "head_filters, anchors_per_location.",
            tags=("detection", "retinanet", "cpu"),
        ),
        ZooEntry(
            "lstm_classifier",
            "LSTM sequence classifier",
            "Recurrent",
            "sequence",
            1997,
            LSTM,
            "LSTM (100 units) over a sequence of 12 features, 9 classes "
            "(MATLAB Japanese Vowels layout).",
            (None, 12),
            9,
            sequence.build_lstm_classifier,
            P(46_109, "4*100*(12+100+1) + 100*9+9, the LSTM and Dense parameter formulas"),
        ),
        ZooEntry(
            "gru_classifier",
            "GRU sequence classifier",
            "Recurrent",
            "sequence",
            2014,
            GRU,
            "GRU (100 units) over a sequence of 12 features, 9 classes.",
            (None, 12),
            9,
            sequence.build_gru_classifier,
            P(35_109, "3*(100*(12+100) + 2*100) + 100*9+9 (Keras GRU, reset_after=True)"),
        ),
        ZooEntry(
            "fcn_1d",
            "1-D CNN for time series (FCN)",
            "Temporal CNN",
            "sequence",
            2017,
            FCN,
            "Three Conv1D-BN-ReLU blocks and global average pooling.",
            (None, 1),
            2,
            sequence.build_fcn_1d,
            P(
                265_986,
                "Wang et al. 2017 layer sizes (1 channel, 2 classes): convs "
                "1,152 + 164,096 + 98,432, BN 2,048, dense 258",
            ),
        ),
        ZooEntry(
            "digit_tilt_regressor",
            "Digit tilt regression CNN",
            "Regression CNN",
            "regression",
            2017,
            MATHWORKS_REGRESSION,
            "Regresses the rotation angle of a 28x28 digit image.",
            (28, 28, 1),
            1,
            sequence.build_digit_tilt_regressor,
            P(
                17_057,
                "MathWorks example layer sizes: convs 80 + 1,168 + 4,640 + 9,248, "
                "BN 352, dense 1,569",
            ),
        ),
    ]
