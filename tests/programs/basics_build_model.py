"""Learn the Basics, build the neural network: a NeuralNetwork module (nn.Flatten and an
nn.Sequential stack), its printed structure, nn.Softmax(dim=1), argmax, the layers one at a
time, and named_parameters()."""
import numpy as np
import torch
from torch import nn

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(8 * 8, 32),
            nn.ReLU(),
            nn.Linear(32, 32),
            nn.ReLU(),
            nn.Linear(32, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        return self.linear_relu_stack(x)


model = NeuralNetwork().to(device)
print("modules", [type(m).__name__ for m in model.modules()])
print(model.linear_relu_stack[0], model.flatten)
rng = np.random.default_rng(0)
with torch.no_grad():
    for param in model.parameters():
        param.copy_(torch.tensor(rng.uniform(-0.3, 0.3, tuple(param.shape)), dtype=torch.float32))

X = torch.tensor(rng.uniform(0, 1, (3, 8, 8)), dtype=torch.float32, device=device)
logits = model(X)
pred_probab = nn.Softmax(dim=1)(logits)
y_pred = pred_probab.argmax(1)
print("predicted class", y_pred.tolist(), f"top probability {pred_probab.max().item():.6f}")

flat_image = nn.Flatten()(X)
print("flattened", tuple(flat_image.size()))
layer1 = model.linear_relu_stack[0]
hidden1 = layer1(flat_image)
print("hidden", tuple(hidden1.size()), f"before relu min {hidden1.min().item():.5f}")
hidden1 = nn.ReLU()(hidden1)
print(f"after relu min {hidden1.min().item():.5f} sum {hidden1.sum().item():.5f}")

for name, param in model.named_parameters():
    values = [round(v, 4) for v in param.flatten()[:2].tolist()]
    print(f"Layer: {name} | Size: {tuple(param.size())} | Values : {values}")
print("parameter count", sum(p.numel() for p in model.parameters()))
