"""Pytest fixtures for every package of the workspace (registered as a `pytest11` plugin).

- `sandbox_server`: one server per test session, on an ephemeral loopback port;
- `sandbox`: that server's `Sandbox`, reset before each test (empty accounts, default
  credentials and limits, no faults, zero stats); `sandbox.url` is its base URL.

Tests that must check responses against the vendors' OpenAPI specs use `sandbox_conformance`;
tests of the checker itself use `spec_conformance`. The specs are not in the repository: without
them (see `conformance.specs_dir`) `sandbox_conformance` runs its tests unchecked and
`spec_conformance` skips, and the session's summary says so once, with where to get them.

With the fixtures comes `leaks`: after every test, what connectors wrote is scanned for the
credentials the sandbox issued.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.server import SandboxServer

pytest_plugins = ["keap_xero_sandbox.leaks"]

if TYPE_CHECKING:
    from keap_xero_sandbox.conformance import Conformance

# Why the specs could not be loaded, and how many tests ran without their check.
_SPECS_MISSING = pytest.StashKey[str]()
_UNCHECKED = pytest.StashKey[int]()


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Sandbox:
    sandbox_server.sandbox.reset()
    return sandbox_server.sandbox


@pytest.fixture
def spec_conformance(request: pytest.FixtureRequest) -> Conformance:
    """The checker loaded with the vendors' specs; the test is skipped when there are none."""
    conformance = _loaded(request.config)
    if conformance is None:
        pytest.skip("spec conformance: no official specs (see the session summary)")
    conformance.violations.clear()
    return conformance


@pytest.fixture
def sandbox_conformance(sandbox: Sandbox, request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """The sandbox, with every response checked against the vendor's spec during the test (when
    the specs are available; otherwise the test runs unchecked).
    """
    conformance = _loaded(request.config)
    if conformance is None:
        request.config.stash[_UNCHECKED] = request.config.stash.get(_UNCHECKED, 0) + 1
        yield sandbox
        return
    conformance.violations.clear()
    sandbox.conformance = conformance
    try:
        yield sandbox
    finally:
        sandbox.conformance = None
    assert not conformance.violations, "responses that break the vendor's spec:\n" + "\n".join(
        conformance.violations
    )


def _loaded(config: pytest.Config) -> Conformance | None:
    """The shared checker, or None (remembering why) when the specs are not on this machine."""
    from keap_xero_sandbox.conformance import (  # noqa: PLC0415 (optional extra)
        Conformance,
        SpecsNotFoundError,
    )

    if _SPECS_MISSING in config.stash:
        return None
    try:
        return Conformance.shared()
    except SpecsNotFoundError as missing:
        config.stash[_SPECS_MISSING] = str(missing)
        return None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    if _SPECS_MISSING not in config.stash:
        return
    unchecked = config.stash.get(_UNCHECKED, 0)
    terminalreporter.section("spec conformance skipped", yellow=True)
    terminalreporter.line(
        f"Responses were not checked against the specs: {config.stash[_SPECS_MISSING]}. "
        f"{unchecked} tests ran in full without that check; the tests that need the specs "
        f"themselves were skipped."
    )
