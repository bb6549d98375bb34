"""What every source of the project adds to the CDK's `AbstractSource`: `check` says its reason
(or, passing, its note) as written, an API that cannot be reached included; and a sync that meets
the API's daily call limit, or gives up on reaching it (`network`), stops after its last saved
state and ends as a transient error saying why, so the platform retries it and the next sync
resumes where this one stopped.

`AbstractSource` goes on with the next stream after a failed one, and ends a sync with failed
streams as a config error, which the platform does not retry. Once the day's calls are spent, or
the API cannot be reached, every further stream would fail the same way, and the failure is not
the user's to fix: `ContractSource` stops at the first such failure and keeps it transient.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteErrorTraceMessage,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    FailureType,
    Status,
    Type,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model.connector.network import Unreachable
from invoice_model.dates import format_datetime, utc_now


class DailyLimitReached(AirbyteTracedException):
    """The API refuses calls until `resumes_at` (None: it did not say)."""

    def __init__(self, what: str, resumes_at: dt.datetime | None) -> None:
        self.resumes_at = resumes_at
        when = "until it resets"
        if resumes_at is not None:
            minutes = max(1, round((resumes_at - utc_now()).total_seconds() / 60))
            when = f"until {format_datetime(resumes_at)} (in {minutes // 60} h {minutes % 60} min)"
        super().__init__(
            message=(
                f"{what} is used up {when}. The sync stopped after its last saved state; the "
                "next sync after that time resumes from there."
            ),
            failure_type=FailureType.transient_error,
        )


class ContractSource(AbstractSource):
    """An `AbstractSource` whose check reports its message as written, and which stops at the
    first stream the daily limit or an unreachable API ends, ending the sync as a transient
    error when that is the only kind of failure it had."""

    @property
    def daily_limit_reached(self) -> bool:
        """Whether the API's daily limit refused a call of this sync."""
        return False

    @property
    def unreachable(self) -> bool:
        """Whether this sync gave up on reaching the API."""
        return False

    @property
    def stop_sync_on_stream_failure(self) -> bool:
        return self.daily_limit_reached or self.unreachable

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        # AbstractSource reports the repr() of the message; the user should read it as written.
        # A check that passes may say something too (how a start point was resolved).
        try:
            succeeded, message = self.check_connection(logger, config)
        except Unreachable as error:
            succeeded, message = False, error.message
        status = Status.SUCCEEDED if succeeded else Status.FAILED
        return AirbyteConnectionStatus(status=status, message=message)

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None = None,
    ) -> Iterator[AirbyteMessage]:
        failures: dict[str, AirbyteErrorTraceMessage] = {}
        try:
            for message in super().read(logger, config, catalog, state):
                error = message.trace.error if message.type == Type.TRACE else None
                if error is not None:
                    stream = error.stream_descriptor.name if error.stream_descriptor else ""
                    failures.setdefault(stream, error)
                yield message
        except AirbyteTracedException as error:
            if failures:  # AbstractSource's summary, after each stream's own error
                error.message = error.internal_message = _summary(failures)
            if failures and {f.failure_type for f in failures.values()} == {
                FailureType.transient_error
            }:
                error.failure_type = FailureType.transient_error
            raise


def _summary(failures: dict[str, AirbyteErrorTraceMessage]) -> str:
    """The sync's last error: the first failed stream's, naming the others (AbstractSource's
    repeats every stream's error, and grows with the streams)."""
    first, *others = failures
    also = [name for name in others if name]
    more = f" Streams {', '.join(also)} failed too; each one's error says why." if also else ""
    return f"{failures[first].message}{more}"
