"""What every emulated API provides to the sandbox: its routes, its state and its own error style.

An emulator keeps three things apart, as mature emulators do: the tenant state and business
rules (plain Python, no HTTP), the HTTP binding (parsing requests, rendering the vendor's
envelopes) and the vendor's error bodies. The sandbox around it supplies the clock, fault
injection, call statistics and the control surface, the same for every API.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from flask import Blueprint, Request, Response

from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.faults import Fault
from keap_xero_sandbox.ratelimit import Limits


class Emulator(abc.ABC):
    """One emulated vendor API, mounted on the sandbox's HTTP server."""

    name: ClassVar[str]
    # Path prefixes of the real API this emulator answers (fault rules and stats use them).
    prefixes: ClassVar[tuple[str, ...]]
    # Whether the vendor routes paths without regard to case (see `routing`).
    paths_ignore_case: ClassVar[bool] = False

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.limits = Limits(clock)

    def owns(self, path: str) -> bool:
        prefixes = self.prefixes
        if self.paths_ignore_case:
            path, prefixes = path.casefold(), tuple(p.casefold() for p in prefixes)
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)

    @abc.abstractmethod
    def blueprint(self) -> Blueprint:
        """The real API's routes (paths exactly as the vendor's)."""

    def control_blueprint(self) -> Blueprint | None:
        """Extra control routes of this API, mounted under `/_sandbox/<name>`."""
        return None

    @abc.abstractmethod
    def reset(self) -> None:
        """Back to an empty account with default credentials and default limits."""

    @abc.abstractmethod
    def seed(self, **options: Any) -> dict[str, Any]:
        """Fill the account deterministically; returns a summary (counts, credentials, IDs)."""

    @abc.abstractmethod
    def dump(self) -> dict[str, Any]:
        """The whole state as JSON-ready data, for reconciliation checks."""

    @abc.abstractmethod
    def fault_response(self, fault: Fault) -> Response:
        """The vendor's own answer for an injected status (its 429 headers and body, its 5xx)."""

    def secrets(self) -> set[str]:
        """Every credential this API has issued or holds, so a test can check none leaks."""
        return set()

    def tenant_of(self, request: Request) -> str | None:
        """The tenant a call is for, as call statistics group it."""
        return None
