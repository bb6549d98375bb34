"""`invoice-sync run`: one sync of each enabled direction, one at a time, recorded in the run log.

Runs of one connection never overlap (a lock in the state folder; a cron job that fires while
the last run is still going stops at once). Before any connector starts, rotated credentials a
killed run left in the journal are written into their config files; a run that died is entered
in the log as interrupted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from invoice_sync.configs import write_atomically
from invoice_sync.connection import Connection
from invoice_sync.directions import Plan, plans
from invoice_sync.engine import DirectionSync, StateFolder
from invoice_sync.history import DirectionRun, History, RunRecord


class RunInProgressError(RuntimeError):
    """Another run of the same connection holds its state."""


def run(connection: Connection, on_start: Callable[[Plan], None] | None = None) -> RunRecord:
    """One sync of each enabled direction; the run as recorded in the log."""
    chosen = plans(connection)
    folder = StateFolder(connection.state_dir).create()
    config_files = {"keap": connection.keap_config, "xero": connection.xero_config}
    history = History(folder.history)
    with _exclusive(folder.lock):
        _record_interrupted(folder, history)
        started = time.monotonic()
        record = RunRecord(history.next_number(), _now())
        marker = folder.marker
        write_atomically(marker, json.dumps({"number": record.number, "at": record.started_at}))
        record.recovered = folder.journal.settle()
        for plan in chosen:
            if on_start:
                on_start(plan)
            record.directions.append(_sync(plan, config_files, folder))
        # Rotations PyAirbyte never relayed (a connector cut short) are in the journal alone.
        record.recovered += folder.journal.settle()
        record.finish(round(time.monotonic() - started, 1))
        history.append(record)
        marker.unlink()
    return record


def _sync(plan: Plan, config_files: dict[str, Path], folder: StateFolder) -> DirectionRun:
    try:
        return DirectionSync(plan, config_files, folder).run()
    except Exception as error:  # a config file gone, PyAirbyte failing before any connector ran
        direction = plan.direction
        failed = DirectionRun(direction.key, direction.title, plan.description, "failed")
        failed.error = f"{type(error).__name__}: {error}"
        return failed


def _record_interrupted(folder: StateFolder, history: History) -> None:
    """A run whose process died leaves its marker: enter it in the log as interrupted."""
    marker = folder.marker
    try:
        left = json.loads(marker.read_text("utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return
    history.append(RunRecord(left["number"], left["at"], status="interrupted"))
    marker.unlink()


@contextlib.contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(descriptor, 32).decode(errors="replace").strip() or "?"
            raise RunInProgressError(
                f"another run of this connection is in progress (process {holder})"
            ) from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, str(os.getpid()).encode())
        yield
    finally:
        os.close(descriptor)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
