"""What is torch.nn really?, Dataset and DataLoader, validation, fit() and get_data(): TensorDataset,
DataLoader with shuffle for training and batch_size=bs * 2 for validation, loss_batch, and the
weighted validation loss np.sum(np.multiply(losses, nums)) / np.sum(nums)."""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(4)
x = rng.uniform(0, 1, (160, 64)).astype(np.float32)
y = (x[:, :10].argmax(axis=1)).astype(np.int64)
x_train, y_train, x_valid, y_valid = map(torch.tensor, (x[:128], y[:128], x[128:], y[128:]))
train_ds = TensorDataset(x_train, y_train)
valid_ds = TensorDataset(x_valid, y_valid)
print("train", len(train_ds), "first item", [tuple(t.shape) for t in train_ds[0]])


def get_data(train_ds, valid_ds, bs):
    return (DataLoader(train_ds, batch_size=bs, shuffle=False),
            DataLoader(valid_ds, batch_size=bs * 2))


def get_model():
    model = nn.Linear(64, 10)
    with torch.no_grad():
        model.weight.copy_(torch.linspace(-0.1, 0.1, 640).reshape(10, 64))
        model.bias.fill_(0.0)
    return model, optim.SGD(model.parameters(), lr=0.5, momentum=0.9)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
        print(epoch, f"{val_loss:.6f}", "batches", len(nums))


train_dl, valid_dl = get_data(train_ds, valid_ds, 16)
model, opt = get_model()
fit(3, model, F.cross_entropy, opt, train_dl, valid_dl)
xb, yb = next(iter(valid_dl))
print("valid batch", tuple(xb.shape), f"accuracy {(model(xb).argmax(dim=1) == yb).float().mean().item():.4f}")
