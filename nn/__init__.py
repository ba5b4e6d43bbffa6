"""Neural-network building blocks (installed as tinygrad_edu.nn), built on the public engine only.

    from tinygrad_edu import nn
    import tinygrad_edu.nn.functional as F
"""

from . import functional, init, utils
from .layers import (ELU, GELU, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Embedding, Flatten, Identity, LayerNorm,
                     LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh)
from .pooling import AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
                     SmoothL1Loss)
from .containers import ModuleDict, ModuleList, Sequential
from .module import Module, Parameter

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict",
    "Identity", "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "Flatten", "BatchNorm1d", "BatchNorm2d", "LayerNorm",
    "Dropout", "Embedding", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "GELU", "ELU", "Softplus", "Softmax",
    "LogSoftmax", "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss",
]
