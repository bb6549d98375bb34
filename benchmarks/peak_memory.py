"""The peak memory of a connector run as a child process: its resident set's high-water mark.

`wait4`'s `ru_maxrss` will not do: Linux carries the parent's high-water mark into a child
through fork and exec, and the parent of a benchmark holds the seeded sandbox, so a small
connector would be reported as large as the sandbox. `VmHWM` in `/proc/<pid>/status` belongs to
the child's own address space; it only ever rises, so sampling it until the child ends misses at
most what the child grows in its last `interval`.
"""

from __future__ import annotations

import threading
from pathlib import Path


class PeakMemory:
    """Samples a running process's `VmHWM` in a background thread until `stop()`."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self._status = Path(f"/proc/{pid}/status")
        self._interval = interval
        self._peak_kib = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        """The highest `VmHWM` seen, in MiB (0 where `/proc` is not available)."""
        self._stopped.set()
        self._thread.join()
        return self._peak_kib / 1024

    def _sample(self) -> None:
        while not self._stopped.is_set():
            self._peak_kib = max(self._peak_kib, self._read_kib())
            self._stopped.wait(self._interval)

    def _read_kib(self) -> int:
        try:
            for line in self._status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        except (OSError, ValueError):
            pass  # the process has ended, or this is not Linux
        return 0
