"""Settings for benchmark servers: Peerlight's own, plus the bare comparison view.

Benchmark servers run with ``DJANGO_SETTINGS_MODULE=benchmarks.bench_settings``:
every real page is served exactly as ``peerlight.settings`` serves it, and
``/_bench/one-query/`` is added (see ``bench_urls.py``).
"""

from __future__ import annotations

from peerlight.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
