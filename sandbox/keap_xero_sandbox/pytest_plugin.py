"""Pytest fixtures for every package of the workspace (registered as a `pytest11` plugin).

- `sandbox_server`: one server per test session, on an ephemeral loopback port;
- `sandbox`: that server's `Sandbox`, reset before each test (empty accounts, default
  credentials and limits, no faults, zero stats); `sandbox.url` is its base URL.

Tests that must check responses against the vendors' OpenAPI specs use `sandbox_conformance`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Sandbox:
    sandbox_server.sandbox.reset()
    return sandbox_server.sandbox


@pytest.fixture
def sandbox_conformance(sandbox: Sandbox) -> Iterator[Sandbox]:
    """The sandbox, with every response checked against the vendor's spec during the test."""
    from keap_xero_sandbox.conformance import Conformance  # noqa: PLC0415 (optional extra)

    conformance = Conformance.shared()
    conformance.violations.clear()
    sandbox.conformance = conformance
    try:
        yield sandbox
    finally:
        sandbox.conformance = None
    assert not conformance.violations, "responses that break the vendor's spec:\n" + "\n".join(
        conformance.violations
    )
