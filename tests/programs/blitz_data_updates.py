"""60-minute blitz, the older autograd and neural-network pages: `.data` used as a tensor
(y.data.norm() in a loop, f.data.sub_(f.grad.data * learning_rate) as the hand-written SGD)."""
import torch

x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
print("y", y.tolist())
v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)
print("x.grad", x.grad.tolist())

net = torch.nn.Linear(3, 2)
with torch.no_grad():
    net.weight.copy_(torch.tensor([[0.1, 0.2, 0.3], [-0.1, 0.0, 0.5]]))
    net.bias.zero_()
learning_rate = 0.01
for step in range(3):
    net.zero_grad()
    loss = (net(x.detach()) ** 2).sum()
    loss.backward()
    for f in net.parameters():
        f.data.sub_(f.grad.data * learning_rate)
    print(f"step {step} loss {loss.item():.6f} weight norm {net.weight.data.norm().item():.6f}")
