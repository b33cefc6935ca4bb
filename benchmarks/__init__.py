"""Benchmarks: one module per benchmark, each run as ``peerlight bench NAME --json``."""
