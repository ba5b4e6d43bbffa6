"""A gallery of computation graphs: a scalar expression, an MLP and a CNN, rendered with `tg.draw_graph`.

The scalar graph shows every value and gradient after `backward()` (the chain rule made visible);
the MLP and CNN graphs name each parameter (`0.weight`, ...) and group the operations by layer; the
CNN is also drawn as its backward graph, the nodes `backward()` walks with what each one saved.
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.graph import trace_modules

from _common import parse_args
from cnn import build as build_cnn


def scalar_expression() -> tuple[tg.Tensor, list[tg.Tensor]]:
    """e = (a * b + sin a)^2 at a = 2, b = -3 (float64), after `backward(retain_graph=True)`: the
    graph stays intact, so the drawing shows the gradient at every node, not only at the leaves."""
    a = tg.tensor(2.0, dtype=np.float64, requires_grad=True, name="a")
    b = tg.tensor(-3.0, dtype=np.float64, requires_grad=True, name="b")
    product = a * b
    sine = a.sin()
    inner = product + sine
    e = inner ** 2
    for tensor, name in ((product, "a*b"), (sine, "sin a"), (inner, "a*b + sin a"), (e, "e")):
        tensor.name = name
    e.backward(retain_graph=True)
    return e, [a, b, product, sine, inner]


def module_loss(model: nn.Module, x: tg.Tensor, y: tg.Tensor) -> tuple[tg.Tensor, object]:
    """Cross-entropy of `model` on (x, y), with the forward pass traced so the drawing can group by layer."""
    with trace_modules(model) as trace:
        loss = nn.functional.cross_entropy(model(x), y)
    loss.name = "loss"
    return loss, trace


def main() -> None:
    args = parse_args("graph_gallery", __doc__.splitlines()[0])
    args.out.mkdir(parents=True, exist_ok=True)
    tg.manual_seed(args.seed)

    e, (a, b, *intermediates) = scalar_expression()
    drawings = {"scalar_expression": tg.draw_graph(e, tensors=intermediates, show_data=True, show_grad=True)}
    mlp = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    loss, trace = module_loss(mlp, tg.randn(8, 2), tg.randint(0, 3, (8,)))
    drawings["mlp"] = tg.draw_graph(loss, module=mlp, trace=trace)
    cnn = build_cnn(8)
    loss, trace = module_loss(cnn, tg.randn(4, 1, 8, 8), tg.randint(0, 10, (4,)))
    drawings["cnn"] = tg.draw_graph(loss, module=cnn, trace=trace)
    drawings["cnn_backward"] = tg.draw_graph(loss, module=cnn, trace=trace, view="backward")

    for name, drawing in drawings.items():
        print(f"figure: {drawing.render(args.out / f'{name}.png', format='png')}")
    print(f"scalar expression: e = {e.item():.6f}, de/da = {a.grad.item():.6f}, de/db = {b.grad.item():.6f}")
    print(f"mlp parameters: {sum(p.size for p in mlp.parameters())}, cnn parameters: "
          f"{sum(p.size for p in cnn.parameters())}")


if __name__ == "__main__":
    main()
