"""One `write` of a destination as a benchmark runs it: the connector as a subprocess (its peak
memory is its own, see `peak_memory`) reading a file of Airbyte messages, against an in-process
sandbox; and the messages it reads, as a source sends them.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peak_memory import PeakMemory

from keap_xero_sandbox.sandbox import Sandbox


@dataclass
class Run:
    name: str
    calls: int
    calls_429: int
    real_seconds: float
    sandbox_seconds: float
    peak_rss_mib: float
    states_echoed: int
    by_endpoint: dict[str, int]
    config: dict[str, Any]  # as the run handed it back (a rotated refresh token), or as given


def record_message(stream: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 0}}


def state_message(stream: str, cursor: str) -> dict[str, Any]:
    return {
        "type": "STATE",
        "state": {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": {"name": stream},
                "stream_state": {"updated_at": cursor},
            },
        },
    }


@dataclass(frozen=True)
class Destination:
    """A destination's console script, the API it writes to ("xero", "keap") and its catalog."""

    api: str
    connector: Path
    catalog: Path

    def write(
        self, sandbox: Sandbox, config: dict[str, Any], input_path: Path, work: Path, name: str
    ) -> Run:
        """`<connector> write` of `input_path`; the calls it made to the API."""
        config_path = work / f"{name}-config.json"
        config_path.write_text(json.dumps(config))
        output_path = work / f"{name}-output.jsonl"
        sandbox.stats.reset()
        sandbox_start = sandbox.clock.now()
        start = time.perf_counter()
        command = [str(self.connector), "write", "--config", str(config_path)]
        with input_path.open() as stdin, output_path.open("w") as stdout:
            process = subprocess.Popen(  # noqa: S603 (our own console script)
                [*command, "--catalog", str(self.catalog)], stdin=stdin, stdout=stdout
            )
            memory = PeakMemory(process.pid)
            process.wait()
            peak_mib = memory.stop()
        real = time.perf_counter() - start
        sandbox_seconds = (sandbox.clock.now() - sandbox_start).total_seconds()
        lines = output_path.read_text().splitlines()
        if process.returncode != 0:
            raise SystemExit(f"{name}: {self.connector.name} failed:\n" + "\n".join(lines[-5:]))
        handed_back = config
        for line in lines:
            if '"CONTROL"' in line:
                handed_back = json.loads(line)["control"]["connectorConfig"]["config"]
        by_endpoint = sandbox.stats.snapshot()["by_endpoint"]
        return Run(
            name=name,
            calls=sandbox.stats.count(self.api),
            calls_429=sandbox.stats.count(self.api, status=429),
            real_seconds=real,
            sandbox_seconds=sandbox_seconds,
            peak_rss_mib=peak_mib,
            states_echoed=sum(1 for line in lines if '"type":"STATE"' in line),
            by_endpoint={k: v for k, v in by_endpoint.items() if k.startswith(f"{self.api} ")},
            config=handed_back,
        )
