"""What the emulators' tests share: calling each operation of a vendor's spec as the spec spells
its path, and seeing which of the emulator's routes answered."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest
import requests

from keap_xero_sandbox import Sandbox
from keap_xero_sandbox.conformance import Conformance

_PLACEHOLDER = re.compile(r"\{[^}]+\}")


class SpecRouting:
    """Sends calls to the sandbox and tells which route of the emulator answered each."""

    def __init__(self, sandbox: Sandbox, conformance: Conformance) -> None:
        self.sandbox = sandbox
        self.conformance = conformance

    def route(
        self, api: str, method: str, path: str, headers: Mapping[str, str], value: str
    ) -> tuple[int, str]:
        """Call `path` (a spec template, placeholders filled with `value`); the status and the
        route template that answered."""
        url = f"{self.sandbox.url}{_PLACEHOLDER.sub(value, path)}"
        body = {} if method in ("PUT", "POST", "PATCH") else None
        answer = requests.request(method, url, headers=dict(headers), json=body, timeout=30)
        return answer.status_code, self.sandbox.stats.calls(api)[-1].endpoint

    def emulator_routes(self, api: str) -> set[tuple[str, str]]:
        """(method, route) of every route the emulator serves under a path its specs describe,
        its catch-all left out."""
        prefix = f"{api}."
        return {
            (method, rule.rule)
            for rule in self.sandbox.app.url_map.iter_rules()
            if rule.endpoint.startswith(prefix)
            and "<path:" not in rule.rule
            and self.conformance.mount_for(api, rule.rule) is not None
            for method in rule.methods or ()
            if method not in ("HEAD", "OPTIONS")
        }


@pytest.fixture
def spec_routing(sandbox: Sandbox, spec_conformance: Conformance) -> SpecRouting:
    """Skipped without the official specs (see keap_xero_sandbox.pytest_plugin)."""
    return SpecRouting(sandbox, spec_conformance)
