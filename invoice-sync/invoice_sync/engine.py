"""One direction's sync through PyAirbyte: the source's records streamed into the destination,
the state the destination acknowledged kept in DuckDB.

PyAirbyte runs offline (`AIRBYTE_OFFLINE_MODE`: no registry, no telemetry) with the connectors of
this environment as local executables, each started through `launcher`. The sync is
`destination.write(source, cache=False, state_cache=<DuckDB>)`: records go from the source to
the destination as the source emits them, its state messages with them, and the states the
destination echoes (everything before them committed) are what the next run starts from. Going
through PyAirbyte's record cache instead would resend every record ever cached on every run and
echo each stream's state only at its end.

The state file is named after the direction and its settings (mode, start point): a change of
settings starts afresh from the new start point, and the destinations' look-ups make the re-read
write nothing twice.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from invoice_sync import launcher
from invoice_sync.configs import RotationJournal, apply_changes, changed, read_config
from invoice_sync.directions import Plan
from invoice_sync.history import DirectionRun, Rejection, StreamFigures
from invoice_sync.outcomes import REJECTED, UNCHANGED, WRITTEN, ConnectorLog

if TYPE_CHECKING:
    from airbyte.destinations.base import Destination
    from airbyte.sources.base import Source


class StateFolder:
    """Where a connection keeps its state, run log, rotation journal and scratch files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def create(self) -> StateFolder:
        for folder in (self.root, self.states, self.scratch, self.logs):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    @property
    def states(self) -> Path:
        return self.root / "state"

    @property
    def scratch(self) -> Path:
        return self.root / "tmp"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def journal(self) -> RotationJournal:
        return RotationJournal(self.root / "rotations.jsonl")

    @property
    def history(self) -> Path:
        return self.root / "history.jsonl"

    @property
    def lock(self) -> Path:
        return self.root / "lock"

    @property
    def marker(self) -> Path:
        """Present while a run goes on: left behind, it names a run whose process died."""
        return self.root / "running.json"

    def state_file(self, plan: Plan) -> Path:
        return self.states / f"{plan.direction.key}--{plan.settings}.duckdb"


def pyairbyte(logs: Path) -> ModuleType:
    """PyAirbyte, imported offline; its settings are read once, at import."""
    os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("AIRBYTE_LOGGING_ROOT", str(logs))
    with warnings.catch_warnings():
        # Google's client libraries, which PyAirbyte imports, warn about Python versions.
        warnings.simplefilter("ignore", FutureWarning)
        import airbyte  # noqa: PLC0415 (a few seconds: only when a sync runs)
    return airbyte


