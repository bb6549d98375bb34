"""The benchmark (`benchmarks/source_xero.py`, run in full by `make bench`) at a tiny size: it
runs, every record is read once by both readers, and a sync where nothing changed costs one call
per stream. Its figures belong to `make bench`, never to the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "source_xero.py"


def test_the_benchmark_runs_at_a_tiny_size():
    done = subprocess.run(  # noqa: S603 (the repository's own benchmark, loopback only)
        [sys.executable, str(BENCHMARK)],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "BENCH_INVOICES": "120", "BENCH_CONTACTS": "12"},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAILED" not in done.stdout
    assert "| ≤ 1 per stream (met) |" in done.stdout
    assert "| `GET /api.xro/2.0/Invoices` |" in done.stdout
