"""Learn the Basics, optimizing model parameters: train_loop and test_loop over DataLoaders,
nn.CrossEntropyLoss, torch.optim.SGD, model.train()/model.eval(), len(dataloader.dataset), and
accuracy through (pred.argmax(1) == y).type(torch.float).sum().item()."""
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(0)
features = rng.standard_normal((96, 12)).astype(np.float32)
targets = (features[:, :3].argmax(axis=1)).astype(np.int64)
train = TensorDataset(torch.from_numpy(features[:64]), torch.from_numpy(targets[:64]))
test = TensorDataset(torch.from_numpy(features[64:]), torch.from_numpy(targets[64:]))
batch_size = 16
train_dataloader = DataLoader(train, batch_size=batch_size)
test_dataloader = DataLoader(test, batch_size=batch_size)

model = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 3))
with torch.no_grad():
    for param in model.parameters():
        param.copy_(torch.from_numpy(rng.uniform(-0.4, 0.4, tuple(param.shape)).astype(np.float32)))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train_loop(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 2 == 0:
            loss, current = loss.item(), batch * batch_size + len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test_loop(dataloader, model, loss_fn):
    model.eval()
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f}")


for t in range(3):
    print(f"Epoch {t + 1}")
    train_loop(train_dataloader, model, loss_fn, optimizer)
    test_loop(test_dataloader, model, loss_fn)
