"""Each connector failing as a user needs it to: fast, in words that say what is wrong and where,
and with nothing in its output that should not be there.

- `check` against an address that cannot be reached (a name that does not resolve, a port where
  nothing listens, https to a server that speaks plain http, a listener that never accepts, a
  server that never answers) fails at once, naming the host and the cause, after one try;
- a `read` or `write` whose calls stop getting answers (dropped connections, or no answer in
  time) gives up once they have failed for the run's patience, saying so, as a transient error;
  a storm of 5xx ends after the handler's retries; a spent daily quota ends the run cleanly;
- in every case the error is short, no call without an answer is logged as a rate limit, and
  nothing in the output carries a query string longer than needed, response headers or a secret.

Everything runs in-process against the sandbox on loopback (an unresolvable `.invalid` name never
leaves the machine); the patience, the timeouts and the retries are shortened so that the runs
take seconds.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.logger import AirbyteLogFormatter
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteMessageSerializer,
    ConfiguredAirbyteCatalogSerializer,
    FailureType,
    Status,
)
from airbyte_cdk.test import entrypoint_wrapper
from airbyte_cdk.test.models import ExpectedOutcome

import destination_xero.client
import invoice_model.connector.keap.errors
import invoice_model.connector.network
import source_xero.errors
from destination_keap import DestinationKeap
from destination_xero import DestinationXero
from invoice_model import examples
from keap_xero_sandbox.destinations import Runs, sync
from keap_xero_sandbox.sandbox import Sandbox
from source_keap import SourceKeap
from source_xero import SourceXero

ROOT = Path(__file__).resolve().parents[1]
UNRESOLVABLE = "api.keap-xero-check.invalid"
# A query string longer than this in any output is an URL as sent, or worse.
LONGEST_QUERY = 100
LONGEST_ERROR = 400
HEADERS = ("x-keap-", "x-rate-limit-problem", "x-minlimit", "authorization", "bearer ")
SECRET_FIELDS = ("api_key", "client_secret", "refresh_token", "access_token")


@dataclass(frozen=True)
class Connector:
    """One of the four, as these tests drive it."""

    name: str
    api: str  # the emulator it calls: "keap" or "xero"
    api_paths: str  # a fault glob for the API's calls, the token endpoint left alone
    auths: tuple[str, str]  # its two ways of signing in

    @property
    def is_source(self) -> bool:
        return self.name.startswith("source")

    def config(self, sandbox: Sandbox, base: str, auth: str) -> dict[str, Any]:
        """A config signing in with `auth` to the API at `base`."""
        if self.api == "keap":
            config = {"credentials": sandbox.keap.connector_credentials(auth), "api_url": base}
            if self.is_source:
                config["start_from"] = {"start_type": "beginning"}
            return config
        xero = sandbox.xero.credentials()
        if auth == "custom":
            credentials = {"auth_type": "custom_connection", **xero["custom_connection"]}
            credentials.pop("tenant_id")
        else:
            app = xero["oauth_app"]
            credentials = {
                "auth_type": "oauth2_app",
                **{key: app[key] for key in ("client_id", "client_secret", "refresh_token")},
                "tenant_id": xero["custom_connection"]["tenant_id"],
            }
        config = {
            "credentials": credentials,
            "advanced": {"api_base_url": base, "identity_base_url": base},
        }
        if not self.is_source:
            sample = json.loads(
                (ROOT / self.name / "integration_tests" / "sandbox_config.json").read_text()
            )
            config.update(invoices=sample["invoices"], payments=sample["payments"])
        return config


SOURCE_KEAP = Connector("source-keap", "keap", "/crm/rest/v2/*", ("api_key", "oauth2.0"))
DESTINATION_KEAP = Connector("destination-keap", "keap", "/crm/rest/v2/*", ("api_key", "oauth2.0"))
SOURCE_XERO = Connector("source-xero", "xero", "/api.xro/2.0/*", ("custom", "oauth"))
DESTINATION_XERO = Connector("destination-xero", "xero", "/api.xro/2.0/*", ("custom", "oauth"))
CONNECTORS = (SOURCE_KEAP, DESTINATION_KEAP, SOURCE_XERO, DESTINATION_XERO)
INSTANCES: dict[str, Callable[[], Any]] = {
    "source-keap": SourceKeap,
    "destination-keap": DestinationKeap,
    "source-xero": SourceXero,
    "destination-xero": DestinationXero,
}


@dataclass
class Told:
    """What a run ended with, and everything it said on the way."""

    error: str | None  # the failed check's message, or the run's (first) error
    failure_type: FailureType | None
    output: list[str] = field(default_factory=list)  # every message and log line, as text
    errors: list[str] = field(default_factory=list)  # every error message of the run

    @property
    def text(self) -> str:
        return "\n".join(self.output)


def told_well(told: Told, secrets: list[str]) -> None:
    """The error is short, and nothing said carries a long query string, headers or a secret."""
    assert told.error, "the run did not fail"
    for error in [told.error, *told.errors]:
        assert len(error) <= LONGEST_ERROR, error
    long_queries = re.findall(rf"\?[^\s'\"\\]{{{LONGEST_QUERY},}}", told.text)
    assert not long_queries, long_queries[0][:200]
    lowered = told.text.lower()
    assert not [name for name in HEADERS if name in lowered], told.text[-2000:]
    assert not [secret for secret in secrets if secret in told.text]


def secrets_of(config: dict[str, Any]) -> list[str]:
    credentials = config["credentials"]
    return [credentials[name] for name in SECRET_FIELDS if credentials.get(name)]


@contextlib.contextmanager
def logs_kept() -> Iterator[list[str]]:
    """Every log record of the run, as the connector's logger writes it (Airbyte messages)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.INFO)
    handler.setFormatter(AirbyteLogFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    lines: list[str] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        lines += buffer.getvalue().splitlines()


def as_text(message: AirbyteMessage) -> str:
    return json.dumps(AirbyteMessageSerializer.dump(message))


def check(connector: Connector, config: dict[str, Any]) -> Told:
    """`check`, as the entrypoint runs it: the connector's `check` gives the status."""
    with logs_kept() as lines:
        status = INSTANCES[connector.name]().check(logging.getLogger("airbyte"), config)
    lines.append(json.dumps({"status": status.status.value, "message": status.message}))
    assert status.status == Status.FAILED
    return Told(status.message, None, lines)


def run(connector: Connector, config: dict[str, Any], capsys: pytest.CaptureFixture) -> Told:
    """A sync: `read` of the source's own catalog, or `write` of two invoices and a payment."""
    instance = INSTANCES[connector.name]()
    if connector.is_source:
        catalog = ConfiguredAirbyteCatalogSerializer.load(
            json.loads(
                (
                    ROOT / connector.name / "integration_tests" / "configured_catalog.json"
                ).read_text()
            )
        )
        output = entrypoint_wrapper.read(
            instance, config, catalog, expected_outcome=ExpectedOutcome.EXPECT_EXCEPTION
        )
        errors = [m.trace.error for m in output.errors]
        lines = [as_text(m) for m in output.get_message_iterator()]
        assert errors, "the read did not fail"
        said = [e.message for e in errors]
        return Told(errors[0].message, errors[-1].failure_type, lines, said)
    with logs_kept() as lines:
        written = Runs(type(instance)).write(config, sync(*records_for(connector)))
    lines += [as_text(m) for m in written.messages]
    lines += capsys.readouterr().out.splitlines()
    error = written.error
    assert error is not None, "the write did not fail"
    return Told(error.message, error.failure_type, lines)


def records_for(connector: Connector) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two invoices and a payment of the other system, for the destination to write."""
    if connector.api == "xero":
        invoices = [
            examples.invoice(source_id=str(1042 + n), source_invoice_id=str(2087 + n))
            for n in (0, 1)
        ]
        payment = examples.payment(invoice_source_id="1042")
        return invoices, [payment]
    ids = [f"7d3c1f5e-0a1b-4c2d-9e8f-00000000000{n}" for n in (1, 2)]
    invoices = [
        examples.invoice(source="xero", source_id=ids[n], number=f"INV-{n}", source_invoice_id=None)
        for n in (0, 1)
    ]
    payment = examples.payment(
        source="xero", invoice_source_id=ids[0], invoice_source_invoice_id=None
    )
    return invoices, [payment]


def free_port() -> int:
    """A loopback port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounds short enough for tests: a second's patience, half a second's timeouts, one
    retry."""
    monkeypatch.setattr(invoice_model.connector.network, "PATIENCE", timedelta(seconds=1))
    monkeypatch.setattr(invoice_model.connector.network, "CONNECT_TIMEOUT", 0.5)
    monkeypatch.setattr(invoice_model.connector.network, "READ_TIMEOUT", 0.5)
    monkeypatch.setattr(invoice_model.connector.network, "CHECK_READ_TIMEOUT", 0.5)
    monkeypatch.setattr(invoice_model.connector.keap.errors, "MAX_RETRIES", 1)
    monkeypatch.setattr(source_xero.errors, "MAX_RETRIES", 1)
    monkeypatch.setattr(destination_xero.client, "MAX_RETRIES", 1)


CHECKS = [(c, auth) for c in CONNECTORS for auth in c.auths]


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A loopback port whose listener never accepts and has no room left: a connection to it
    is never opened (a connect timeout, as behind a firewall that drops packets)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    waiting = []
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            client.connect(("127.0.0.1", port))
        waiting.append(client)
    try:
        yield port
    finally:
        for client in waiting:
            client.close()
        listener.close()


@pytest.mark.parametrize(
    ("connector", "auth"), CHECKS, ids=[f"{c.name}-{auth}" for c, auth in CHECKS]
)
@pytest.mark.parametrize(
    "unreachable", ["dns", "refused", "tls", "connect-timeout", "read-timeout"]
)
@pytest.mark.usefixtures("quick")
def test_check_against_an_unreachable_host_fails_at_once_naming_the_host_and_the_cause(
    connector: Connector,
    auth: str,
    unreachable: str,
    sandbox: Sandbox,
    request: pytest.FixtureRequest,
):
    port = sandbox.url.rpartition(":")[2]
    if unreachable == "connect-timeout":
        port = request.getfixturevalue("full_backlog")
    base, host, cause = {
        "dns": (f"https://{UNRESOLVABLE}", UNRESOLVABLE, "its name does not resolve (DNS)"),
        "refused": (f"http://127.0.0.1:{free_port()}", "127.0.0.1:", "the connection was refused"),
        "tls": (f"https://127.0.0.1:{port}", f"127.0.0.1:{port}", "TLS failed"),
        "connect-timeout": (
            f"http://127.0.0.1:{port}",
            f"127.0.0.1:{port}",
            "no connection within 0.5 s (timeout)",
        ),
        "read-timeout": (sandbox.url, f"127.0.0.1:{port}", "no answer within 0.5 s (timeout)"),
    }[unreachable]
    if unreachable == "read-timeout":
        sandbox.faults.add(api=connector.api, kind="latency", seconds=2, count=None)
    config = connector.config(sandbox, base, auth)

    told = check(connector, config)

    assert "could not be reached at " in told.error
    assert host in told.error
    assert cause in told.error
    assert "Gave up" not in told.error  # tried once
    assert not [line for line in told.output if "retrying" in line.lower()]
    assert "rate limit" not in told.text.lower()
    told_well(told, secrets_of(config))
    # Tried once: the sandbox saw at most the call that it held back.
    assert sandbox.stats.count(connector.api) <= (1 if unreachable == "read-timeout" else 0)


@pytest.mark.parametrize("connector", CONNECTORS, ids=[c.name for c in CONNECTORS])
@pytest.mark.parametrize("dead", ["drop", "timeout"])
@pytest.mark.usefixtures("quick")
def test_a_sync_gives_up_on_a_dead_network_after_its_patience_and_says_why(
    connector: Connector, dead: str, sandbox: Sandbox, capsys: pytest.CaptureFixture
):
    sandbox.seed(**{connector.api: {"orders" if connector.api == "keap" else "invoices": 5}})
    if dead == "drop":
        sandbox.faults.add(api=connector.api, path=connector.api_paths, kind="drop", count=None)
    else:
        sandbox.faults.add(
            api=connector.api, path=connector.api_paths, kind="latency", seconds=2, count=None
        )
    config = connector.config(sandbox, sandbox.url, connector.auths[0])

    told = run(connector, config, capsys)

    cause = {
        "drop": "the connection was closed without an answer",
        "timeout": "no answer within 0.5 s (timeout)",
    }[dead]
    assert told.failure_type == FailureType.transient_error
    assert re.search(
        rf"could not be reached at 127\.0\.0\.1:\d+ \([A-Z]+ /[^)?]+\): {re.escape(cause)}\. "
        r"Gave up after \d+ tries over \d+ s; the next sync resumes from the last saved state\.",
        told.error,
    ), told.error
    retries = [line for line in told.output if "Caught retryable error" in line]
    assert retries  # retried meanwhile, each logged as what it was
    assert "rate limit" not in told.text.lower()
    told_well(told, secrets_of(config))


@pytest.mark.parametrize("connector", CONNECTORS, ids=[c.name for c in CONNECTORS])
@pytest.mark.usefixtures("quick")
def test_a_storm_of_5xx_ends_after_the_retries_naming_the_call(
    connector: Connector, sandbox: Sandbox, capsys: pytest.CaptureFixture
):
    sandbox.seed(**{connector.api: {"orders" if connector.api == "keap" else "invoices": 5}})
    sandbox.faults.add(api=connector.api, path=connector.api_paths, status=503, count=None)
    config = connector.config(sandbox, sandbox.url, connector.auths[0])

    told = run(connector, config, capsys)

    assert re.search(rf"{connector.api.capitalize()} answered [A-Z]+ /\S+ with 503", told.error)
    assert "rate limit" not in told.text.lower()
    told_well(told, secrets_of(config))


def spend_the_day(sandbox: Sandbox, connector: Connector) -> None:
    """The daily quota runs out on the connector's first call with an ID list in its query
    (source-keap: a page's contacts), or on its first write."""
    if connector.api == "keap":
        path, method = (
            ("/crm/rest/v2/contacts", "GET")
            if connector.is_source
            else ("/crm/rest/v2/orders", "POST")
        )
        sandbox.faults.add(
            api="keap",
            method=method,
            path=path,
            kind="hook",
            run=lambda: sandbox.keap.limits.configure("key_day", 0),
        )
        return
    sandbox.faults.add(
        api="xero",
        method="GET" if connector.is_source else "PUT",
        path="/api.xro/2.0/Invoices",
        status=429,
        headers={"X-Rate-Limit-Problem": "day", "Retry-After": "36000"},
    )


@pytest.mark.parametrize("connector", CONNECTORS, ids=[c.name for c in CONNECTORS])
@pytest.mark.usefixtures("quick")
def test_a_spent_daily_quota_ends_the_sync_in_a_few_words(
    connector: Connector, sandbox: Sandbox, capsys: pytest.CaptureFixture
):
    sandbox.seed(**{connector.api: {"orders" if connector.api == "keap" else "invoices": 40}})
    spend_the_day(sandbox, connector)
    config = connector.config(sandbox, sandbox.url, connector.auths[0])

    told = run(connector, config, capsys)

    assert told.failure_type == FailureType.transient_error
    assert "daily" in told.error.lower()
    told_well(told, secrets_of(config))
