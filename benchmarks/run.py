"""`make bench`: run every benchmark against an in-process sandbox and print its table.

Each benchmark is a script in this folder (`source_keap.py`, `destination_xero.py` ...) that
prints a markdown table; this runner adds the machine it ran on, so figures can be recorded in
RESULTS.md together with the command that produced them. Only loopback traffic.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("source_keap", "destination_xero", "source_xero", "destination_keap")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kib = int(meminfo.read_text().split()[1])
        memory = f", {total_kib / 1024 / 1024:.0f} GiB RAM"
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def main(argv: list[str]) -> int:
    chosen = argv or [name for name in BENCHMARKS if (HERE / f"{name}.py").exists()]
    print(f"Machine: {machine()}\n")
    failed = 0
    for name in chosen:
        print(f"## {name}\n\nCommand: `.venv/bin/python benchmarks/{name}.py`\n", flush=True)
        result = subprocess.run([sys.executable, str(HERE / f"{name}.py")], check=False)  # noqa: S603
        failed += result.returncode != 0
        print(flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
