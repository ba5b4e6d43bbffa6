"""micrograd lecture, the MLP: Neuron, Layer and MLP classes built on tensors, a squared-error
loss summed with Python's sum over a list, `p.grad = None` and Karpathy's update `p.data +=
-0.05 * p.grad`."""
import numpy as np
import torch

rng = np.random.default_rng(0)


class Neuron:
    def __init__(self, nin):
        self.w = torch.tensor(rng.uniform(-1, 1, nin), requires_grad=True)
        self.b = torch.tensor(rng.uniform(-1, 1), requires_grad=True)

    def __call__(self, x):
        act = (self.w * x).sum() + self.b
        return act.tanh()

    def parameters(self):
        return [self.w, self.b]


class Layer:
    def __init__(self, nin, nout):
        self.neurons = [Neuron(nin) for _ in range(nout)]

    def __call__(self, x):
        outs = torch.stack([n(x) for n in self.neurons])
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    def __init__(self, nin, nouts):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i + 1]) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


n = MLP(3, [4, 4, 1])
print("parameters", sum(p.numel() for p in n.parameters()), "dtype float64", n.parameters()[0].dtype == torch.float64)
xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
ys = [1.0, -1.0, -1.0, 1.0]
xs = [torch.tensor(x, dtype=torch.float64) for x in xs]
for k in range(20):
    ypred = [n(x) for x in xs]
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
    for p in n.parameters():
        p.grad = None
    loss.backward()
    for p in n.parameters():
        p.data += -0.05 * p.grad
    if k % 5 == 4:
        print(k, f"{loss.item():.8f}")
print("predictions", [f"{n(x).item():.6f}" for x in xs])
