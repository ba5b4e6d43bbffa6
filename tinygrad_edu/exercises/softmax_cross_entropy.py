"""Exercise: softmax cross-entropy of logits and class labels, averaged over the batch.

    def softmax_cross_entropy_forward(logits, labels):   # logits (N, C) floats, labels (N,) ints
        loss = ...                                       # mean of -log softmax(logits)[i, labels[i]]
        return loss, cache                               # loss: a float (or 0-d array)
    def softmax_cross_entropy_backward(grad_loss, cache): # grad_loss: 0-d array (1.0 after .backward())
        return grad_logits                               # (N, C)
    check_softmax_cross_entropy(softmax_cross_entropy_forward, softmax_cross_entropy_backward)
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from tinygrad_edu import nn, testing

from .grading import BackwardFn, ForwardFn, check_op, run_cases


@st.composite
def cross_entropy_cases(draw: st.DrawFn) -> dict:
    """Logits (N, C) with values up to +-5, labels in range(C), and an upstream gradient (a scalar)."""
    n, c = draw(st.integers(1, 5)), draw(st.integers(2, 5))
    logits = draw(testing.tensors((n, c), low=-5.0, high=5.0, requires_grad=False)).numpy()
    labels = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
    grad_loss = np.array(draw(testing.floats(0.1, 2.0)))
    return {"logits": logits, "labels": labels, "grad_loss": grad_loss}


def check_softmax_cross_entropy(forward: ForwardFn, backward: BackwardFn, examples: int = 20) -> None:
    """Grade softmax cross-entropy: forward against nn.functional.cross_entropy, backward against the
    engine and gradcheck (with respect to the logits; labels get no gradient)."""
    def check_case(case: dict) -> None:
        check_op("softmax cross-entropy", forward, backward, {"logits": case["logits"]},
                 nn.functional.cross_entropy, case["grad_loss"], extra=(case["labels"],))

    run_cases("softmax cross-entropy", cross_entropy_cases(), check_case, examples)
