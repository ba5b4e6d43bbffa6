"""The built-in models of `tinygrad-edu graph`: each returns the keyword arguments of `draw_graph`
(the roots plus the options that suit it)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import tinygrad_edu as tg


def _classifier_loss(model: Any, x: tg.Tensor, classes: int) -> dict[str, Any]:
    """Run `model` on `x` inside `trace_modules` (exact clusters) and return its cross-entropy loss."""
    from . import nn
    from .graph import trace_modules

    target = tg.tensor(np.arange(x.shape[0]) % classes)
    with trace_modules(model) as trace:
        loss = nn.CrossEntropyLoss()(model(x), target)
    loss.name = "loss"
    return {"roots": loss, "module": model, "trace": trace}


def mlp() -> dict[str, Any]:
    """A 2-layer MLP (2 -> 16 -> 3, ReLU) with its cross-entropy loss on 8 random points."""
    from . import nn

    class MLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(2, 16)
            self.act = nn.ReLU()
            self.fc2 = nn.Linear(16, 3)

        def forward(self, x: tg.Tensor) -> tg.Tensor:
            return self.fc2(self.act(self.fc1(x)))

    tg.manual_seed(0)
    return _classifier_loss(MLP(), tg.randn(8, 2, name="x"), 3)


def cnn() -> dict[str, Any]:
    """A small CNN (conv 3x3 -> ReLU -> max-pool -> flatten -> linear) on two 8x8 images."""
    from . import nn

    class CNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
            self.act = nn.ReLU()
            self.pool = nn.MaxPool2d(2)
            self.flatten = nn.Flatten()
            self.fc = nn.Linear(4 * 4 * 4, 3)

        def forward(self, x: tg.Tensor) -> tg.Tensor:
            return self.fc(self.flatten(self.pool(self.act(self.conv1(x)))))

    tg.manual_seed(0)
    return _classifier_loss(CNN(), tg.randn(2, 1, 8, 8, name="images"), 3)


def scalar() -> dict[str, Any]:
    """micrograd's neuron, o = tanh(x1*w1 + x2*w2 + b), on scalars, with values and gradients."""
    values = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
    x1, x2, w1, w2, b = (tg.tensor(v, requires_grad=True, dtype=tg.float64, name=k) for k, v in values.items())
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    total = x1w1 + x2w2
    n = total + b
    o = n.tanh()
    for tensor, name in ((x1w1, "x1*w1"), (x2w2, "x2*w2"), (total, "x1*w1 + x2*w2"), (n, "n"), (o, "o")):
        tensor.name = name
    return {"roots": o, "tensors": [x1w1, x2w2, total, n], "show_data": True, "show_grad": True, "rankdir": "LR"}


EXAMPLES: dict[str, Callable[[], dict[str, Any]]] = {"mlp": mlp, "cnn": cnn, "scalar": scalar}
