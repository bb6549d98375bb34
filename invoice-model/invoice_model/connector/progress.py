"""What a sync tells a person watching it while it runs.

- A source logs each page it reads: the stream, the page, what it asked for, the records so far
  and the cursor reached (`log_page`); where the API counts what a read will bring, it sends an
  ESTIMATE trace message first (`row_estimate`).
- A destination logs each flush (the connector kit's write loop) with the calls spent and the
  time waited for the API's rate limits (`calls_and_waits`), and says so when a wait for a rate
  limit begins, while it waits (`RateLimitWaits`): a log line with how long, and a stream status
  RUNNING, rate limited until then, for each stream of the catalog being written. The CDK's own
  status for a wait names its HTTP client ("xero"), a stream no catalog has; a destination's
  clients serve no single stream, so they report none of their own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

import orjson
from airbyte_cdk.models import (
    AirbyteEstimateTraceMessage,
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteStreamStatus,
    AirbyteStreamStatusReason,
    AirbyteStreamStatusReasonType,
    AirbyteTraceMessage,
    EstimateType,
    Level,
    StreamDescriptor,
    TraceType,
    Type,
)
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message
from airbyte_protocol_dataclasses.models import AirbyteStreamStatusRateLimitedReason

from invoice_model.dates import utc_now


def log_page(
    logger: logging.Logger,
    stream: str,
    *,
    page: int,
    asked: str,
    read: int,
    records: int,
    cursor: str | None,
) -> None:
    """`invoices: page 3 (changed since 2024-05-01T00:00:00Z): 1,000 read; 2,731 records so
    far; cursor at 2024-05-02T11:04:19.000Z`."""
    logger.info(
        "%s: page %s (%s): %s read; %s records so far; cursor at %s",
        stream,
        page,
        asked,
        f"{read:,}",
        f"{records:,}",
        cursor or "the start",
    )


def row_estimate(stream: str, rows: int) -> AirbyteMessage:
    """How many records a stream's read will bring, as the API counted them."""
    return AirbyteMessage(
        type=Type.TRACE,
        trace=AirbyteTraceMessage(
            type=TraceType.ESTIMATE,
            emitted_at=utc_now().timestamp() * 1000,
            estimate=AirbyteEstimateTraceMessage(
                name=stream, type=EstimateType.STREAM, row_estimate=rows
            ),
        ),
    )


def calls_and_waits(system: str, calls: int, waited: float) -> str:
    """`1,234 Xero calls so far, 61.0 s waited for Xero's rate limits`."""
    return f"{calls:,} {system} calls so far, {waited:.1f} s waited for {system}'s rate limits"


def print_messages(messages: Iterable[AirbyteMessage]) -> None:
    """Messages straight to stdout, in one write: the write loop is blocked while it waits."""
    lines = "".join(
        orjson.dumps(AirbyteMessageSerializer.dump(message)).decode() + "\n" for message in messages
    )
    print(lines, end="", flush=True)  # noqa: T201 (the Airbyte protocol is stdout)


class RateLimitWaits:
    """The waits of one destination run for the API's rate limits: counted, and told when they
    begin (see the module docstring). Shared by every worker thread of the run; a wait that
    begins while one already told runs is not told again, only counted."""

    def __init__(
        self,
        system: str,
        emit: Callable[[Iterable[AirbyteMessage]], None] = print_messages,
    ) -> None:
        self.system = system
        self.seconds = 0.0  # wall-clock time during which calls were held back
        self._emit = emit
        self._streams: tuple[str, ...] = ()
        self._until = 0.0  # monotonic end of the waits counted so far
        self._lock = threading.Lock()

    def writing(self, streams: Iterable[str]) -> None:
        """The catalog's streams whose records are being written now."""
        with self._lock:
            self._streams = tuple(sorted(set(streams)))

    def waiting(self, seconds: float, why: str) -> None:
        """A wait of `seconds` for a rate limit begins now; `why` names the limit."""
        now = time.monotonic()
        with self._lock:
            ends, told = now + seconds, now < self._until
            self.seconds += max(0.0, ends - max(now, self._until))
            self._until = max(self._until, ends)
            streams = self._streams
        if told:
            return
        what = f"; writing {', '.join(streams)}" if streams else ""
        said = f"{self.system}: waiting {seconds:.0f} s for {why}{what}"
        reset = int((time.time() + seconds) * 1000)
        reasons = [
            AirbyteStreamStatusReason(
                type=AirbyteStreamStatusReasonType.RATE_LIMITED,
                rate_limited=AirbyteStreamStatusRateLimitedReason(quota_reset=reset),
            )
        ]
        self._emit(
            [
                AirbyteMessage(
                    type=Type.LOG, log=AirbyteLogMessage(level=Level.INFO, message=said)
                ),
                *(
                    as_airbyte_message(
                        StreamDescriptor(name=stream), AirbyteStreamStatus.RUNNING, reasons
                    )
                    for stream in streams
                ),
            ]
        )
