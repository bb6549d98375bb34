"""The sandbox: both emulated APIs with one clock, one fault injector and one call log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.faults import FaultInjector
from keap_xero_sandbox.stats import CallStats

if TYPE_CHECKING:
    from flask import Flask

    from keap_xero_sandbox.conformance import Conformance
    from keap_xero_sandbox.emulator import Emulator
    from keap_xero_sandbox.keap import KeapEmulator
    from keap_xero_sandbox.xero import XeroEmulator


def default_emulators(clock: Clock) -> list[Emulator]:
    from keap_xero_sandbox.keap import KeapEmulator  # noqa: PLC0415 (avoids an import cycle)
    from keap_xero_sandbox.xero import XeroEmulator  # noqa: PLC0415

    return [XeroEmulator(clock), KeapEmulator(clock)]


class Sandbox:
    """In-process handle on everything the control surface offers over HTTP."""

    def __init__(self, *, clock: Clock | None = None, emulators: list[Emulator] | None = None):
        self.clock = clock or Clock()
        self.faults = FaultInjector()
        self.stats = CallStats()
        chosen = emulators if emulators is not None else default_emulators(self.clock)
        self.emulators: dict[str, Emulator] = {e.name: e for e in chosen}
        self.conformance: Conformance | None = None
        self.url: str | None = None  # set while a server serves this sandbox
        self._app: Flask | None = None

    @property
    def xero(self) -> XeroEmulator:
        return self.emulators["xero"]  # type: ignore[return-value]

    @property
    def keap(self) -> KeapEmulator:
        return self.emulators["keap"]  # type: ignore[return-value]

    @property
    def app(self) -> Flask:
        if self._app is None:
            from keap_xero_sandbox.app import create_app  # noqa: PLC0415 (app imports control)

            self._app = create_app(self)
        return self._app

    def reset(self) -> None:
        """Empty accounts, default credentials and limits, no faults, zero stats, clock speed 1."""
        self.clock.set_speed(1.0)
        self.faults.clear()
        self.stats.reset()
        for emulator in self.emulators.values():
            emulator.reset()

    def seed(self, **options: dict[str, Any]) -> dict[str, Any]:
        """`seed(xero={...}, keap={...})`: seed each named API with its options."""
        return {name: self.emulators[name].seed(**(opts or {})) for name, opts in options.items()}

    def dump(self, api: str | None = None) -> dict[str, Any]:
        if api is not None:
            return self.emulators[api].dump()
        return {name: emulator.dump() for name, emulator in self.emulators.items()}

    def secrets(self) -> set[str]:
        """Every client secret, API key and token the emulators have issued since the last
        reset, spent and revoked ones included (see `leaks`)."""
        return set().union(*(emulator.secrets() for emulator in self.emulators.values()))

    def describe(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "apis": {name: list(e.prefixes) for name, e in self.emulators.items()},
            "clock": self.clock.describe(),
            "limits": {name: e.limits.describe() for name, e in self.emulators.items()},
            "faults": self.faults.describe(),
        }
