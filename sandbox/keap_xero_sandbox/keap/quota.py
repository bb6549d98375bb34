"""Keap's rate limits and the headers that report them.

- an OAuth client, across every app it touches: 1,500 a minute, 150,000 a day, reported in
  `x-keap-product-throttle-*` (minute) and `x-keap-product-quota-*` (day), and Keap's spike
  arrest of 25 a second, which no header reports;
- a PAT or SAK: 10 a second, 240 a minute, 30,000 a day, reported in the same headers plus
  `x-keap-product-spike-limit: 10ps`;
- the app (tenant), whatever the credential: 10,000 a minute, 250,000 a day, reported in
  `x-keap-tenant-throttle-*` with both windows pipe-delimited (`time-unit: minute|day`).

Daily windows reset at 00:00 UTC; minute and second windows start with a caller's first call.
A refused call is not counted. The 429 carries Apigee's fault body — a spike arrest for the
per-second limit, a quota violation otherwise — the same headers, and no `Retry-After`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keap_xero_sandbox.keap.auth import Caller
from keap_xero_sandbox.keap.errors import quota_violation, spike_arrest
from keap_xero_sandbox.ratelimit import Limits

DAY = 86_400.0

# name: (limit, seconds, aligned to 00:00 UTC)
WINDOWS: dict[str, tuple[int, float, bool]] = {
    "key_second": (10, 1.0, False),
    "key_minute": (240, 60.0, False),
    "key_day": (30_000, DAY, True),
    "client_second": (25, 1.0, False),
    "client_minute": (1_500, 60.0, False),
    "client_day": (150_000, DAY, True),
    "tenant_minute": (10_000, 60.0, False),
    "tenant_day": (250_000, DAY, True),
}


@dataclass(frozen=True)
class Refusal:
    """A call over a limit: Keap's 429 body and the window that refused it."""

    window: str
    body: dict[str, Any]


class KeapQuota:
    """Counts calls per caller and per tenant in the emulator's `Limits`."""

    def __init__(self, limits: Limits, tenant: str) -> None:
        self.limits = limits
        self.tenant = tenant

    def configure_defaults(self) -> None:
        for name, (limit, seconds, aligned) in WINDOWS.items():
            self.limits.window(name, limit, seconds, aligned=aligned)
        self.limits.enabled = True

    def acquire(self, caller: Caller) -> Refusal | None:
        """Count one call, or say which limit refuses it."""
        verdict = self.limits.acquire(self._checks(caller))
        if verdict.allowed:
            return None
        window = verdict.exceeded or ""
        if window in ("key_second", "client_second"):
            return Refusal(window, spike_arrest(self.limits.limit_of(window) or 0))
        identifier = self.tenant if window.startswith("tenant") else caller.identity
        return Refusal(window, quota_violation(identifier))

    def headers(self, caller: Caller | None, *, throttled: bool = False) -> dict[str, str]:
        """The `x-keap-*` headers after a call; `throttled` reports the minute window spent (an
        injected 429)."""
        headers = {"x-keap-tenant-id": self.tenant}
        headers.update(self._family("tenant-throttle", "tenant", ("minute", "day")))
        if caller is None:
            return headers
        prefix = "key" if caller.kind == "api_key" else "client"
        headers.update(self._family("product-quota", prefix, ("day",), caller.identity))
        headers.update(self._family("product-throttle", prefix, ("minute",), caller.identity))
        if caller.kind == "api_key":
            headers["x-keap-product-spike-limit"] = f"{self.limits.limit_of('key_second')}ps"
        if throttled:
            limit = headers["x-keap-product-throttle-limit"]
            headers["x-keap-product-throttle-available"] = "0"
            headers["x-keap-product-throttle-used"] = limit
        return headers

    def _checks(self, caller: Caller) -> list[tuple[str, str]]:
        if caller.kind == "api_key":
            own = [(f"key_{unit}", caller.identity) for unit in ("second", "minute", "day")]
        else:
            own = [(f"client_{unit}", caller.identity) for unit in ("second", "minute", "day")]
        return [*own, ("tenant_minute", self.tenant), ("tenant_day", self.tenant)]

    def _family(
        self, family: str, prefix: str, units: tuple[str, ...], key: str | None = None
    ) -> dict[str, str]:
        """One header family; several windows are reported pipe-delimited, as Keap does."""
        key = key or self.tenant
        names = [f"{prefix}_{unit}" for unit in units]
        limits = [self.limits.limit_of(name) for name in names]
        used = [self.limits.used(name, key) for name in names]
        available = [
            None if limit is None else max(0, limit - n)
            for limit, n in zip(limits, used, strict=True)
        ]
        headers = {
            f"x-keap-{family}-limit": _join(limits),
            f"x-keap-{family}-time-unit": "|".join(units),
            f"x-keap-{family}-interval": "|".join("1" for _ in units),
            f"x-keap-{family}-available": _join(available),
            f"x-keap-{family}-used": _join(used),
        }
        if units == ("day",):
            expiry = self.limits.resets_at(names[0], key)
            headers[f"x-keap-{family}-expiry-time"] = str(int(expiry * 1000))
        return headers


def _join(values: list[int | None]) -> str:
    return "|".join("" if value is None else str(value) for value in values)
