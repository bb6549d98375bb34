"""The Xero emulator as the sandbox sees it (skeleton: routes and state land next)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from keap_xero_sandbox.emulator import Emulator
from keap_xero_sandbox.faults import Fault


class XeroEmulator(Emulator):
    name = "xero"
    prefixes = ("/api.xro/2.0", "/connect", "/connections")

    def blueprint(self) -> Blueprint:
        return Blueprint("xero", __name__)

    def reset(self) -> None:
        self.limits.reset()

    def seed(self, **options: Any) -> dict[str, Any]:
        return {}

    def dump(self) -> dict[str, Any]:
        return {}

    def fault_response(self, fault: Fault) -> Response:
        response = jsonify(fault.body) if fault.body is not None else Response(status=fault.status)
        response.status_code = fault.status
        response.headers.update(fault.headers)
        return response
