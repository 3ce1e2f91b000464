"""Benchmarks: each module prints its own table; run them from the repository root as
``python -m bench.<name>`` (``python -m bench.run_all`` runs them all)."""
