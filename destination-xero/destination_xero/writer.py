"""The write loop: buffer records, commit them in batches, echo state only once it is true.

Records are buffered and committed ("flushed") at every state message, at the end of input,
and whenever `FLUSH_RECORDS` have accumulated, so no more than that many are ever held. A flush
resolves the contacts of its invoices, writes its invoices, then its payments, each in Xero
batches of up to 50, up to five calls in flight. Flushing many records together is what keeps
calls per record low: one contact look-up and one invoice look-up serve up to 1,000 records,
and a batch is only half-full at the end of a flush.

Each record is examined as it is flushed (`intake`): restored, checked against the contract and
fitted to Xero's limits, or rejected with its reason before any call; an input line that is no
message is reported and counted as it arrives.

A state message is echoed after every record before it is committed or definitively rejected,
with `destinationStats` counting those records. When Xero's daily limit stops the sync
mid-flush, nothing more is sent, that flush's state is not echoed, and the sync ends with a
transient error saying when to resume; the platform replays from the last echoed state, and
the look-ups make the replay write nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, TypeVar

from airbyte_cdk.models import (
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStateStats,
    AirbyteStateType,
    FailureType,
    Level,
    Type,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_xero.books import Books
from destination_xero.client import MAX_IN_FLIGHT, XeroClient
from destination_xero.config import Settings
from destination_xero.contacts import ContactDirectory
from destination_xero.intake import Intake
from destination_xero.invoices import InvoiceWriter, Result
from destination_xero.ledger import Ledger
from destination_xero.outcomes import Notice, Outcome, Tally
from destination_xero.pacing import DailyLimitError
from destination_xero.payments import PaymentWriter
from invoice_model.connector.messages import Unreadable
from invoice_model.contract import INVOICES, PAYMENTS

FLUSH_RECORDS = 1_000
MAX_LISTED_REJECTIONS = 10

T = TypeVar("T")
R = TypeVar("R")
StreamKey = tuple[str, str | None]


class Writer:
    """One run of `write`: its caches, its thread pool and its tally."""

    def __init__(self, settings: Settings, client: XeroClient, books: Books) -> None:
        self.settings = settings
        self.pool = ThreadPoolExecutor(MAX_IN_FLIGHT, thread_name_prefix="xero")
        self.contacts = ContactDirectory(client, settings.contacts, self.run)
        self.ledger = Ledger(client, self.run)
        self.invoices = InvoiceWriter(client, self.ledger, books, settings.invoices, self.run)
        self.payments = PaymentWriter(
            client, self.ledger, settings.invoices, settings.payment_account_code or "", self.run
        )
        self.tally = Tally()
        self.buffer: list[tuple[str, dict[str, Any]]] = []
        self.unacknowledged: Counter[StreamKey] = Counter()  # records since each stream's state
        self.rejections: list[Notice] = []
        self.intake = Intake(settings.invoices)

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
            yield _log(Level.INFO, f"Xero: {self.tally.summary()}")
        except DailyLimitError as stop:
            yield _log(Level.WARN, f"Xero: stopped at the daily call limit; {self.tally.summary()}")
            raise _daily_limit_error(stop) from stop
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def run(self, task: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`task` over `items`, up to five at a time; every task has finished on return, so a
        failure (the daily limit) never leaves a call in flight behind it.
        """
        if len(items) <= 1:
            return [task(item) for item in items]
        futures = [self.pool.submit(task, item) for item in items]
        wait(futures)
        return [future.result() for future in futures]

    def flush(self) -> Iterator[AirbyteMessage]:
        """Commit every buffered record; a warning for each one rejected or left alone."""
        records, self.buffer = self.buffer, []
        if not records:
            return
        notices: list[Notice] = []
        invoices: dict[str, dict[str, Any]] = {}
        payments: dict[str, dict[str, Any]] = {}
        for stream, data in records:
            examined = self.intake.examine(stream, data)
            record_id = str(data.get("source_id")) if isinstance(data, Mapping) else "?"
            notices += (Notice(stream, record_id, f"fitted to Xero: {n}") for n in examined.notes)
            if examined.record is None:
                result = Result(Outcome.REJECTED, examined.problem)
                self._settle(stream, record_id, result, notices)
            elif examined.record["written_by_sync"]:
                self.tally.add(stream, Outcome.SKIPPED)
            else:
                chosen = invoices if stream == INVOICES.name else payments
                if record_id in chosen:  # a later copy of the same record supersedes it
                    self.tally.add(stream, Outcome.UNCHANGED)
                chosen[record_id] = examined.record
        try:
            self._write_invoices(list(invoices.values()), notices)
            for record_id, result in self.payments.write(list(payments.values())).items():
                self._settle(PAYMENTS.name, record_id, result, notices)
        except DailyLimitError:
            # What is known of the flush is told before it is cut short.
            yield from (_log(Level.WARN, str(notice)) for notice in notices)
            raise
        self.ledger.trim()
        yield from (_log(Level.WARN, str(notice)) for notice in notices)
        if self.settings.fail_on_invalid_record and self.rejections:
            raise _rejections_error(self.rejections)

    def _write_invoices(self, records: list[dict[str, Any]], notices: list[Notice]) -> None:
        contact_ids = self.contacts.resolve(record["contact"] for record in records)
        ready = []
        for record in records:
            contact_id = contact_ids[record["contact"]["source_id"]]
            if isinstance(contact_id, str):
                ready.append((record, contact_id))
            else:
                result = Result(Outcome.REJECTED, str(contact_id))
                self._settle(INVOICES.name, record["source_id"], result, notices)
        results = self.invoices.write(ready, fresh_contacts=self.contacts.created)
        for record_id, result in results.items():
            self._settle(INVOICES.name, record_id, result, notices)

    def _settle(self, stream: str, record_id: str, result: Result, notices: list[Notice]) -> None:
        self.tally.add(stream, result.outcome)
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
        yield _log(Level.WARN, f"Xero: {notice}; skipped")
        if self.settings.fail_on_invalid_record:
            yield from self.flush()
            raise _rejections_error(self.rejections)

    def refuse_if_wrongly_shaped(self, streams: list[str] | None) -> Iterator[AirbyteMessage]:
        """End the sync, before a state is echoed, when every record so far of one of `streams`
        broke the contract's shape (the rule, in `intake`).
        """
        error = self.intake.wrongly_shaped(streams)
        if error is not None:
            yield _log(Level.WARN, f"Xero: {error.message} {self.tally.summary()}")
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


