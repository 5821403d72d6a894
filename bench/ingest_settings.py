"""Production settings (every secret from the environment) with the benchmark's peer view
mounted beside the project's URLs."""

from settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.ingest_urls"
