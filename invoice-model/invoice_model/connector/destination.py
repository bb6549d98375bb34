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

A record the destination cannot settle yet, because what it needs may still come in this sync
(a payment whose invoice is not written yet, an invoice its payments stand in the way of), can
`wait`: it is offered again with every later flush (a newer copy of it supersedes it), and no
state of its stream is echoed while it waits (the latest is held, and echoed as soon as nothing
of its stream waits). Whether more may come is what the source reports: a stream it reported
`COMPLETE` (stream statuses, which Airbyte passes to destinations), or one the connection does
not sync, brings nothing more (`may_come`). When the input ends, what still waits is offered
once more, the destination deciding with `ended` set; what waits after that is counted, told,
and left to the next sync, its state not echoed, so that the source sends it again.

`write_when_records_come` makes the writer (signed in, the account read) only once something
comes to write: a sync that brings nothing new, as most scheduled syncs do, makes no call.
"""

from __future__ import annotations

import enum
import itertools
from abc import ABC, abstractmethod
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, TypeVar

from airbyte_cdk.models import (
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStateStats,
    AirbyteStateType,
    AirbyteStreamStatus,
    AirbyteStreamStatusTraceMessage,
    ConfiguredAirbyteCatalog,
    DestinationSyncMode,
    FailureType,
    Level,
    TraceType,
    Type,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model.connector.intake import Intake
from invoice_model.connector.messages import Unreadable
from invoice_model.connector.progress import RateLimitWaits
from invoice_model.contract import INVOICES, PAYMENTS

FLUSH_RECORDS = 1_000
MAX_LISTED_REJECTIONS = 10
# Records kept in memory while they wait; beyond it they are dropped, to come again in the next
# sync (their stream's state is held back all the same).
MAX_WAITING = 10_000
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
    WAITING = "waiting"  # for what this sync did not bring: sent again by the next (`wait`)


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
            shown = [o for o in Outcome if (zeros and o is not Outcome.WAITING) or counter[o]]
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

    def __init__(
        self,
        *,
        fail_on_invalid_record: bool,
        streams: Set[str] = frozenset((INVOICES.name, PAYMENTS.name)),
    ) -> None:
        self.fail_on_invalid_record = fail_on_invalid_record
        self.streams = streams  # the connection's
        self.tally = Tally()
        self.buffer: list[tuple[StreamKey, Any]] = []
        self.unacknowledged: Counter[StreamKey] = Counter()  # records since each stream's state
        self.rejections: list[Notice] = []
        self.intake = Intake(self.system, self.source_written_here, self.fit)
        self._flush_tally = Tally()
        self.statuses: dict[str, AirbyteStreamStatus] = {}  # as the source reported them
        self.ended = False  # the input has ended: what waits is offered a last time
        # Records that wait, by stream and source ID, with their stream's key; the streams of
        # those no longer kept; the latest state held back by stream (None: a global state).
        self.waiting: OrderedDict[tuple[str, str], tuple[StreamKey, dict[str, Any]]] = OrderedDict()
        self.dropped: set[StreamKey] = set()
        self.held: dict[StreamKey | None, AirbyteStateMessage] = {}
        self._keys: dict[tuple[str, str], StreamKey] = {}  # of the records being flushed
        self._offer_waiting = False

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
                    key = (record.stream, record.namespace)
                    self.buffer.append((key, record.data))
                    self.unacknowledged[key] += 1
                    if len(self.buffer) >= FLUSH_RECORDS:
                        yield from self.flush()
                elif message.type == Type.STATE and message.state is not None:
                    yield from self.flush()
                    yield from self.refuse_if_wrongly_shaped(_state_streams(message.state))
                    yield from self.receive(message.state)
                elif (status := _stream_status(message)) is not None:
                    name = status.stream_descriptor.name
                    self.statuses[name] = status.status
                    self._offer_waiting |= not self.may_come(name)
            yield from self.flush()
            yield from self.refuse_if_wrongly_shaped(None)
            yield from self._at_the_end()
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
        offered, offer = self.waiting.copy(), self.ended or self._offer_waiting
        if not records and not (offered and offer):
            return
        self._offer_waiting = False
        self.waiting.clear()
        self._flush_tally = Tally()
        notices: list[Notice] = []
        chosen: dict[str, dict[str, Mapping[str, Any]]] = {INVOICES.name: {}, PAYMENTS.name: {}}
        self._keys = {}
        for (stream, record_id), (key, data) in offered.items():
            chosen[stream][record_id] = data
            self._keys[(stream, record_id)] = key
        for key, data in records:
            stream = key[0]
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
                if (stream, record_id) in self._keys and (stream, record_id) not in offered:
                    self.count(stream, Outcome.UNCHANGED)  # a later copy supersedes it
                chosen[stream].pop(record_id, None)  # as it does one that waited
                chosen[stream][record_id] = examined.record
                self._keys[(stream, record_id)] = key
                offered.pop((stream, record_id), None)
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
        again = f" and {len(offered):,} that waited" if offered else ""
        progress = f"{self.system}: flushed {len(records):,} records{again} ({done})"
        yield log(Level.INFO, f"{progress}; {self.usage()}")
        if self.fail_on_invalid_record and self.rejections:
            raise rejections_error(self.rejections, self.system)
        yield from self._release()

    def may_come(self, stream: str) -> bool:
        """Whether more records of `stream` may come in this sync: the connection syncs it and
        the source has not reported it complete."""
        complete = self.statuses.get(stream) == AirbyteStreamStatus.COMPLETE
        return stream in self.streams and not complete

    def cut_short(self, stream: str) -> bool:
        """Whether the source reported `stream` started and not complete: it failed, or the
        sync was stopped, and what it did not send comes in the next sync."""
        return stream in self.statuses and self.may_come(stream)

    def wait(self, stream: str, record: Mapping[str, Any]) -> None:
        """Keep a record of the flush being committed, to offer again with the next flushes
        (see the module docstring); beyond `MAX_WAITING` only its stream is remembered, its
        state held back all the same."""
        record_id = str(record["source_id"])
        key = self._keys.get((stream, record_id), (stream, None))
        if len(self.waiting) < MAX_WAITING:
            self.waiting[(stream, record_id)] = (key, dict(record))
        else:
            self.dropped.add(key)

    def settle(self, stream: str, record_id: str, result: Result, notices: list[Notice]) -> None:
        """Count what became of a record; a notice when there is something to tell. (A record
        that waits is counted once settled, or when the input ends.)"""
        if result.outcome is Outcome.WAITING:
            return
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
            raise rejections_error(self.rejections, self.system)

    def refuse_if_wrongly_shaped(self, streams: list[str] | None) -> Iterator[AirbyteMessage]:
        """End the sync, before a state is echoed, when every record so far of one of `streams`
        broke the contract's shape (the rule, in `intake`).
        """
        error = self.intake.wrongly_shaped(streams)
        if error is not None:
            yield log(Level.WARN, f"{self.system}: {error.message} {self.tally.summary()}")
            raise error

    def receive(self, state: AirbyteStateMessage) -> Iterator[AirbyteMessage]:
        """A state message, echoed, or held back while a record of its stream before it waits
        (a newer state of the stream replaces it)."""
        key = _state_key(state)
        if self._waits(key):
            self.held[key] = state
            return
        yield self.acknowledge(state)

    def _release(self) -> Iterator[AirbyteMessage]:
        """The states held back whose streams no longer wait."""
        for key in [k for k in self.held if not self._waits(k)]:
            yield self.acknowledge(self.held.pop(key))

    def _waits(self, key: StreamKey | None) -> bool:
        """Whether a record of stream `key` (None: any stream, for a global state) waits."""
        streams = {k for k, _ in self.waiting.values()} | self.dropped
        return bool(streams) if key is None else key in streams

    def _at_the_end(self) -> Iterator[AirbyteMessage]:
        """What waits when the input ends: offered once more, then counted and told; its state
        is not echoed, so the next sync sends it again."""
        if not (self.waiting or self.dropped):
            return
        self.ended = True
        yield from self.flush()
        waiting = [(stream, data) for (stream, _), (_, data) in self.waiting.items()]
        for stream, _ in waiting:
            self.tally.add(stream, Outcome.WAITING)
        if not (waiting or self.dropped):
            return
        listed = "; ".join(
            f"{stream} record {data['source_id']} ({self.awaits(stream, data)})"
            for stream, data in waiting[:MAX_LISTED_REJECTIONS]
        )
        more = len(waiting) - MAX_LISTED_REJECTIONS
        yield log(
            Level.WARN,
            f"{self.system}: {len(waiting) or 'some'} record(s) wait for what this sync did not "
            f"bring: {listed}"
            + (f"; and {more} more" if more > 0 else "")
            + ". Their state is not echoed: the next sync sends them again.",
        )

    def awaits(self, stream: str, record: Mapping[str, Any]) -> str:
        """What a waiting record of `stream` waits for, in words."""
        other = PAYMENTS.name if stream == INVOICES.name else INVOICES.name
        return f"its {other}"

    def acknowledge(self, state: AirbyteStateMessage) -> AirbyteMessage:
        """The state message, echoed with the count of records it covers."""
        key = _state_key(state)
        if key is not None:
            count = self.unacknowledged.pop(key, 0)
        else:
            count = sum(self.unacknowledged.values())
            self.unacknowledged.clear()
        state.destinationStats = AirbyteStateStats(recordCount=float(count))
        return AirbyteMessage(type=Type.STATE, state=state)

    def count(self, stream: str, outcome: Outcome) -> None:
        """A record's outcome, with nothing to tell about it."""
        self.tally.add(stream, outcome)
        self._flush_tally.add(stream, outcome)


