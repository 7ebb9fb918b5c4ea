"""Benchmark and resilience tooling for poser_web (see bench/README.md)."""
