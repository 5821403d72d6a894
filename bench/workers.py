"""One contender of one stage, run in a fresh process: `workers.py MODULE.FUNCTION SIZE`
calls bench/MODULE.py's FUNCTION(SIZE) and prints its result ({"value", "peak_mb",
"note", "output"}, or rows of them) as JSON on the last line."""

import importlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# Measured as deployed: DEBUG would keep every query in memory, taxing per-row peers most.
assert not settings.DEBUG, "bench workers run with production settings, DEBUG off"

if __name__ == "__main__":
    worker, size = sys.argv[1], int(sys.argv[2])
    module, function = worker.rsplit(".", 1)
    print(json.dumps(getattr(importlib.import_module(f"bench.{module}"), function)(size)))