class DirectionSync:
    """Runs one direction of a connection once, and says what became of it."""

    def __init__(self, plan: Plan, config_files: dict[str, Path], folder: StateFolder) -> None:
        self.plan = plan
        self.direction = plan.direction
        self.source_file = config_files[self.direction.source_account]
        self.destination_file = config_files[self.direction.destination_account]
        self.folder = folder

    def run(self) -> DirectionRun:
        result = DirectionRun(self.direction.key, self.direction.title, self.plan.description)
        started = time.monotonic()
        reports = Path(tempfile.mkdtemp(prefix="reports-", dir=self.folder.scratch))
        try:
            with self._connectors(reports) as (source, destination, logs), self._state() as state:
                try:
                    destination.write(source, cache=False, state_cache=state)
                except Exception as error:  # PyAirbyte's, for a failed connector
                    result.status = "failed"
                    result.error = _error_message(error, logs)
                self._tally(
                    result, logs[self.direction.destination], launcher.Report.collect(reports)
                )
        finally:
            shutil.rmtree(reports, ignore_errors=True)
            result.seconds = round(time.monotonic() - started, 1)
        return result

    @contextlib.contextmanager
    def _connectors(
        self, reports: Path
    ) -> Iterator[tuple[Source, Destination, dict[str, ConnectorLog]]]:
        airbyte = pyairbyte(self.folder.logs)
        plan, direction = self.plan, self.direction
        source_config = {**read_config(self.source_file), **plan.source_overrides}
        quiet = io.StringIO()  # PyAirbyte announces each executable and log file
        with contextlib.redirect_stderr(quiet):
            source = airbyte.get_source(
                direction.source,
                config=source_config,
                local_executable=self._script(direction.source, self.source_file, reports),
                config_change_callback=self._saver(lambda: source, self.source_file),
            )
            source.select_streams(list(plan.streams))
            source.set_cursor_key("invoices", plan.cursor)
            destination = airbyte.get_destination(
                direction.destination,
                config=read_config(self.destination_file),
                local_executable=self._script(
                    direction.destination, self.destination_file, reports
                ),
                config_change_callback=self._saver(lambda: destination, self.destination_file),
            )
        logs = {name: ConnectorLog() for name in (direction.source, direction.destination)}
        for name, handler in logs.items():
            logging.getLogger(f"airbyte.{name}").addHandler(handler)
        try:
            yield source, destination, logs
        finally:
            for name, handler in logs.items():
                logging.getLogger(f"airbyte.{name}").removeHandler(handler)

    def _script(self, connector: str, config_file: Path, reports: Path) -> Path:
        journal = self.folder.journal.path
        arguments = ("--config-file", str(config_file.resolve()), "--journal", str(journal))
        return launcher.write_script(
            self.folder.scratch / "bin", connector, *arguments, "--reports", str(reports)
        )

    @staticmethod
    def _saver(connector: Callable[[], Any], config_file: Path) -> Callable[[dict], None]:
        """PyAirbyte's `config_change_callback`: the rotated config into its file, and into
        the connector's in-memory config, which PyAirbyte does not update itself."""

        def save(new_config: dict[str, Any]) -> None:
            current = connector().get_config()
            changes = changed(current, new_config)
            apply_changes(config_file, changes)
            connector().set_config({**current, **changes}, validate=False)

        return save

    def _state(self) -> Any:
        """The DuckDB file of this direction's state; closed after the sync, so that nothing
        of it stays open in this process (a state folder may be restored between runs)."""
        from airbyte.caches import DuckDBCache  # noqa: PLC0415 (imported with PyAirbyte)

        return DuckDBCache(
            db_path=self.folder.state_file(self.plan), cache_dir=self.folder.scratch / "cache"
        )

    def _tally(
        self,
        result: DirectionRun,
        destination_log: ConnectorLog,
        reports: list[launcher.Report],
    ) -> None:
        outcomes = destination_log.outcomes
        read: Counter[str] = Counter()
        for report in reports:
            result.calls[report.connector] = result.calls.get(report.connector, 0) + sum(
                report.calls.values()
            )
            if report.connector == self.direction.source:
                read.update(report.records)
        for stream in self.plan.streams:
            result.streams[stream] = StreamFigures(
                read=read[stream],
                written=outcomes.column(stream, WRITTEN),
                unchanged=outcomes.column(stream, UNCHANGED),
                rejected=outcomes.column(stream, REJECTED),
                outcomes=dict(outcomes.counts.get(stream, {})),
            )
        for notice in outcomes.notices:
            if notice.outcome in REJECTED:
                result.rejections.append(Rejection(notice.stream, notice.record_id, notice.reason))
            else:
                reason = f"{notice.outcome}: {notice.reason}"
                result.notices.append(Rejection(notice.stream, notice.record_id, reason))
        if result.status == "succeeded" and not outcomes.summarised:
            result.status = "failed"
            result.error = f"{self.direction.destination} ended without its summary of outcomes"


def _error_message(error: Exception, logs: dict[str, ConnectorLog]) -> str:
    """What the connectors said when they failed, else PyAirbyte's own account of it."""
    said = [f"{name}: {message}" for name, log in logs.items() for message in log.outcomes.errors]
    if said:
        return "; ".join(said)
    parts = [f"{type(error).__name__}: {getattr(error, 'get_message', error.__str__)()}"]
    context = getattr(error, "context", None) or {}
    parts += [f"{key.replace('_', ' ')} {value}" for key, value in context.items()]
    if getattr(error, "log_file", None):
        parts.append(f"log {error.log_file}")  # type: ignore[attr-defined]
    return "; ".join(parts)
