"""Fixtures of destination-xero's tests: configs, and the standard test suite's hooks."""

from __future__ import annotations

import copy
import io
import json
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
import requests
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteRecordMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStream,
    AirbyteStreamState,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
    ConfiguredAirbyteStream,
    DestinationSyncMode,
    Level,
    StreamDescriptor,
    SyncMode,
    Type,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_xero import DestinationXero
from invoice_model import examples
from keap_xero_sandbox.sandbox import Sandbox

pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]

HERE = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "image_tests: the standard suite's connector-image tests")
    config.addinivalue_line("markers", "requires_creds: a standard-suite scenario with secrets")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The standard suite's image tests build the image from a template on GitHub and compare
    the spec with Airbyte's registry: they need a Docker daemon and the internet, and the
    tests here reach nothing beyond loopback. `airbyte-cdk image test` runs them where both are.
    """
    skip = pytest.mark.skip(reason="connector-image tests need Docker and the internet")
    for item in items:
        if item.get_closest_marker("image_tests") and HERE in item.path.parents:
            item.add_marker(skip)


Config = dict[str, Any]
MakeConfig = Callable[..., Config]

# A config that never reaches a network: for tests of settings and mapping.
OFFLINE: Config = {
    "credentials": {
        "auth_type": "oauth2_app",
        "client_id": "app-id",
        "client_secret": "app-secret",
        "refresh_token": "refresh-1",
        "tenant_id": "4a7ad9b0-3f6c-4b5e-9d5e-2d0f1c2b3a4e",
    },
    "invoices": {
        "sales_account_code": "200",
        "tax": {"mode": "source_tax_lines", "tax_account_code": "820"},
    },
}


def edited(base: Config, **changes: Any) -> Config:
    """A copy of `base` with dotted paths set (`"invoices.status": "DRAFT"`); None deletes."""
    result = copy.deepcopy(base)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return result


@pytest.fixture
def config() -> MakeConfig:
    """`config(**changes)`: the offline config with changes (see `edited`)."""
    return lambda **changes: edited(OFFLINE, **changes)


# Against the Xero sandbox


class XeroUser:
    """Someone working in the sandbox's demo organisation directly, as a Xero user would (for
    setting a test up and for looking at the result), through the sandbox's custom connection.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.tenant_id = sandbox.xero.credentials()["custom_connection"]["tenant_id"]
        self._token: str | None = None

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> dict[str, Any]:
        if self._token is None:
            credentials = self.sandbox.xero.credentials()["custom_connection"]
            answer = requests.post(
                f"{self.sandbox.url}/connect/token",
                data={"grant_type": "client_credentials"},
                auth=(credentials["client_id"], credentials["client_secret"]),
                timeout=10,
            )
            self._token = answer.json()["access_token"]
        response = requests.request(
            method,
            f"{self.sandbox.url}/api.xro/2.0{path}",
            json=body,
            params=params,
            headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
            timeout=10,
        )
        assert response.status_code < 500, response.text
        return response.json()

    def books(self) -> dict[str, Any]:
        """The organisation's contacts, invoices and payments, as the sandbox holds them."""
        return self.sandbox.xero.dump()["tenants"][self.tenant_id]

    def invoices(self) -> dict[str, dict[str, Any]]:
        return {invoice["InvoiceNumber"]: invoice for invoice in self.books()["invoices"]}

    def lock(self, date: str) -> None:
        answer = self.sandbox.app.test_client().post(
            f"/_sandbox/xero/tenants/{self.tenant_id}/lock-dates",
            json={"period_lock_date": date},
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)


@pytest.fixture
def xero(sandbox: Sandbox) -> XeroUser:
    return XeroUser(sandbox)


@pytest.fixture
def sandbox_config(sandbox: Sandbox) -> MakeConfig:
    """`sandbox_config(oauth=False, **changes)`: a config writing to the sandbox's demo company
    through its custom connection (or its OAuth app), with the demo company's account codes.
    """

    def make(*, oauth: bool = False, **changes: Any) -> Config:
        credentials = sandbox.xero.credentials()
        if oauth:
            app = credentials["oauth_app"]
            auth = {
                "auth_type": "oauth2_app",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "refresh_token": app["refresh_token"],
                "tenant_id": credentials["custom_connection"]["tenant_id"],
            }
        else:
            custom = credentials["custom_connection"]
            auth = {
                "auth_type": "custom_connection",
                "client_id": custom["client_id"],
                "client_secret": custom["client_secret"],
            }
        base = {
            "credentials": auth,
            "invoices": {
                "sales_account_code": "200",
                "shipping_account_code": "210",
                "discount_account_code": "220",
                "fee_account_code": "230",
                "tax": {"mode": "source_tax_lines", "tax_account_code": "820"},
            },
            "payments": {"account_code": "090"},
            "advanced": {"api_base_url": sandbox.url, "identity_base_url": sandbox.url},
        }
        return edited(base, **changes)

    return make


def record(stream: str, data: dict[str, Any]) -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.RECORD, record=AirbyteRecordMessage(stream=stream, data=data, emitted_at=0)
    )


def state(stream: str, cursor: str) -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.STATE,
        state=AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(
                stream_descriptor=StreamDescriptor(name=stream),
                stream_state=AirbyteStateBlob(updated_at=cursor),
            ),
        ),
    )


