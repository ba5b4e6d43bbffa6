"""`python -m tinygrad_edu` runs the command-line interface."""

from .cli import main

raise SystemExit(main())
