"""Calls to Keap: paced below its spike arrest, backed off on its throttles, query strings as
Keap writes them, and answers checked to be the JSON objects its API documents.

Keap's spike arrest refuses bursts (API keys: 10 calls a second, OAuth clients 25); the budget
paces calls below it rather than waiting out its 429s. Per-minute and daily limits are met by
backoff (`KeapErrorHandler`) and the daily-quota stop. Every second spent waiting for Keap's
limits, paced or backed off, is counted in the sync's `KeapUsage`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.call_rate import APIBudget, MovingWindowCallRatePolicy, Rate
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model.connector.http import RetryAfterBackoff
from invoice_model.connector.keap.errors import KeapUsage
from invoice_model.connector.progress import RateLimitWaits

DEFAULT_API_URL = "https://api.infusionsoft.com"
REST_PATH = "/crm/rest/v2"
TOKEN_PATH = "/token"  # noqa: S105 (a URL path, not a secret)
SPIKE_LIMIT_API_KEY = 10
SPIKE_LIMIT_OAUTH = 25
# A second, and a margin for calls in flight: a call counted here as the last of one second may
# reach Keap after a call of the next second that overtook it.
SPIKE_WINDOW = timedelta(seconds=1.1)
# The CDK sleeps a second more than a backoff strategy asks for.
CDK_EXTRA_WAIT = 1.0
# Waits shorter than this are the budget's own bookkeeping, not Keap's limits.
NOTICEABLE_WAIT = 0.001


class SpikeArrestBudget(APIBudget):
    """At most Keap's spike-arrest rate of calls in any second; the waits are counted."""

    def __init__(self, is_oauth: bool, usage: KeapUsage) -> None:
        per_second = SPIKE_LIMIT_OAUTH if is_oauth else SPIKE_LIMIT_API_KEY
        super().__init__(
            policies=[
                MovingWindowCallRatePolicy(rates=[Rate(per_second, SPIKE_WINDOW)], matchers=[])
            ]
        )
        self.usage = usage

    def acquire_call(self, request: Any, block: bool = True, timeout: float | None = None) -> None:
        start = time.monotonic()
        super().acquire_call(request, block, timeout)
        waited = time.monotonic() - start
        if waited >= NOTICEABLE_WAIT:
            self.usage.note_wait(waited)


class KeapBackoff(RetryAfterBackoff):
    """Exponential backoff with jitter (Keap sends no `Retry-After`); waits on 429 are counted,
    and told by `waits` when given (a destination's: a source's HTTP client serves one stream,
    whose status the CDK reports)."""

    def __init__(self, usage: KeapUsage, waits: RateLimitWaits | None = None) -> None:
        super().__init__(base_seconds=1.0, cap_seconds=60.0)
        self.usage = usage
        self.waits = waits

    def backoff_time(
        self,
        response_or_exception: requests.Response | requests.RequestException | None,
        attempt_count: int,
    ) -> float | None:
        wait = super().backoff_time(response_or_exception, attempt_count)
        throttled = (
            isinstance(response_or_exception, requests.Response)
            and response_or_exception.status_code == 429
        )
        if throttled and wait is not None:
            self.usage.note_wait(wait + CDK_EXTRA_WAIT)
            if self.waits is not None:
                self.waits.waiting(wait + CDK_EXTRA_WAIT, "Keap's rate limit (429)")
        return wait


def query_string(params: Mapping[str, Any]) -> str:
    """The query string, commas left as in Keap's own examples (`ids==1,2,3`): long ID lists
    then stay within the gateway's request-line limit."""
    return urlencode({k: v for k, v in params.items() if v is not None}, safe=",", quote_via=quote)


def json_object(response: requests.Response, items: str | None = None) -> Mapping[str, Any]:
    """The JSON object Keap answered, with a list of objects under `items` (or none at all)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    listed = body.get(items) if isinstance(body, dict) and items else None
    if not isinstance(body, dict) or not (
        listed is None or (isinstance(listed, list) and all(isinstance(i, dict) for i in listed))
    ):
        call = f"{response.request.method} {urlsplit(response.request.url).path}"
        shape = f"a JSON object with a list of {items}" if items else "a JSON object"
        raise AirbyteTracedException(
            message=f"Keap's answer to {call} is not {shape}, as its API documents.",
            internal_message=f"{call} answered {response.status_code}: {response.text[:500]!r}",
            failure_type=FailureType.system_error,
        )
    return body
