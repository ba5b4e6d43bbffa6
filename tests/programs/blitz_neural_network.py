"""60-minute blitz, neural networks: the LeNet-style Net (conv1, conv2, three Linear layers,
F.max_pool2d, torch.flatten), parameters, zero_grad, backward with a gradient, MSELoss,
grad_fn.next_functions, and an SGD step."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))
        s2 = F.max_pool2d(c1, (2, 2))
        c3 = F.relu(self.conv2(s2))
        s4 = F.max_pool2d(c3, 2)
        s4 = torch.flatten(s4, 1)
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        return self.fc3(f6)


net = Net()
rng = np.random.default_rng(0)
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-0.2, 0.2, tuple(p.shape)).astype(np.float32)))
params = list(net.parameters())
print("parameters", len(params), "conv1 weight", tuple(params[0].size()))

input = torch.tensor(rng.standard_normal((1, 1, 32, 32)), dtype=torch.float32)
out = net(input)
print("out", [round(v, 5) for v in out[0].tolist()])
net.zero_grad()
out.backward(torch.tensor(rng.standard_normal((1, 10)), dtype=torch.float32))
print(f"conv1.bias.grad norm {net.conv1.bias.grad.norm().item():.6f}")

output = net(input)
target = torch.arange(10, dtype=torch.float32) / 10
target = target.view(1, -1)
criterion = nn.MSELoss()
loss = criterion(output, target)
print(f"loss {loss.item():.6f}")
print("grad_fn chain", loss.grad_fn is not None, len(loss.grad_fn.next_functions) > 0)
net.zero_grad()
print("conv1.bias.grad before backward", net.conv1.bias.grad)
loss.backward()
print("conv1.bias.grad after backward", [round(v, 6) for v in net.conv1.bias.grad.tolist()])

optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
for step in range(3):
    optimizer.zero_grad()
    loss = criterion(net(input), target)
    loss.backward()
    optimizer.step()
    print(f"step {step} loss {loss.item():.6f}")
