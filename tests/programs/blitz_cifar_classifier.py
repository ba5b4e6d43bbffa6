"""60-minute blitz, training a classifier: the CIFAR Net on a tiny synthetic set of 3x32x32
images, CrossEntropyLoss, SGD with momentum, a DataLoader, torch.save / torch.load of the
state_dict, torch.max(outputs, 1) predictions and per-class accuracy."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

classes = ("plane", "car", "bird")
rng = np.random.default_rng(0)
images = rng.standard_normal((24, 3, 32, 32)).astype(np.float32)
labels = np.arange(24) % 3
images[:, 0] += labels[:, None, None] * 0.5
trainset = torch.utils.data.TensorDataset(torch.from_numpy(images), torch.from_numpy(labels))
trainloader = torch.utils.data.DataLoader(trainset, batch_size=4, shuffle=False, num_workers=0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


net = Net()
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-0.1, 0.1, tuple(p.shape)).astype(np.float32)))
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
for epoch in range(2):
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, batch_labels = data
        optimizer.zero_grad()
        loss = criterion(net(inputs), batch_labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if i % 3 == 2:
            print(f"[{epoch + 1}, {i + 1}] loss: {running_loss / 3:.5f}")
            running_loss = 0.0

PATH = "./cifar_net.pth"
torch.save(net.state_dict(), PATH)
net = Net()
net.load_state_dict(torch.load(PATH, weights_only=True))
correct, total = 0, 0
correct_pred = {name: 0 for name in classes}
with torch.no_grad():
    for inputs, batch_labels in trainloader:
        outputs = net(inputs)
        _, predicted = torch.max(outputs, 1)
        total += batch_labels.size(0)
        correct += (predicted == batch_labels).sum().item()
        for label, prediction in zip(batch_labels, predicted):
            if label == prediction:
                correct_pred[classes[label]] += 1
print(f"accuracy {100 * correct // total} %", "per class", correct_pred)
print(f"first logits {[round(v, 4) for v in net(trainset[0][0].unsqueeze(0))[0].tolist()]}")
