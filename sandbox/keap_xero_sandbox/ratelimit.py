"""Rate limits on the sandbox clock: fixed windows per key and in-flight (concurrency) caps.

Each emulator declares its own windows (Xero: 60 a minute and 5,000 a day per tenant, 10,000 a
minute per app; Keap: per key and per OAuth client) and renders its own headers and 429 bodies;
this module only counts. A call is checked against every window that applies to it and counted
in all of them only when all allow it, so a refused call costs nothing, as with both vendors.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from keap_xero_sandbox.clock import Clock


@dataclass
class Window:
    """`limit` calls per `seconds`, counted per key; `limit=None` means unlimited.

    A window starts at a key's first call (Xero: "a fixed window which will reset at different
    times for each tenant") unless `aligned`, when windows start at multiples of `seconds` since
    the epoch (Keap's daily quota resets at 00:00 UTC).
    """

    name: str
    limit: int | None
    seconds: float
    aligned: bool = False
    _starts: dict[str, float] = field(default_factory=dict, repr=False)
    _counts: dict[str, int] = field(default_factory=dict, repr=False)

    def _roll(self, key: str, now: float) -> None:
        start = self._starts.get(key)
        if start is None or now >= start + self.seconds:
            self._starts[key] = now - now % self.seconds if self.aligned else now
            self._counts[key] = 0

    def used(self, key: str, now: float) -> int:
        self._roll(key, now)
        return self._counts[key]

    def count(self, key: str, now: float) -> None:
        self._roll(key, now)
        self._counts[key] += 1

    def remaining(self, key: str, now: float) -> int | None:
        if self.limit is None:
            return None
        return max(0, self.limit - self.used(key, now))

    def resets_in(self, key: str, now: float) -> float:
        self._roll(key, now)
        return self._starts[key] + self.seconds - now

    def resets_at(self, key: str, now: float) -> float:
        """Epoch seconds (sandbox clock) when the key's current window ends."""
        return now + self.resets_in(key, now)

    def reset(self) -> None:
        self._starts.clear()
        self._counts.clear()


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one call against its windows."""

    allowed: bool
    exceeded: str | None = None  # name of the first window that refused the call
    retry_after: float = 0.0  # sandbox seconds until that window resets


class Limits:
    """A set of named windows and concurrency caps sharing one clock and one lock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.enabled = True
        self._lock = threading.Lock()
        self._windows: dict[str, Window] = {}
        self._caps: dict[str, int | None] = {}
        self._in_flight: dict[tuple[str, str], int] = {}

    def window(
        self, name: str, limit: int | None, seconds: float, *, aligned: bool = False
    ) -> None:
        self._windows[name] = Window(name, limit, seconds, aligned)

    def concurrency(self, name: str, limit: int | None) -> None:
        self._caps[name] = limit

    def configure(self, name: str, limit: int | None, seconds: float | None = None) -> None:
        """Change a window's or cap's limit (and a window's length); `None` lifts the limit."""
        with self._lock:
            if name in self._windows:
                window = self._windows[name]
                window.limit = limit
                if seconds is not None:
                    window.seconds = seconds
                window.reset()
            elif name in self._caps:
                self._caps[name] = limit
            else:
                known = sorted([*self._windows, *self._caps])
                raise KeyError(f"no limit named {name!r}; limits: {known}")

    def acquire(self, checks: Iterable[tuple[str, str]]) -> Verdict:
        """Count one call under every (window, key) pair, or refuse it without counting."""
        checks = list(checks)
        with self._lock:
            if not self.enabled:
                return Verdict(True)
            now = self.clock.timestamp()
            for name, key in checks:
                window = self._windows[name]
                if window.limit is not None and window.used(key, now) >= window.limit:
                    return Verdict(False, name, window.resets_in(key, now))
            for name, key in checks:
                self._windows[name].count(key, now)
            return Verdict(True)

    def remaining(self, name: str, key: str) -> int | None:
        with self._lock:
            return self._windows[name].remaining(key, self.clock.timestamp())

    def used(self, name: str, key: str) -> int:
        with self._lock:
            return self._windows[name].used(key, self.clock.timestamp())

    def resets_at(self, name: str, key: str) -> float:
        with self._lock:
            now = self.clock.timestamp()
            return self._windows[name].resets_at(key, now)

    def limit_of(self, name: str) -> int | None:
        return self._windows[name].limit if name in self._windows else self._caps[name]

    def seconds_of(self, name: str) -> float:
        return self._windows[name].seconds

    @contextmanager
    def in_flight(self, name: str, key: str) -> Iterator[bool]:
        """Hold one of `key`'s concurrent slots for the body; yields False when none is free."""
        slot = (name, key)
        with self._lock:
            cap = self._caps[name]
            admitted = not self.enabled or cap is None or self._in_flight.get(slot, 0) < cap
            if admitted:
                self._in_flight[slot] = self._in_flight.get(slot, 0) + 1
        try:
            yield admitted
        finally:
            if admitted:
                with self._lock:
                    self._in_flight[slot] -= 1

    def reset(self) -> None:
        """Forget every count (limits and their configuration stay)."""
        with self._lock:
            for window in self._windows.values():
                window.reset()
            self._in_flight.clear()

    def describe(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "windows": {
                name: {"limit": w.limit, "seconds": w.seconds, "aligned": w.aligned}
                for name, w in self._windows.items()
            },
            "concurrency": dict(self._caps),
        }
