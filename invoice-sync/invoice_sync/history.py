"""The run log: per run and direction, records read, written, unchanged and rejected (with each
rejection's reason), calls spent and duration. One JSON line per run in `history.jsonl` beside
the state, appended and flushed to disk when the run ends.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from invoice_sync.configs import append_line


@dataclass
class StreamFigures:
    read: int = 0
    written: int = 0
    unchanged: int = 0
    rejected: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # the destination's own words


@dataclass
class Rejection:
    stream: str
    record_id: str
    reason: str


@dataclass
class DirectionRun:
    """One direction of one run."""

    direction: str  # connection file key, e.g. keap_to_xero
    title: str
    settings: str  # mode and start point, as a person reads them
    status: str = "succeeded"  # succeeded | failed
    error: str | None = None
    seconds: float = 0.0
    streams: dict[str, StreamFigures] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    notices: list[Rejection] = field(default_factory=list)  # left alone, removed... with reasons
    calls: dict[str, int] = field(default_factory=dict)  # connector -> HTTP requests

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


@dataclass
class RunRecord:
    """One `invoice-sync run`."""

    number: int
    started_at: str  # ISO-8601 UTC
    status: str = "running"  # running | succeeded | failed | interrupted (the process died)
    seconds: float = 0.0
    recovered: list[str] = field(default_factory=list)  # connectors whose rotation was recovered
    directions: list[DirectionRun] = field(default_factory=list)

    def finish(self, seconds: float) -> None:
        self.seconds = seconds
        failed = any(d.status != "succeeded" for d in self.directions)
        self.status = "failed" if failed else "succeeded"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        directions = []
        for direction in data.get("directions", []):
            streams = {k: StreamFigures(**v) for k, v in direction.pop("streams", {}).items()}
            rejections = [Rejection(**r) for r in direction.pop("rejections", [])]
            notices = [Rejection(**r) for r in direction.pop("notices", [])]
            directions.append(
                DirectionRun(**direction, streams=streams, rejections=rejections, notices=notices)
            )
        return cls(**{**data, "directions": directions})


class History:
    """The run log of one connection."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def runs(self) -> list[RunRecord]:
        try:
            lines = self.path.read_text("utf-8").splitlines()
        except FileNotFoundError:
            return []
        runs = []
        for line in lines:
            try:
                runs.append(RunRecord.from_json(json.loads(line)))
            except (json.JSONDecodeError, TypeError):
                continue  # a line cut short by a crash while it was written
        return runs

    def next_number(self) -> int:
        runs = self.runs()
        return runs[-1].number + 1 if runs else 1

    def append(self, run: RunRecord) -> None:
        append_line(self.path, json.dumps(asdict(run)))
