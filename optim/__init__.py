"""Optimizers and learning-rate schedulers (installed as tinygrad_edu.optim), built on the public engine only.

Update rules, defaults, argument order and state-dict layouts follow `torch.optim`.
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "lr_scheduler"]