def catalog(*streams: str, mode: DestinationSyncMode = DestinationSyncMode.append_dedup):
    return ConfiguredAirbyteCatalog(
        streams=[
            ConfiguredAirbyteStream(
                stream=AirbyteStream(
                    name=name, json_schema={}, supported_sync_modes=[SyncMode.incremental]
                ),
                sync_mode=SyncMode.incremental,
                destination_sync_mode=mode,
                primary_key=[["source_id"]],
            )
            for name in streams or ("invoices", "payments")
        ]
    )


@dataclass
class Written:
    """What one `write` yielded, and the error it ended with (None when it succeeded)."""

    messages: list[AirbyteMessage]
    error: AirbyteTracedException | None

    @property
    def states(self) -> list[AirbyteStateMessage]:
        return [m.state for m in self.messages if m.type == Type.STATE and m.state]

    @property
    def warnings(self) -> list[str]:
        return [m.log.message for m in self.messages if m.log and m.log.level == Level.WARN]

    @property
    def summary(self) -> str:
        return self.messages[-1].log.message if self.messages and self.messages[-1].log else ""


def run(
    config: Config, messages: Iterable[AirbyteMessage], streams: Sequence[str] = ()
) -> Iterator[AirbyteMessage]:
    """`write` in-process, as the generator it is (to look at Xero while it runs)."""
    return DestinationXero().write(config, catalog(*streams), messages)


def write(
    config: Config, messages: Iterable[AirbyteMessage], streams: Sequence[str] = ()
) -> Written:
    """Run `write` in-process to its end, keeping what it yields and how it ended."""
    out: list[AirbyteMessage] = []
    try:
        for message in run(config, messages, streams):
            out.append(message)
    except AirbyteTracedException as error:
        return Written(out, error)
    return Written(out, None)


def cli(config: Config, lines: Sequence[str], streams: Sequence[str] = ()) -> Written:
    """`destination-xero write --config --catalog` in-process, the input lines on its stdin: what
    a pipe, the platform or PyAirbyte sends goes through the connector's own reading of them.
    """
    destination = DestinationXero()
    out: list[AirbyteMessage] = []
    with tempfile.TemporaryDirectory() as folder:
        config_path, catalog_path = Path(folder, "config.json"), Path(folder, "catalog.json")
        config_path.write_text(json.dumps(config))
        catalog_path.write_text(
            json.dumps(ConfiguredAirbyteCatalogSerializer.dump(catalog(*streams)))
        )
        stdin = io.TextIOWrapper(io.BytesIO("".join(f"{line}\n" for line in lines).encode()))
        arguments = ["write", "--config", str(config_path), "--catalog", str(catalog_path)]
        try:
            with mock.patch.object(sys, "stdin", stdin):
                out.extend(destination.run_cmd(destination.parse_args(arguments)))
        except AirbyteTracedException as error:
            return Written(out, error)
    return Written(out, None)


def line(message: AirbyteMessage) -> str:
    """A message as one line of JSON, as a source prints it."""
    return json.dumps(AirbyteMessageSerializer.dump(message))


def sync(
    invoices: Sequence[dict[str, Any]] = (),
    payments: Sequence[dict[str, Any]] = (),
    *,
    state_every: int = 1_000,
) -> list[AirbyteMessage]:
    """Messages as a source sends them: invoices then payments, a state every `state_every`
    records of a stream and after its last one.
    """
    messages = []
    for stream, records in (("invoices", invoices), ("payments", payments)):
        for n, data in enumerate(records, 1):
            messages.append(record(stream, data))
            if n % state_every == 0 or n == len(records):
                messages.append(state(stream, f"{n:06d}"))
    return messages


def invoice(n: int, *, contact: int | None = None, **changes: Any) -> dict[str, Any]:
    """The example invoice as the n-th of a series: its own IDs, and contact `contact`
    (its own when None).
    """
    who = n if contact is None else contact
    person = {
        **examples.invoice()["contact"],
        "source_id": f"{9_000 + who}",
        "name": f"Customer {who:04d}",
        "email": f"customer{who:04d}@example.com",
    }
    return examples.invoice(
        source_id=f"{1_000 + n}", source_invoice_id=f"{5_000 + n}", contact=person, **changes
    )


def payment(n: int, **changes: Any) -> dict[str, Any]:
    """The payment in full of `invoice(n)`."""
    return examples.payment(
        source_id=f"{7_000 + n}",
        invoice_source_id=f"{1_000 + n}",
        invoice_source_invoice_id=f"{5_000 + n}",
        **changes,
    )


def calls(sandbox: Sandbox, method: str, endpoint: str) -> int:
    """Calls to a Xero Accounting endpoint (`/Invoices`), whatever their answer."""
    return sandbox.stats.count("xero", method=method, endpoint=f"/api.xro/2.0{endpoint}")


def writes(sandbox: Sandbox) -> int:
    """Every PUT and POST to the Accounting API."""
    return sum(
        n
        for key, n in sandbox.stats.snapshot()["by_endpoint"].items()
        if key.startswith(("xero PUT /api.xro", "xero POST /api.xro"))
    )


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above, for tests to build input and run `write`."""
    return SimpleNamespace(
        record=record,
        state=state,
        sync=sync,
        invoice=invoice,
        payment=payment,
        run=run,
        write=write,
        cli=cli,
        line=line,
        calls=calls,
        writes=writes,
        catalog=catalog,
    )
