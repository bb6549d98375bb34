"""How long to wait before retrying, as the API says (`Retry-After`) or exponentially with jitter.

The CDK waits `backoff_time + 1` seconds for a value returned here, and falls back to its own
slow exponential (5 s, 10 s, 20 s ...) when a strategy returns None; this strategy always answers,
so waits stay as short as the server allows.
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
    """`Retry-After` when the server sends it, else `base x 2^attempt` with full jitter, capped."""

    def __init__(self, base_seconds: float = 1.0, cap_seconds: float = 60.0) -> None:
        self.base_seconds = base_seconds
        self.cap_seconds = cap_seconds

    def backoff_time(
        self,
        response_or_exception: requests.Response | requests.RequestException | None,
        attempt_count: int,
    ) -> float | None:
        if isinstance(response_or_exception, requests.Response):
            told = retry_after_seconds(response_or_exception)
            if told is not None:
                return told or 0.001  # 0 would mean "no value" to the CDK
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt_count - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not cryptography)
