"""Keeping within Xero's rate limits without sleeping on guesses.

Xero allows 5 calls in flight, 60 a minute and 5,000 a day per organisation, in fixed windows
that start at different times for each organisation and are never announced; every response
says how many calls the minute window still allows (`X-MinLimit-Remaining`), and a 429 says
which limit was hit (`X-Rate-Limit-Problem`) and how long to wait (`Retry-After`). So the pacer:

- lets at most `max_in_flight` calls out, and no more than the window is known to allow,
  counting calls still in flight as spent;
- when nothing is known to be left, lets one call out alone: either the window has reset, or
  Xero answers 429 with the wait, and every call holds back until it has passed;
- on the daily limit, lets nothing out any more: waiting hours is not an option, the sync stops.

The wait is whatever `Retry-After` says, in real seconds, never an assumed 60-second window; it
is told as it begins, against the streams being written (`RateLimitWaits`), and counted with the
calls for each flush's progress.
"""

from __future__ import annotations

import threading
import time

import requests

from invoice_model.connector.http import retry_after_seconds
from invoice_model.connector.progress import RateLimitWaits


class DailyLimitError(Exception):
    """Xero refuses further calls for this organisation until `retry_after` seconds from now."""

    def __init__(self, retry_after: float | None) -> None:
        self.retry_after = retry_after
        self.at = time.time()
        super().__init__(f"Xero's daily call limit is reached (Retry-After: {retry_after} s)")


# How each 429 of Xero's names the limit it hit (`X-Rate-Limit-Problem`).
LIMITS = {
    "minute": "Xero's limit of calls a minute",
    "appminute": "Xero's limit of calls a minute for the app",
    "concurrent": "Xero's limit of calls in flight",
}


class Pacer:
    """Admission control for calls to one Xero organisation, shared by every worker thread;
    counts the calls let out, and the waits (`waits`)."""

    def __init__(self, max_in_flight: int = 5, waits: RateLimitWaits | None = None) -> None:
        self.max_in_flight = max_in_flight
        self.waits = waits or RateLimitWaits("Xero")
        self.calls = 0
        self._condition = threading.Condition()
        self._in_flight = 0
        self._remaining: int | None = None  # calls the minute window allows, as last told
        self._paused_until = 0.0  # monotonic time before which no call goes out
        self._daily_limit: DailyLimitError | None = None

    def acquire(self) -> None:
        """Wait until one more call may go out; raises `DailyLimitError` once it is hit."""
        with self._condition:
            while True:
                if self._daily_limit is not None:
                    raise self._daily_limit
                wait = self._paused_until - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                if self._admits_one_more():
                    self._in_flight += 1
                    if self._remaining is not None:
                        self._remaining -= 1
                    return
                self._condition.wait()

    def release(self, response: requests.Response | None) -> None:
        """Learn from a call's answer (`None` when it got none) and free its slot."""
        with self._condition:
            self._in_flight -= 1
            self.calls += 1
            if response is not None:
                self._observe(response)
            self._condition.notify_all()

    def _admits_one_more(self) -> bool:
        if self._in_flight >= self.max_in_flight:
            return False
        if self._remaining is None or self._remaining > 0:
            return True
        # Nothing known to be left: one call goes alone, and finds the window reset or brings
        # back the wait.
        return self._in_flight == 0

    def _observe(self, response: requests.Response) -> None:
        if response.status_code == 429:
            problem = response.headers.get("X-Rate-Limit-Problem", "").lower()
            wait = retry_after_seconds(response)
            if problem == "day":
                self._daily_limit = DailyLimitError(wait)
                return
            self._remaining = 0
            if wait:
                self._paused_until = max(self._paused_until, time.monotonic() + wait)
                self.waits.waiting(wait, LIMITS.get(problem, "Xero's rate limit"))
            return
        told = response.headers.get("X-MinLimit-Remaining")
        if told is not None and told.strip().isdigit():
            # Calls still in flight may not be counted in the answer yet: count them as spent.
            self._remaining = max(0, int(told) - self._in_flight)
