"""Learn the Basics, datasets and dataloaders, transforms: a custom Dataset (__len__,
__getitem__ with a transform and a target_transform that one-hot encodes with scatter_),
DataLoader batches, next(iter(...)), and the order-independent totals of a shuffled epoch."""
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class TinyImages(Dataset):
    def __init__(self, count, transform=None, target_transform=None):
        rng = np.random.default_rng(0)
        self.images = rng.integers(0, 256, size=(count, 6, 6)).astype(np.uint8)
        self.labels = np.arange(count) % 10
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        image, label = self.images[idx], int(self.labels[idx])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


def to_tensor(image):
    return torch.from_numpy(image).float().unsqueeze(0) / 255.0


def one_hot(y):
    return torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)


training_data = TinyImages(40, transform=to_tensor, target_transform=one_hot)
print("length", len(training_data))
image, label = training_data[3]
print("sample", tuple(image.shape), f"{image.sum().item():.5f}", label.tolist())

train_dataloader = DataLoader(training_data, batch_size=8, shuffle=False)
train_features, train_labels = next(iter(train_dataloader))
print("batch", tuple(train_features.size()), tuple(train_labels.size()))
img = train_features[0].squeeze()
print("squeezed", tuple(img.shape), f"{img.mean().item():.5f}", "label", train_labels[0].argmax().item())

plain = TinyImages(40, transform=to_tensor)
shuffled = DataLoader(plain, batch_size=16, shuffle=True, drop_last=False, generator=torch.Generator().manual_seed(0))
total, labels_seen, batches = 0.0, [], 0
for features, labels in shuffled:
    total += features.sum().item()
    labels_seen += labels.tolist()
    batches += 1
print("batches", batches, "label dtype int64", labels.dtype == torch.int64,
      "every label once", sorted(labels_seen) == sorted(plain.labels.tolist()))
print(f"total {total:.4f}")
