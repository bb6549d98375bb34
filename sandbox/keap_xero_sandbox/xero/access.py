"""Who may call, and how often: Xero's rate limits and the headers that report them.

Per app and organisation: 60 calls a minute and 5,000 a day, in fixed windows that start at the
first call (so they reset at different times for each organisation), and 5 calls in progress at
once; per app: 10,000 calls a minute across all organisations. Every answer reports what is left
in `X-MinLimit-Remaining`, `X-DayLimit-Remaining` and `X-AppMinLimit-Remaining`; a call over a
limit gets a 429 with `X-Rate-Limit-Problem` and, for the minute and day limits, `Retry-After`
(in real seconds, however fast the sandbox clock runs). A refused call costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.ratelimit import Limits
from keap_xero_sandbox.xero.errors import RateLimited
from keap_xero_sandbox.xero.identity import Grant

MINUTE = "minute"
DAY = "day"
APP_MINUTE = "app-minute"
CONCURRENT = "concurrent"
PROBLEMS = {MINUTE: "minute", DAY: "day", APP_MINUTE: "appminute", CONCURRENT: "concurrent"}


def configure(limits: Limits) -> None:
    """Xero's documented limits (tests and benchmarks change them through the control surface)."""
    limits.window(MINUTE, 60, 60)
    limits.window(DAY, 5_000, 24 * 60 * 60)
    limits.window(APP_MINUTE, 10_000, 60)
    limits.concurrency(CONCURRENT, 5)
    limits.enabled = True


@dataclass
class Caller:
    """What is known about a call so far: its grant once authenticated, its organisation once
    the tenant header is checked.
    """

    grant: Grant | None = None
    tenant: str | None = None

    @property
    def key(self) -> str | None:
        if self.grant is None or self.tenant is None:
            return None
        return limit_key(self.grant.client_id, self.tenant)


def limit_key(client_id: str, tenant: str) -> str:
    """Per-organisation limits are an app's limits with that organisation."""
    return f"{client_id}@{tenant}"


class Gate:
    def __init__(self, limits: Limits, clock: Clock) -> None:
        self.limits = limits
        self.clock = clock

    @contextmanager
    def slot(self, caller: Caller) -> Iterator[None]:
        """Hold a concurrent slot and count the call, or raise Xero's 429."""
        assert caller.grant is not None  # noqa: S101 (only authenticated calls are counted)
        key = caller.key
        if key is None:
            self._count([(APP_MINUTE, caller.grant.client_id)], caller)
            yield
            return
        with self.limits.in_flight(CONCURRENT, key) as admitted:
            if not admitted:
                raise RateLimited(PROBLEMS[CONCURRENT], None, self.headers(caller))
            self._count([(MINUTE, key), (DAY, key), (APP_MINUTE, caller.grant.client_id)], caller)
            yield

    def _count(self, checks: list[tuple[str, str]], caller: Caller) -> None:
        verdict = self.limits.acquire(checks)
        if not verdict.allowed:
            assert verdict.exceeded is not None  # noqa: S101 (set whenever a call is refused)
            raise RateLimited(
                PROBLEMS[verdict.exceeded],
                self.clock.to_real_seconds(verdict.retry_after),
                self.headers(caller),
            )

    def refusal(self, caller: Caller, problem: str, retry_after: int | None) -> RateLimited:
        """A 429 as Xero would give this caller now (for injected faults): nothing is counted."""
        if retry_after is None and problem in ("minute", "day"):
            window = MINUTE if problem == "minute" else DAY
            key = caller.key
            seconds = self.limits.seconds_of(window)
            if key is not None:
                seconds = self.limits.resets_at(window, key) - self.clock.timestamp()
            retry_after = self.clock.to_real_seconds(seconds)
        return RateLimited(problem, retry_after, self.headers(caller))

    def headers(self, caller: Caller) -> dict[str, str]:
        if caller.grant is None:
            return {}
        remaining = {"X-AppMinLimit-Remaining": (APP_MINUTE, caller.grant.client_id)}
        if caller.key is not None:
            remaining["X-MinLimit-Remaining"] = (MINUTE, caller.key)
            remaining["X-DayLimit-Remaining"] = (DAY, caller.key)
        headers = {}
        for header, (window, key) in remaining.items():
            left = self.limits.remaining(window, key)
            if left is not None:
                headers[header] = str(left)
        return dict(sorted(headers.items(), key=lambda item: _HEADER_ORDER.index(item[0])))


_HEADER_ORDER = ("X-DayLimit-Remaining", "X-MinLimit-Remaining", "X-AppMinLimit-Remaining")
