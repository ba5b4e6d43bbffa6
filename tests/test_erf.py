"""erf with and without SciPy: both paths agree with math.erf (the definition used by gelu)."""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.ops import elementwise


@pytest.mark.parametrize("scipy_available", [True, False])
def test_erf_matches_math_erf_with_and_without_scipy(monkeypatch, scipy_available):
    if scipy_available:
        pytest.importorskip("scipy")
    else:
        monkeypatch.setattr(elementwise, "_vectorised_erf", lambda: None)
    x = np.linspace(-4.0, 4.0, 81)
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(tg.tensor(x).erf().numpy(), expected, rtol=1e-14, atol=1e-16)
    assert tg.tensor(x.astype(np.float32)).erf().dtype == np.float32
