"""Peer engines run side by side with tinygrad_edu when installed (never a dependency).

PyTorch (CPU, one thread) has adapters for every workload. The other NumPy engines the issue
compares against are detected and reported; they have no adapter yet (none is installed here to
test one against), so they are listed as skipped with the reason.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Callable

import numpy as np

from . import numpy_baselines as npb

OTHER_PEERS = ("mygrad", "autograd", "dezero", "micrograd")


def torch_module() -> Any:
    """The torch module pinned to one thread, or None when PyTorch is not installed."""
    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # can only be set once per process, before any parallel work
        pass
    return torch


def skipped_peers() -> list[str]:
    """One note per non-PyTorch peer explaining why it does not run."""
    notes = []
    for name in OTHER_PEERS:
        if importlib.util.find_spec(name) is None:
            notes.append(f"{name}: skipped (not installed)")
        elif name == "autograd":
            notes.append(f"{name}: runs in the func_* workloads only (bench/func_workloads.py)")
        else:
            notes.append(f"{name}: skipped (installed, but bench/peers.py has no adapter for it yet)")
    return notes


def _torch_params(torch: Any, params: list[np.ndarray]) -> list[Any]:
    return [torch.tensor(p, requires_grad=True) for p in params]


def _torch_sgd_step(torch: Any, params: list[Any], loss_fn: Callable[[], Any], lr: float) -> Callable[[], tuple]:
    optimizer = torch.optim.SGD(params, lr=lr)

    def step() -> tuple[float]:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        optimizer.step()
        return (loss.item(),)

    return step


def torch_mlp(torch: Any, params: list[np.ndarray], x: np.ndarray, labels: np.ndarray, lr: float) -> Callable[[], tuple]:
    """One SGD step of the MLP with torch.nn.functional, same weights as `params`."""
    f = torch.nn.functional
    tparams = _torch_params(torch, params)
    tx, ty = torch.from_numpy(x), torch.from_numpy(labels)
    weights, biases = tparams[0::2], tparams[1::2]

    def loss_fn() -> Any:
        h = tx
        for i, (w, b) in enumerate(zip(weights, biases)):
            h = f.linear(h, w, b)
            if i < len(weights) - 1:
                h = f.relu(h)
        return f.cross_entropy(h, ty)

    return _torch_sgd_step(torch, tparams, loss_fn, lr)


def torch_cnn(torch: Any, params: list[np.ndarray], x: np.ndarray, labels: np.ndarray, lr: float) -> Callable[[], tuple]:
    """One SGD step of the CNN with torch.nn.functional, same weights as `params`."""
    f = torch.nn.functional
    tparams = _torch_params(torch, params)
    w1, b1, w2, b2, w3, b3 = tparams
    tx, ty = torch.from_numpy(x), torch.from_numpy(labels)

    def loss_fn() -> Any:
        h = f.max_pool2d(f.relu(f.conv2d(tx, w1, b1, padding=1)), 2)
        h = f.max_pool2d(f.relu(f.conv2d(h, w2, b2, padding=1)), 2)
        return f.cross_entropy(f.linear(h.flatten(1), w3, b3), ty)

    return _torch_sgd_step(torch, tparams, loss_fn, lr)


def torch_chain(torch: Any, x: np.ndarray, n_ops: int) -> Callable[[], tuple]:
    """The elementwise chain and its backward in PyTorch; returns (sum, sum of grad)."""
    leaf = torch.tensor(x.copy(), requires_grad=True)

    def step() -> tuple[float, float]:
        leaf.grad = None
        total = npb.chain_forward(leaf, n_ops, torch.tanh).sum()
        total.backward()
        return total.item(), leaf.grad.sum().item()

    return step


def torch_gradcheck(torch: Any, params: list[np.ndarray], x: np.ndarray, labels: np.ndarray, eps: float,
                    atol: float, rtol: float) -> Callable[[], tuple]:
    """torch.autograd.gradcheck (full Jacobian mode) of the small MLP; returns (loss,)."""
    f = torch.nn.functional
    tparams = _torch_params(torch, params)
    tx, ty = torch.from_numpy(x), torch.from_numpy(labels)

    def loss_fn(w1: Any, b1: Any, w2: Any, b2: Any) -> Any:
        return f.cross_entropy(f.linear(torch.tanh(f.linear(tx, w1, b1)), w2, b2), ty)

    def step() -> tuple[float]:
        if not torch.autograd.gradcheck(loss_fn, tparams, eps=eps, atol=atol, rtol=rtol):
            raise RuntimeError("gradcheck workload: torch.autograd.gradcheck failed on the small MLP")
        return (loss_fn(*tparams).item(),)

    return step
