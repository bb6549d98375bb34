"""What every destination of the project does the same way: read the record contract off the
wire, commit records in flushes, echo a state message only once every record before it is
committed or definitively rejected, and say what became of each record.

`RecordWriter` is the write loop. Records are buffered and committed ("flushed") at every state
message, at the end of input, and whenever `FLUSH_RECORDS` have accumulated, so no more than that
many are ever held; a destination says how a flush is written (`commit`). Each record is examined
as it is flushed (`intake`): restored, checked against the contract and fitted to the
destination (`fit`), or rejected with its reason before any call, under the rule for records
that break the contract; an input line that is no message is reported and counted as it
arrives. A state message is
echoed after every record before it is committed, with `destinationStats` counting those
records. When the destination must stop sending (a daily limit: `StopSync`), that flush's state
is not echoed and the sync ends with the error the destination gives, saying when to resume; the
platform replays from the last echoed state, and the destination's look-ups make the replay
write nothing twice.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, TypeVar

from airbyte_cdk.models import (
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStateStats,
    AirbyteStateType,
    ConfiguredAirbyteCatalog,
    DestinationSyncMode,
    FailureType,
    Level,
    Type,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model.connector.intake import Intake
from invoice_model.connector.messages import Unreadable
from invoice_model.connector.progress import RateLimitWaits
from invoice_model.contract import INVOICES, PAYMENTS

FLUSH_RECORDS = 1_000
MAX_LISTED_REJECTIONS = 10
UPSERT_MODES = (DestinationSyncMode.append, DestinationSyncMode.append_dedup)

T = TypeVar("T")
R = TypeVar("R")
Runner = Callable[[Callable[[T], R], Sequence[T]], list[R]]
StreamKey = tuple[str, str | None]


class RecordError(ValueError):
    """Why one record cannot be written; the record is rejected with this message."""


class Outcome(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # already written as the record says: no call
    LEFT_ALONE = "left alone"  # changed at the source, but the destination no longer allows it
    REMOVED = "removed"  # refunded, voided or deleted at the source, removed at the destination
    SKIPPED = "skipped"  # nothing to write (written by the other direction, void and absent)
    REJECTED = "rejected"


@dataclass(frozen=True)
class Result:
    """What became of one record, and what to tell the user about it (None: nothing)."""

    outcome: Outcome
    message: str | None = None


@dataclass(frozen=True)
class Notice:
    """A warning about one record, naming it and, when the destination gave one, its reason."""

    stream: str
    record_id: str
    message: str
    what: str = "record"  # "line" for an input line that was no message

    def __str__(self) -> str:
        return f"{self.stream} {self.what} {self.record_id}: {self.message}"


@dataclass
class Tally:
    """Outcomes per stream, and the input lines that were no message."""

    counts: dict[str, Counter[Outcome]] = field(default_factory=dict)
    unreadable: int = 0

    def add(self, stream: str, outcome: Outcome, n: int = 1) -> None:
        self.counts.setdefault(stream, Counter())[outcome] += n

    def rejected(self) -> int:
        return sum(counter[Outcome.REJECTED] for counter in self.counts.values())

    def summary(self, *, zeros: bool = True) -> str:
        """`invoices: 3 created, 1 updated, ...; payments: ...` (every outcome, or only those
        that happened), and the unreadable input lines when there were any."""
        parts = []
        for stream in sorted(self.counts):
            counter = self.counts[stream]
            shown = [o for o in Outcome if zeros or counter[o]]
            parts.append(f"{stream}: " + ", ".join(f"{counter[o]} {o.value}" for o in shown))
        if self.unreadable:
            parts.append(f"{self.unreadable} unreadable input line(s) skipped")
        return "; ".join(parts) if parts else "no records"


class StopSync(Exception):  # noqa: N818 (an instruction, not an error of the connector's)
    """Nothing more may be sent (a daily limit); `error` is what the sync ends with."""

    def __init__(self, error: AirbyteTracedException) -> None:
        super().__init__(error.message)
        self.error = error


class Workers:
    """Calls made several at a time, up to `max_in_flight`, each task finished on return."""

    def __init__(self, max_in_flight: int, name: str) -> None:
        self.pool = ThreadPoolExecutor(max_in_flight, thread_name_prefix=name)

    def run(self, task: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`task` over `items`; every task has finished on return, so a failure (a daily limit)
        never leaves a call in flight behind it."""
        if len(items) <= 1:
            return [task(item) for item in items]
        futures = [self.pool.submit(task, item) for item in items]
        wait(futures)
        return [future.result() for future in futures]

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class RecordWriter(ABC):
    """One run of `write` (see the module docstring): its buffer, its tally and its notices.

    `system` names the destination in messages ("Keap"); `source_written_here` is the source
    whose records are never written back to where they came from ("keap"); `waits`, the run's
    waits for the destination's rate limits, told against the streams of the flush being
    committed.
    """

    system: str
    source_written_here: str
    waits: RateLimitWaits | None = None

    def __init__(self, *, fail_on_invalid_record: bool) -> None:
        self.fail_on_invalid_record = fail_on_invalid_record
        self.tally = Tally()
        self.buffer: list[tuple[str, Any]] = []
        self.unacknowledged: Counter[StreamKey] = Counter()  # records since each stream's state
        self.rejections: list[Notice] = []
        self.intake = Intake(self.system, self.source_written_here, self.fit)
        self._flush_tally = Tally()

    @abstractmethod
    def commit(
        self,
        invoices: list[Mapping[str, Any]],
        payments: list[Mapping[str, Any]],
        notices: list[Notice],
    ) -> None:
        """Write one flush's valid records (invoices before payments), `settle`-ing each;
        raises `StopSync` when nothing more may be sent."""

    def fit(self, stream: str, record: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """A valid record fitted to what the destination keeps, and a note for each change."""
        return record, []

    @abstractmethod
    def usage(self) -> str:
        """Calls spent and time waited for rate limits so far, for the progress of each flush
        (`progress.calls_and_waits`)."""

    @abstractmethod
    def close(self) -> None:
        """Let go of what the run holds (threads, sessions)."""

    def write(self, messages: Iterable[AirbyteMessage | Unreadable]) -> Iterator[AirbyteMessage]:
        try:
            for message in messages:
                if isinstance(message, Unreadable):
                    yield from self.unreadable(message)
                elif message.type == Type.RECORD and message.record is not None:
                    record = message.record
                    self.buffer.append((record.stream, record.data))
                    self.unacknowledged[(record.stream, record.namespace)] += 1
                    if len(self.buffer) >= FLUSH_RECORDS:
                        yield from self.flush()
                elif message.type == Type.STATE and message.state is not None:
                    yield from self.flush()
                    yield from self.refuse_if_wrongly_shaped(_state_streams(message.state))
                    yield self.acknowledge(message.state)
            yield from self.flush()
            yield from self.refuse_if_wrongly_shaped(None)
            yield log(Level.INFO, f"{self.system}: {self.tally.summary()}")
        except StopSync as stop:
            yield log(Level.WARN, f"{self.system}: stopped; {self.tally.summary()}")
            raise stop.error from stop
        finally:
            self.close()

    def flush(self) -> Iterator[AirbyteMessage]:
        """Commit every buffered record; a warning for each one rejected or left alone, then
        the flush's progress."""
        records, self.buffer = self.buffer, []
        if not records:
            return
        self._flush_tally = Tally()
        notices: list[Notice] = []
        chosen: dict[str, dict[str, Mapping[str, Any]]] = {INVOICES.name: {}, PAYMENTS.name: {}}
        for stream, data in records:
            examined = self.intake.examine(stream, data)
            record_id = str(data.get("source_id")) if isinstance(data, Mapping) else "?"
            notices += (
                Notice(stream, record_id, f"fitted to {self.system}: {note}")
                for note in examined.notes
            )
            if examined.record is None:
                result = Result(Outcome.REJECTED, examined.problem)
                self.settle(stream, record_id, result, notices)
            elif examined.record["written_by_sync"]:
                self.count(stream, Outcome.SKIPPED)
            else:
                if record_id in chosen[stream]:  # a later copy of the same record supersedes it
                    self.count(stream, Outcome.UNCHANGED)
                chosen[stream][record_id] = examined.record
        if self.waits is not None:
            self.waits.writing(stream for stream, found in chosen.items() if found)
        try:
            self.commit(
                list(chosen[INVOICES.name].values()), list(chosen[PAYMENTS.name].values()), notices
            )
        except StopSync:
            # What is known of the flush is told before it is cut short.
            yield from (log(Level.WARN, str(notice)) for notice in notices)
            raise
        yield from (log(Level.WARN, str(notice)) for notice in notices)
        done = self._flush_tally.summary(zeros=False)
        progress = f"{self.system}: flushed {len(records):,} records ({done}); {self.usage()}"
        yield log(Level.INFO, progress)
        if self.fail_on_invalid_record and self.rejections:
            raise rejections_error(self.rejections)

    def settle(self, stream: str, record_id: str, result: Result, notices: list[Notice]) -> None:
        """Count what became of a record; a notice when there is something to tell."""
        self.count(stream, result.outcome)
        if result.message is None:
            return
        notice = Notice(stream, record_id, f"{result.outcome.value}: {result.message}")
        notices.append(notice)
        if result.outcome is Outcome.REJECTED:
            self.rejections.append(notice)

    def unreadable(self, line: Unreadable) -> Iterator[AirbyteMessage]:
        """An input line that is no message: reported and counted; under `on_invalid_record:
        fail`, the end of the sync once what came before it is committed.
        """
        self.tally.unreadable += 1
        notice = Notice("input", str(line.line_number), line.reason, what="line")
        self.rejections.append(notice)
        yield log(Level.WARN, f"{self.system}: {notice}; skipped")
        if self.fail_on_invalid_record:
            yield from self.flush()
            raise rejections_error(self.rejections)

    def refuse_if_wrongly_shaped(self, streams: list[str] | None) -> Iterator[AirbyteMessage]:
        """End the sync, before a state is echoed, when every record so far of one of `streams`
        broke the contract's shape (the rule, in `intake`).
        """
        error = self.intake.wrongly_shaped(streams)
        if error is not None:
            yield log(Level.WARN, f"{self.system}: {error.message} {self.tally.summary()}")
            raise error

    def acknowledge(self, state: AirbyteStateMessage) -> AirbyteMessage:
        """The state message, echoed with the count of records it covers."""
        if state.type == AirbyteStateType.STREAM and state.stream is not None:
            descriptor = state.stream.stream_descriptor
            count = self.unacknowledged.pop((descriptor.name, descriptor.namespace), 0)
        else:
            count = sum(self.unacknowledged.values())
            self.unacknowledged.clear()
        state.destinationStats = AirbyteStateStats(recordCount=float(count))
        return AirbyteMessage(type=Type.STATE, state=state)

    def count(self, stream: str, outcome: Outcome) -> None:
        """A record's outcome, with nothing to tell about it."""
        self.tally.add(stream, outcome)
        self._flush_tally.add(stream, outcome)


def _state_streams(state: AirbyteStateMessage) -> list[str] | None:
    """The stream a state message is about; None (all) for a global or legacy state."""
    if state.type == AirbyteStateType.STREAM and state.stream is not None:
        return [state.stream.stream_descriptor.name]
    return None


def supported_streams(catalog: ConfiguredAirbyteCatalog, destination: str) -> set[str]:
    """The catalog's streams, refused at the start unless all are contract streams, each
    written as an upsert."""
    names = set()
    supported = (INVOICES.name, PAYMENTS.name)
    for configured in catalog.streams:
        name = configured.stream.name
        if name not in supported:
            raise AirbyteTracedException(
                message=(
                    f"Stream {name!r} is not supported: {destination} writes the record "
                    f"contract's streams {', '.join(supported)}."
                ),
                failure_type=FailureType.config_error,
            )
        if configured.destination_sync_mode not in UPSERT_MODES:
            mode = getattr(
                configured.destination_sync_mode, "value", configured.destination_sync_mode
            )
            raise AirbyteTracedException(
                message=(
                    f"Stream {name!r}: sync mode {mode!r} is not supported. Records are never "
                    "wiped and rewritten; use append or append_dedup, which both upsert."
                ),
                failure_type=FailureType.config_error,
            )
        names.add(name)
    return names


def log(level: Level, message: str) -> AirbyteMessage:
    return AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=level, message=message))


def rejections_error(rejections: list[Notice]) -> AirbyteTracedException:
    listed = "; ".join(str(notice) for notice in rejections[:MAX_LISTED_REJECTIONS])
    more = len(rejections) - MAX_LISTED_REJECTIONS
    return AirbyteTracedException(
        message=(
            f"{len(rejections)} record(s) rejected and on_invalid_record is 'fail': {listed}"
            + (f"; and {more} more" if more > 0 else "")
        ),
        failure_type=FailureType.system_error,
    )
