"""Optimizers and learning-rate schedulers (installed as tinygrad_edu.optim), built on the public engine only."""
