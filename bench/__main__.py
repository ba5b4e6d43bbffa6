"""`python -m bench`: see bench/runner.py (`python -m bench --help`)."""

import sys

from .runner import main

sys.exit(main())
