"""Fault injection: make chosen calls fail the way real networks and real APIs fail.

A rule picks calls by API, method and path (a glob such as `/api.xro/2.0/Invoices*`) and applies
to the next `count` matching calls, or to each matching call with a seeded `probability`, or both
(the next `count` calls that the dice pick); with `skip`, only once that many matching calls have
gone through untouched (the fifth call to a path: `skip=4, count=1`). What happens is one of:

- `status`: answer with that HTTP status; the emulator renders its own body and headers for it
  (a 429 carries the vendor's rate-limit headers and body, a 503 Xero's "Organisation offline"),
  unless `body` is given: JSON data, or a string sent as it is (a page that is not JSON);
- `drop`: close the connection without an answer;
- `latency`: wait `seconds` (real time), then serve the call normally;
- `hook`: call `run()` (in-process only: a Python callable), then serve the call normally. It is
  how a test changes the emulated account at an exact moment of a client's work, e.g. between
  two pages of a read (`after=True`: once a page has been answered).

By default the fault strikes before the emulator sees the call, so nothing is written. With
`after`, the emulator serves the call first (a write is carried out, and an `Idempotency-Key`
remembers its answer), and then the answer is lost on the way back: replaced by the `status`,
cut off by a `drop`, or held back by the `latency`. That is the failure a client must survive
without writing twice: it cannot know whether its request was carried out.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FaultKind = Literal["status", "drop", "latency", "hook"]
_ids = itertools.count(1)


@dataclass
class Fault:
    """One injection rule; `remaining` counts down when `count` is set."""

    kind: FaultKind = "status"
    api: str | None = None
    method: str | None = None
    path: str = "*"
    status: int = 500
    seconds: float = 0.0
    count: int | None = 1
    skip: int = 0  # matching calls let through before the rule applies
    probability: float = 1.0
    seed: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    after: bool = False  # strike after the emulator has served the call (see above)
    run: Callable[[], object] | None = field(default=None, repr=False, compare=False)
    id: int = field(default_factory=lambda: next(_ids))
    fired: int = 0
    skipped: int = 0
    _random: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in ("status", "drop", "latency", "hook"):
            raise ValueError(f"fault kind must be status, drop, latency or hook, not {self.kind!r}")
        if (self.kind == "hook") != callable(self.run):
            raise ValueError(
                "a hook needs run, a Python callable (hooks are added in-process, not over HTTP)"
                if self.kind == "hook"
                else "run is for hooks only"
            )
        if not isinstance(self.after, bool):
            raise ValueError("after must be true or false")
        if not 0 <= self.probability <= 1:
            raise ValueError("probability must be between 0 and 1")
        if not isinstance(self.skip, int) or self.skip < 0:
            raise ValueError("skip must be a whole number of calls, 0 or more")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1 (or null for every matching call)")
        self._random = random.Random(self.seed)

    def matches(self, api: str, method: str, path: str) -> bool:
        return (
            (self.api is None or self.api == api)
            and (self.method is None or self.method.upper() == method.upper())
            and fnmatch.fnmatchcase(path, self.path)
        )

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.fired >= self.count

    def describe(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_random", None)
        run = data.pop("run", None)
        if run is not None:
            data["run"] = getattr(run, "__qualname__", repr(run))
        return data


class FaultInjector:
    """The active rules; the first live rule matching a call decides its fate."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []

    def add(self, **rule: Any) -> Fault:
        fault = Fault(**rule)
        with self._lock:
            self._rules.append(fault)
        return fault

    def pick(self, api: str, method: str, path: str) -> Fault | None:
        """The fault to apply to this call, if any (counting it as fired)."""
        with self._lock:
            for fault in self._rules:
                if fault.exhausted or not fault.matches(api, method, path):
                    continue
                if fault.skipped < fault.skip:
                    fault.skipped += 1
                    continue
                if fault.probability < 1 and fault._random.random() >= fault.probability:
                    continue
                fault.fired += 1
                return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [f for f in self._rules if f.id != fault_id]
            return len(self._rules) < before

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.describe() for fault in self._rules]
