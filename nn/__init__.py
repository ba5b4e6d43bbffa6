"""Neural-network building blocks (installed as tinygrad_edu.nn), built on the public engine only."""
