"""What every source of the project adds to the CDK's `AbstractSource`: `check` says its reason
(or, passing, its note) as written, and a sync that meets the API's daily call limit stops after
its last saved state and ends as a transient error saying when calls are allowed again, so the
platform retries it then and the next sync resumes where this one stopped.

`AbstractSource` goes on with the next stream after a failed one, and ends a sync with failed
streams as a config error, which the platform does not retry. Once the day's calls are spent
every further stream would fail the same way, and the failure is not the user's to fix:
`ContractSource` stops at the first such failure and keeps the failure transient.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    FailureType,
    Status,
    Type,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

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
    """An `AbstractSource` whose check reports its message as written, and which stops
    at the first stream the daily limit ends, ending the sync as a transient error when that is
    the only kind of failure it had."""

    @property
    def daily_limit_reached(self) -> bool:
        """Whether the API's daily limit refused a call of this sync."""
        return False

    @property
    def stop_sync_on_stream_failure(self) -> bool:
        return self.daily_limit_reached

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        # AbstractSource reports the repr() of the message; the user should read it as written.
        # A check that passes may say something too (how a start point was resolved).
        succeeded, message = self.check_connection(logger, config)
        status = Status.SUCCEEDED if succeeded else Status.FAILED
        return AirbyteConnectionStatus(status=status, message=message)

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None = None,
    ) -> Iterator[AirbyteMessage]:
        failure_types: list[FailureType] = []
        try:
            for message in super().read(logger, config, catalog, state):
                if message.type == Type.TRACE and message.trace.error is not None:
                    failure_types.append(message.trace.error.failure_type)
                yield message
        except AirbyteTracedException as error:
            if failure_types and all(t == FailureType.transient_error for t in failure_types):
                error.failure_type = FailureType.transient_error
            raise
