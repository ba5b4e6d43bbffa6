"""Child process of the memory workload: `python -m bench.memory_probe ENGINE STEPS` trains the mlp
workload with one engine and prints its RSS measurements as one JSON line."""

from __future__ import annotations

import json
import sys

from .workloads import memory_probe

if __name__ == "__main__":
    engine, steps = sys.argv[1], int(sys.argv[2])
    print(json.dumps(memory_probe(engine, steps)))
