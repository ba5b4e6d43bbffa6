"""Shared test setup. Hypothesis profiles: `ci` (selected when CI=true) is derandomized with fixed
example counts and no deadline; `dev` (the default elsewhere) explores more; choose explicitly with
HYPOTHESIS_PROFILE. The `float64_default` fixture runs a test with float64 as the default dtype."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import tinygrad_edu as tg

settings.register_profile(
    "ci", derandomize=True, max_examples=12, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", max_examples=40, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") == "true" else "dev"))


@pytest.fixture
def float64_default():
    """Switch the default float dtype to float64 (and seed the library generator) for one test,
    always restoring the previous default."""
    previous = tg.get_default_dtype()
    tg.set_default_dtype(np.float64)
    tg.manual_seed(0)
    yield
    tg.set_default_dtype(previous)
