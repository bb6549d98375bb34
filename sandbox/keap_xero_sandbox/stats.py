"""Call statistics: what each client asked of each API, per endpoint, tenant and status.

Calls-per-record is the project's headline performance figure, so every call to a real API path
is counted here, including refused ones (a 429 is a call the client made).
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

LOG_SIZE = 20_000


@dataclass(frozen=True)
class Call:
    """One call as the sandbox saw it; `endpoint` is the route template (`/Invoices/<id>`)."""

    api: str
    tenant: str | None
    method: str
    endpoint: str
    path: str
    query: str
    status: int
    at: str


class CallStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str | None, str, str, int]] = Counter()
        self._log: deque[Call] = deque(maxlen=LOG_SIZE)

    def record(self, call: Call) -> None:
        with self._lock:
            self._counts[(call.api, call.tenant, call.method, call.endpoint, call.status)] += 1
            self._log.append(call)

    def count(
        self,
        api: str | None = None,
        *,
        method: str | None = None,
        endpoint: str | None = None,
        tenant: str | None = None,
        status: int | None = None,
    ) -> int:
        """Calls matching every filter given (endpoint matches the route template exactly)."""
        with self._lock:
            return sum(
                n
                for (a, t, m, e, s), n in self._counts.items()
                if (api is None or a == api)
                and (method is None or m == method.upper())
                and (endpoint is None or e == endpoint)
                and (tenant is None or t == tenant)
                and (status is None or s == status)
            )

    def calls(self, api: str | None = None) -> list[Call]:
        """The most recent calls (up to LOG_SIZE), oldest first."""
        with self._lock:
            return [c for c in self._log if api is None or c.api == api]

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._log.clear()

    def snapshot(self) -> dict[str, Any]:
        """Totals by API, endpoint, tenant and status, as the control surface shows them."""
        with self._lock:
            by_api: Counter[str] = Counter()
            by_endpoint: Counter[str] = Counter()
            by_tenant: Counter[str] = Counter()
            by_status: Counter[str] = Counter()
            for (api, tenant, method, endpoint, status), n in self._counts.items():
                by_api[api] += n
                by_endpoint[f"{api} {method} {endpoint}"] += n
                by_tenant[f"{api} {tenant or '-'}"] += n
                by_status[f"{api} {status}"] += n
            return {
                "total": sum(by_api.values()),
                "by_api": dict(by_api),
                "by_endpoint": dict(sorted(by_endpoint.items())),
                "by_tenant": dict(sorted(by_tenant.items())),
                "by_status": dict(sorted(by_status.items())),
                "recent": [asdict(c) for c in list(self._log)[-50:]],
            }
