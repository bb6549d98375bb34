"""A toy emulator, so the sandbox machinery is tested apart from Xero's and Keap's rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Blueprint, Response, jsonify, request

from keap_xero_sandbox import Sandbox, SandboxServer
from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.emulator import Emulator
from keap_xero_sandbox.faults import Fault


class ToyEmulator(Emulator):
    """Serves `/api.xro/2.0/Currencies` (spec-shaped or not) under a per-minute window; a
    `PUT` adds a currency to its items, so a write can be seen.
    """

    name = "xero"
    prefixes = ("/api.xro/2.0", "/connections")

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self.reset()

    def blueprint(self) -> Blueprint:
        bp = Blueprint("toy", __name__)

        @bp.get("/connections")
        def connections() -> Any:
            return jsonify(
                [{"id": "3f9c7a42-6c4e-4a4f-9d55-0c1d2b3e4f50", "tenantType": "ORGANISATION"}]
            )

        @bp.get("/api.xro/2.0/Currencies")
        def currencies() -> Any:
            with self.limits.in_flight("concurrent", "t1") as admitted:
                if not admitted:
                    return Response(status=429)
                verdict = self.limits.acquire([("minute", "t1")])
                if not verdict.allowed:
                    return Response(
                        status=429, headers={"Retry-After": str(int(verdict.retry_after))}
                    )
                if request.args.get("broken"):
                    return jsonify({"Currencies": [{"Code": 12}]})
                return jsonify(
                    {"Currencies": [{"Code": "NZD", "Description": "New Zealand Dollar"}]}
                )

        @bp.put("/api.xro/2.0/Currencies")
        def add_currency() -> Any:
            code = request.get_json()["Code"]
            self.items.append(code)
            return jsonify({"Currencies": [{"Code": code, "Description": code}]})

        return bp

    def reset(self) -> None:
        self.limits.window("minute", 3, 60)
        self.limits.concurrency("concurrent", 1)
        self.limits.reset()
        self.items: list[str] = []

    def seed(self, **options: Any) -> dict[str, Any]:
        if options.get("items", 0) < 0:
            raise ValueError("items must be a whole number >= 0")
        self.items = [f"item-{i}" for i in range(options.get("items", 0))]
        return {"items": len(self.items)}

    def dump(self) -> dict[str, Any]:
        return {"items": self.items}

    def fault_response(self, fault: Fault) -> Response:
        return Response(f"toy fault {fault.status}", status=fault.status, headers=fault.headers)

    def tenant_of(self, request: Any) -> str | None:
        return request.headers.get("tenant")


@pytest.fixture
def toy() -> Iterator[Sandbox]:
    clock = Clock()
    sandbox = Sandbox(clock=clock, emulators=[ToyEmulator(clock)])
    with SandboxServer(sandbox):
        yield sandbox