def _state_streams(state: AirbyteStateMessage) -> list[str] | None:
    """The stream a state message is about; None (all) for a global or legacy state."""
    if state.type == AirbyteStateType.STREAM and state.stream is not None:
        return [state.stream.stream_descriptor.name]
    return None


def _log(level: Level, message: str) -> AirbyteMessage:
    return AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=level, message=message))


def _daily_limit_error(stop: DailyLimitError) -> AirbyteTracedException:
    if stop.retry_after:
        resume = dt.datetime.fromtimestamp(stop.at + stop.retry_after, dt.UTC)
        when = f"after {resume:%Y-%m-%d %H:%M} UTC (in {stop.retry_after / 3600:.1f} h)"
    else:
        when = "when Xero's daily window resets"
    return AirbyteTracedException(
        message=(
            "Xero's daily call limit for this organisation is reached. Every record up to the "
            f"last state message is committed; run the sync again {when}."
        ),
        internal_message=str(stop),
        failure_type=FailureType.transient_error,
    )


def _rejections_error(rejections: list[Notice]) -> AirbyteTracedException:
    listed = "; ".join(str(notice) for notice in rejections[:MAX_LISTED_REJECTIONS])
    more = len(rejections) - MAX_LISTED_REJECTIONS
    return AirbyteTracedException(
        message=(
            f"{len(rejections)} record(s) rejected and on_invalid_record is 'fail': {listed}"
            + (f"; and {more} more" if more > 0 else "")
        ),
        failure_type=FailureType.system_error,
    )
