"""The Keap emulator as the sandbox sees it (skeleton: routes and state land next)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from keap_xero_sandbox.emulator import Emulator
from keap_xero_sandbox.faults import Fault


class KeapEmulator(Emulator):
    name = "keap"
    prefixes = ("/crm/rest", "/token")

    def blueprint(self) -> Blueprint:
        return Blueprint("keap", __name__)

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
