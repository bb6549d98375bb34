"""The sandbox's own clock: real time by default, which tests can freeze, speed up or advance.

Every time the emulators use (rate-limit windows, token lifetimes, `UpdatedDateUTC`,
`modification_time`, idempotency-key expiry) comes from this clock, so a test can cross a
30-minute token lifetime or a day-limit window in a few milliseconds.

When the clock runs faster than real time, waits the sandbox tells clients about (`Retry-After`)
are converted back to real seconds with `to_real_seconds`, so a client that obeys the header
waits the right amount of sandbox time.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time

UTC = dt.UTC


class Clock:
    """A monotonic, thread-safe sandbox clock: `now = origin + speed x real elapsed + offset`."""

    def __init__(self, start: dt.datetime | None = None, speed: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._origin = start or dt.datetime.now(UTC)
        self._real_origin = time.monotonic()
        self._speed = speed
        self._frozen_at: dt.datetime | None = None

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now_locked()

    def timestamp(self) -> float:
        """Seconds since the epoch on the sandbox clock."""
        return self.now().timestamp()

    @property
    def speed(self) -> float:
        return 0.0 if self._frozen_at else self._speed

    def advance(self, seconds: float) -> dt.datetime:
        """Jump forward (never backward: time in the emulators only moves on)."""
        if seconds < 0:
            raise ValueError("the sandbox clock never goes backwards")
        with self._lock:
            if self._frozen_at:
                self._frozen_at += dt.timedelta(seconds=seconds)
            else:
                self._origin += dt.timedelta(seconds=seconds)
            return self._now_locked()

    def set_speed(self, speed: float) -> None:
        """Run `speed` sandbox seconds per real second from now on (0 freezes the clock)."""
        if speed < 0:
            raise ValueError("clock speed must be >= 0")
        with self._lock:
            current = self._now_locked()
            self._origin, self._real_origin = current, time.monotonic()
            self._frozen_at = current if speed == 0 else None
            if speed:
                self._speed = speed

    def freeze(self) -> None:
        self.set_speed(0)

    def set(self, moment: dt.datetime) -> None:
        """Move the clock to `moment`, which must not be in the clock's past."""
        if moment.tzinfo is None:
            raise ValueError("the sandbox clock needs an aware datetime")
        self.advance((moment - self.now()).total_seconds())

    def to_real_seconds(self, sandbox_seconds: float) -> int:
        """A wait on the sandbox clock as whole real seconds (at least 1), for `Retry-After`."""
        speed = self.speed or 1.0
        return max(1, math.ceil(sandbox_seconds / speed))

    def describe(self) -> dict[str, object]:
        return {"now": self.now().isoformat(), "speed": self.speed, "frozen": bool(self._frozen_at)}

    def _now_locked(self) -> dt.datetime:
        if self._frozen_at:
            return self._frozen_at
        elapsed = (time.monotonic() - self._real_origin) * self._speed
        return self._origin + dt.timedelta(seconds=elapsed)
