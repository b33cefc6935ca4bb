"""Benchmarks: one module per benchmark, each run as ``peerlight bench NAME --json``.

Modules whose names start with ``_`` or ``bench_`` are the benchmarks'
helpers (load generation, settings, URLs and the application they serve).
"""