def write_when_records_come(
    messages: Iterable[AirbyteMessage | Unreadable],
    writer: Callable[[], RecordWriter],
    system: str,
) -> Iterator[AirbyteMessage]:
    """The `write` of a destination whose writer costs calls to make (a sign-in, the account
    read): `writer()` is called at the first record (or unreadable input line), and writes it
    and all that follows, the other messages before it first (the stream statuses it goes by).
    Until then each state is echoed covering no record; when no record comes, no call is made,
    and the summary is the write loop's (`Keap: no records`), for whatever reads it.
    """
    messages = iter(messages)
    before: list[AirbyteMessage] = []
    for message in messages:
        if isinstance(message, Unreadable) or message.type == Type.RECORD:
            yield from writer().write(itertools.chain(before, [message], messages))
            return
        if message.type == Type.STATE and message.state is not None:
            message.state.destinationStats = AirbyteStateStats(recordCount=0.0)
            yield message
        else:
            before.append(message)
    yield log(Level.INFO, f"{system}: {Tally().summary()}")  # the write loop's, for no record


def _stream_status(message: AirbyteMessage) -> AirbyteStreamStatusTraceMessage | None:
    """A stream status the source reported (`COMPLETE`: it sent all it will in this sync)."""
    trace = message.trace if message.type == Type.TRACE else None
    if trace is None or trace.type != TraceType.STREAM_STATUS:
        return None
    return trace.stream_status


def _state_key(state: AirbyteStateMessage) -> StreamKey | None:
    """The stream a state message is about; None for a global or legacy state."""
    if state.type == AirbyteStateType.STREAM and state.stream is not None:
        descriptor = state.stream.stream_descriptor
        return (descriptor.name, descriptor.namespace)
    return None


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


def rejections_error(rejections: list[Notice], system: str) -> AirbyteTracedException:
    """`on_invalid_record: fail`: the sync stops once the flush is committed, its state not
    echoed, so the next sync meets the same records again; the message says how to get past."""
    listed = "; ".join(str(notice) for notice in rejections[:MAX_LISTED_REJECTIONS])
    more = len(rejections) - MAX_LISTED_REJECTIONS
    return AirbyteTracedException(
        message=(
            f"{len(rejections)} record(s) rejected and on_invalid_record is 'fail': {listed}"
            + (f"; and {more} more" if more > 0 else "")
            + f". Every other record is written. Each sync stops here until these are fixed: in "
            f"{system} or in this connector's config for what {system} refused, at the source "
            "for what the source sent wrong (the change sends the record again); or let them "
            "through with one sync on on_invalid_record 'skip', which rejects and passes them."
        ),
        failure_type=FailureType.system_error,
    )
