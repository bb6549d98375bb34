"""Runs one connector for PyAirbyte, and keeps what PyAirbyte cannot: rotated configs journaled
before they leave the process, the HTTP calls spent, the records emitted.

PyAirbyte runs a local connector as an executable; the runner hands it, as that executable, a
small script that starts this module with the connector's name (`write_script`). The connector then
runs in this process exactly as its console script would run it, with two observers:

- its standard output passes through `JournaledOutput`, which journals every CONNECTOR_CONFIG
  message (see `configs.RotationJournal`) before passing it on, and counts RECORD messages per
  stream;
- every HTTP request it sends through `requests` is counted per host (`requests.Session.send`
  is wrapped, as the CDK itself does to filter internal URLs).

When the connector ends, a report (`Report`) of the calls and records goes to the report folder.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import shlex
import sys
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import requests

from invoice_sync.configs import RotationJournal, changed, write_atomically

RECORD_PREFIX = '{"type":"RECORD","record":{"stream":"'  # as the CDK serialises records
RECORD_MARK = '"type":"RECORD"'
CONTROL_MARK = '"type":"CONTROL"'


@dataclass
class Report:
    """What one run of a connector spent and emitted."""

    connector: str
    command: str
    calls: dict[str, int] = field(default_factory=dict)  # host -> HTTP requests sent
    records: dict[str, int] = field(default_factory=dict)  # stream -> RECORD messages emitted

    def save(self, folder: Path) -> None:
        path = folder / f"{self.connector}-{self.command}-{os.getpid()}.json"
        write_atomically(path, json.dumps(asdict(self)))

    @classmethod
    def collect(cls, folder: Path) -> list[Report]:
        return [cls(**json.loads(p.read_text("utf-8"))) for p in sorted(folder.glob("*.json"))]


class CallMeter:
    """Counts the HTTP requests sent through `requests`, per host."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def install(self) -> None:
        send = requests.Session.send
        meter = self

        def counted(session: requests.Session, request: Any, **kwargs: Any) -> Any:
            meter.count(request.url or "")
            return send(session, request, **kwargs)

        requests.Session.send = counted  # type: ignore[method-assign]

    def count(self, url: str) -> None:
        with self._lock:
            self.calls[urlsplit(url).netloc] += 1


class JournaledOutput:
    """The connector's standard output, line by line: CONNECTOR_CONFIG messages journaled
    before they are passed on, RECORD messages counted per stream."""

    def __init__(self, stream: TextIO, on_config: Callable[[dict[str, Any]], None]) -> None:
        self._stream = stream
        self._on_config = on_config
        self._pending = ""
        self._lock = threading.RLock()
        self.records: Counter[str] = Counter()

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            end = self._pending.rfind("\n")
            if end >= 0:
                lines, self._pending = self._pending[: end + 1], self._pending[end + 1 :]
                self._forward(lines)
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        """Pass on what is left of an unfinished last line."""
        with self._lock:
            if self._pending:
                pending, self._pending = self._pending, ""
                self._forward(pending)
            self._stream.flush()

    def _forward(self, lines: str) -> None:
        for line in lines.splitlines(keepends=True):
            if line.startswith(RECORD_PREFIX):
                start = len(RECORD_PREFIX)
                self.records[line[start : line.find('"', start)]] += 1
            elif RECORD_MARK in line[:40] or CONTROL_MARK in line:
                self._observe(line)
        self._stream.write(lines)

    def _observe(self, line: str) -> None:
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            return
        if not isinstance(message, dict):
            return
        if message.get("type") == "RECORD":
            self.records[(message.get("record") or {}).get("stream") or "?"] += 1
        control = message.get("control") or {}
        if message.get("type") == "CONTROL" and control.get("type") == "CONNECTOR_CONFIG":
            self._on_config(control["connectorConfig"]["config"])

    # What code printing to standard output may ask of it.
    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:
        return self._stream.encoding

    def writable(self) -> bool:
        return True


def main(argv: list[str] | None = None) -> None:
    """`python -m invoice_sync.launcher CONNECTOR --config-file F --journal J --reports R --
    <the connector's own arguments>`."""
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(prog="python -m invoice_sync.launcher", allow_abbrev=False)
    parser.add_argument("connector")
    parser.add_argument("--config-file", type=Path, required=True)
    parser.add_argument("--journal", type=Path, required=True)
    parser.add_argument("--reports", type=Path, required=True)
    options = parser.parse_args(argv[:split])
    args = argv[split + 1 :]
    entry = _console_script(options.connector)
    sent = _config_argument(args)
    journal = RotationJournal(options.journal)

    def journal_rotation(config: dict[str, Any]) -> None:
        journal.record(options.config_file, options.connector, changed(sent, config))

    meter = CallMeter()
    meter.install()
    output = JournaledOutput(sys.stdout, journal_rotation)
    sys.stdout = sys.__stdout__ = output  # type: ignore[assignment, misc]
    sys.argv = [options.connector, *args]
    try:
        entry.load()()
    finally:
        output.close()
        command = args[0] if args else "none"
        report = Report(options.connector, command, dict(meter.calls), dict(output.records))
        options.reports.mkdir(parents=True, exist_ok=True, mode=0o700)
        report.save(options.reports)


def _console_script(name: str) -> importlib.metadata.EntryPoint:
    found = importlib.metadata.entry_points(group="console_scripts", name=name)
    if not found:
        sys.exit(f"{name} is not installed in this environment")
    return next(iter(found))


def _config_argument(args: list[str]) -> dict[str, Any]:
    """The config PyAirbyte passed (`--config FILE`), as the connector receives it."""
    if "--config" not in args:
        return {}
    index = args.index("--config") + 1
    return json.loads(Path(args[index]).read_text("utf-8")) if index < len(args) else {}


def write_script(folder: Path, connector: str, *arguments: str) -> Path:
    """The executable PyAirbyte runs for `connector`: this module, in this Python."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    command = shlex.join([sys.executable, "-m", __name__, connector, *arguments, "--"])
    path = folder / connector
    write_atomically(path, f'#!/bin/sh\nexec {command} "$@"\n')
    path.chmod(0o700)
    return path


if __name__ == "__main__":
    main()
