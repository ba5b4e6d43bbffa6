"""micrograd lecture, the neuron in PyTorch: inputs, weights and bias as double scalars, n = x1*w1
+ x2*w2 + b, o = torch.tanh(n), o.backward(), then each leaf's gradient."""
import torch

x1 = torch.Tensor([2.0]).double()
x1.requires_grad = True
x2 = torch.Tensor([0.0]).double()
x2.requires_grad = True
w1 = torch.Tensor([-3.0]).double()
w1.requires_grad = True
w2 = torch.Tensor([1.0]).double()
w2.requires_grad = True
b = torch.Tensor([6.8813735870195432]).double()
b.requires_grad = True
n = x1 * w1 + x2 * w2 + b
o = torch.tanh(n)
print(f"o {o.data.item():.6f}")
o.backward()
print("---")
for name, leaf in (("x2", x2), ("w2", w2), ("x1", x1), ("w1", w1), ("b", b)):
    print(name, f"{leaf.grad.item():.6f}")

# the same neuron with tanh written out through exp, as in the lecture's Value class
leaves = [t.detach().requires_grad_() for t in (x1, x2, w1, w2, b)]
n = leaves[0] * leaves[2] + leaves[1] * leaves[3] + leaves[4]
e = (2 * n).exp()
o2 = (e - 1) / (e + 1)
o2.backward()
print(f"o through exp {o2.item():.6f}", "grads agree", all(abs(a.grad.item() - c.grad.item()) < 1e-12
                                                          for a, c in zip(leaves, (x1, x2, w1, w2, b))))
