"""Benchmarks of tinygrad_edu against the hand-written NumPy limit and peer engines (`python -m bench --help`).

BLAS and OpenMP are pinned to one thread here, before anything imports NumPy, so that every
engine is measured on one core; threadpoolctl (when installed) re-applies the limit at run time
in case NumPy was imported first.
"""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"
del _variable
