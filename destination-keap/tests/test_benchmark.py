"""The benchmark (`benchmarks/destination_keap.py`) at a tiny size: it runs, every invoice lands
once, and the replay writes nothing. Its figures at the full size are in RESULTS.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "destination_keap.py"


def test_the_benchmark_runs_at_a_tiny_size():
    done = subprocess.run(  # noqa: S603 (our own benchmark script, loopback only)
        [sys.executable, str(BENCHMARK), "--invoices", "40", "--contacts", "8"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "40 invoices over 8 contacts; Keap then holds {'orders': 40, 'contacts': 8}." in (
        done.stdout
    )
    replay = next(line for line in done.stdout.splitlines() if line.startswith("| the same"))
    assert replay.split(" | ")[1] == "4"  # profile, custom fields, products, the orders listed
