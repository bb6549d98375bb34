"""How long to wait for a rate limit: as the API says (`Retry-After`), or exponentially with jitter.

A strategy answers for rate limits (429), and for a 503 that says when to come back: HTTP gives
`Retry-After` on a 503 that meaning (RFC 9110, 10.2.3), and a service in maintenance uses it.
The CDK words every wait a strategy asks for as a rate limit ("Rate limit exceeded (HTTP 503).
Retrying in ..."), naming the status; so another 5xx, or a call without an answer, gets no wait
from here: the CDK retries it with its own exponential backoff (1, 2, 4 ... seconds), logged as
the error it is (`network` bounds how long a run goes on without answers). The CDK waits
`backoff_time + 1` seconds for a value returned here.
"""

from __future__ import annotations

import datetime as dt
import random
from email.utils import parsedate_to_datetime

import requests
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy


def retry_after_seconds(response: requests.Response) -> float | None:
    """`Retry-After` as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


class RetryAfterBackoff(BackoffStrategy):
    """For a 429: `Retry-After` when the server sends it, else `base x 2^attempt` with full
    jitter, capped; for a 503, its `Retry-After` if it has one. Nothing for anything else (see
    the module docstring)."""

    def __init__(self, base_seconds: float = 1.0, cap_seconds: float = 60.0) -> None:
        self.base_seconds = base_seconds
        self.cap_seconds = cap_seconds

    def backoff_time(
        self,
        response_or_exception: requests.Response | requests.RequestException | None,
        attempt_count: int,
    ) -> float | None:
        if not isinstance(response_or_exception, requests.Response):
            return None  # no answer: the CDK's own backoff, worded as the error it is
        status = response_or_exception.status_code
        told = retry_after_seconds(response_or_exception) if status in (429, 503) else None
        if told is not None:
            return told or 0.001  # 0 would mean "no value" to the CDK
        if status != 429:
            return None  # not a rate limit: the CDK's own backoff, worded as the error it is
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt_count - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not cryptography)
