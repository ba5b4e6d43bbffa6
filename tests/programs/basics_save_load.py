"""Learn the Basics, save and load the model, and the recipe for a general checkpoint:
torch.save(model.state_dict()), load_state_dict(torch.load(..., weights_only=True)), and a
dict holding epoch, model and optimizer state dicts and the loss."""
import numpy as np
import torch
from torch import nn, optim

rng = np.random.default_rng(0)
X = torch.tensor(rng.standard_normal((20, 4)), dtype=torch.float32)
y = torch.tensor(rng.standard_normal((20, 1)), dtype=torch.float32)


def make_model():
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    with torch.no_grad():
        for i, param in enumerate(model.parameters()):
            param.copy_(torch.linspace(-0.5, 0.5, param.numel()).reshape(tuple(param.shape)) * (i + 1))
    return model


model = make_model()
optimizer = optim.Adam(model.parameters(), lr=0.01)
for epoch in range(5):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward()
    optimizer.step()
print(f"trained loss {loss.item():.6f}")

torch.save(model.state_dict(), "model_weights.pth")
restored = make_model()
restored.load_state_dict(torch.load("model_weights.pth", weights_only=True))
restored.eval()
print("same outputs", torch.allclose(restored(X), model(X)), "keys", list(restored.state_dict()))

torch.save({"epoch": 5, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(), "loss": loss.item()}, "checkpoint.tar")
checkpoint = torch.load("checkpoint.tar", weights_only=True)
model2 = make_model()
optimizer2 = optim.Adam(model2.parameters(), lr=0.01)
model2.load_state_dict(checkpoint["model_state_dict"])
optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
print("epoch", checkpoint["epoch"], f"loss {checkpoint['loss']:.6f}")
model2.train()
for m, o in ((model, optimizer), (model2, optimizer2)):
    o.zero_grad()
    nn.functional.mse_loss(m(X), y).backward()
    o.step()
print(f"resumed training agrees {torch.allclose(model(X), model2(X))} {model2(X).sum().item():.6f}")
