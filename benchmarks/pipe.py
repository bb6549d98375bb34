"""A sync as the platform runs it, for the end-to-end benchmarks: a source's `read` piped into a
destination's `write`, two subprocesses joined by an OS pipe, a `tee` keeping a copy of what the
source sent; and the states the destination echoed, kept for the next sync.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any


@dataclass(frozen=True)
class Pipe:
    """The three processes of one sync (their PIDs, for `peak_memory`)."""

    source: subprocess.Popen[bytes]
    tee: subprocess.Popen[bytes]
    destination: subprocess.Popen[bytes]

    def wait(self) -> tuple[int, int, int]:
        """The exit codes of the source, the tee and the destination, once all have ended."""
        return (self.source.wait(), self.tee.wait(), self.destination.wait())


def pipe(read: list[str], write: list[str], sent: Path, echoed: IO[bytes]) -> Pipe:
    """`read | tee sent | write > echoed`, started."""
    source = subprocess.Popen(read, stdout=subprocess.PIPE)  # noqa: S603 (our console scripts)
    tee = subprocess.Popen(  # noqa: S603
        ["tee", str(sent)],  # noqa: S607 (coreutils)
        stdin=source.stdout,
        stdout=subprocess.PIPE,
    )
    destination = subprocess.Popen(write, stdin=tee.stdout, stdout=echoed)  # noqa: S603
    source.stdout.close()  # type: ignore[union-attr]  # the pipe now belongs to tee
    tee.stdout.close()  # type: ignore[union-attr]
    return Pipe(source, tee, destination)


def last_states(echoed: Path) -> list[dict[str, Any]]:
    """The last state the destination echoed of each stream, as the platform keeps it for the
    next sync (without the destination's count)."""
    last: dict[str, dict[str, Any]] = {}
    for line in echoed.read_text().splitlines():
        message = json.loads(line)
        if message["type"] == "STATE":
            state = message["state"]
            state.pop("destinationStats", None)
            last[state["stream"]["stream_descriptor"]["name"]] = state
    return list(last.values())
