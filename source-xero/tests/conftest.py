"""Fixtures shared by the tests.

- `xero`: the sandbox's Xero emulator on loopback, with someone working in its demo organisation
  as a Xero user would (contacts, invoices, payments, voids: `XeroUser`), and the connector's
  configs and reads against it (`SyncRun`): every record a run emits is checked against the
  contract.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStateMessageSerializer,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
    Level,
    TraceType,
    Type,
)
from airbyte_cdk.test import entrypoint_wrapper
from airbyte_cdk.test.models import ExpectedOutcome

from invoice_model import STREAMS, problems
from keap_xero_sandbox import Sandbox
from keap_xero_sandbox.xero_user import XeroUser as SandboxXeroUser
from source_xero import SourceXero

pytest_plugins = ["keap_xero_sandbox.standard_suite"]

CURSORS = {"invoices": "updated_at", "payments": "updated_at", "contacts": "UpdatedDateUTC"}
KEYS = {"invoices": "source_id", "payments": "source_id", "contacts": "ContactID"}


class SyncRun:
    """The output of one `read`, its contract records checked against the contract."""

    def __init__(self, output: entrypoint_wrapper.EntrypointOutput) -> None:
        self.output = output
        for message in output.records:
            record = message.record
            if record.stream in STREAMS:
                data = STREAMS[record.stream].with_nulls(record.data)
                found = problems(record.stream, data)
                assert not found, f"{record.stream} {data.get('source_id')}: {found}"

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [
            STREAMS[stream].with_nulls(m.record.data) if stream in STREAMS else m.record.data
            for m in self.output.records
            if m.record.stream == stream
        ]

    def ids(self, stream: str) -> list[str]:
        return [r[KEYS[stream]] for r in self.records(stream)]

    def by_id(self, stream: str) -> dict[str, dict[str, Any]]:
        return {r[KEYS[stream]]: r for r in self.records(stream)}

    def states(self, stream: str) -> list[dict[str, Any]]:
        return [
            AirbyteStateMessageSerializer.dump(m.state)["stream"]["stream_state"]
            for m in self.output.state_messages
            if m.state.stream.stream_descriptor.name == stream
        ]

    def state_messages(self) -> list[AirbyteStateMessage]:
        return [m.state for m in self.output.state_messages]

    def last_states(self, *streams: str) -> list[AirbyteStateMessage]:
        """The last state of each stream, as the platform hands it to the next sync."""
        last: dict[str, AirbyteStateMessage] = {}
        for state in self.state_messages():
            last[state.stream.stream_descriptor.name] = state
        return [
            AirbyteStateMessageSerializer.load(AirbyteStateMessageSerializer.dump(last[name]))
            for name in streams or last
        ]

    @property
    def errors(self) -> list[AirbyteMessage]:
        return self.output.errors

    def logs(self, level: Level = Level.INFO) -> list[str]:
        return [m.log.message for m in self.output.logs if m.log.level == level]

    def estimates(self) -> dict[str, int]:
        return {
            m.trace.estimate.name: m.trace.estimate.row_estimate
            for m in self.output.trace_messages
            if m.trace.type == TraceType.ESTIMATE
        }


class XeroUser(SandboxXeroUser):
    """Someone working in the sandbox's demo organisation, as a Xero user would."""

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> dict[str, Any]:
        params = {"summarizeErrors": "false", "unitdp": 4, **params}
        response = self.request(method, path, body, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def one(self, method: str, path: str, key: str, element: dict[str, Any]) -> dict[str, Any]:
        written = self.call(method, path, {key: [element]})[key][0]
        assert not written.get("ValidationErrors"), written
        return written

    def contact(self, name: str = "Ada Lovelace", **fields: Any) -> dict[str, Any]:
        return self.one("PUT", "/Contacts", "Contacts", {"Name": name, **fields})

    def invoice(self, contact: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        contact = contact or self.contact(f"Customer {len(self.ledger.contacts) + 1}")
        element = {
            "Type": "ACCREC",
            "Contact": {"ContactID": contact["ContactID"]},
            "Date": "2024-05-01",
            "DueDate": "2024-05-31",
            "Status": "AUTHORISED",
            "LineItems": [
                {
                    "Description": "Widget",
                    "Quantity": 2,
                    "UnitAmount": 49.99,
                    "AccountCode": "200",
                    "TaxType": "TAX001",
                }
            ],
            **fields,
        }
        return self.one("PUT", "/Invoices", "Invoices", element)

    def update(self, invoice_id: str, **fields: Any) -> dict[str, Any]:
        return self.one("POST", f"/Invoices/{invoice_id}", "Invoices", fields)

    def pay(self, invoice: dict[str, Any], amount: Any = None, **fields: Any) -> dict[str, Any]:
        element = {
            "Invoice": {"InvoiceID": invoice["InvoiceID"]},
            "Account": {"Code": "090"},
            "Date": "2024-05-10",
            "Amount": invoice["AmountDue"] if amount is None else amount,
            **fields,
        }
        return self.one("PUT", "/Payments", "Payments", element)

    def delete_payment(self, payment_id: str) -> dict[str, Any]:
        return self.call("POST", f"/Payments/{payment_id}", {"Payments": [{"Status": "DELETED"}]})

    def seed(self, **options: Any) -> dict[str, Any]:
        return self.sandbox.seed(xero=options)["xero"]["tenants"][self.tenant_id]


class XeroSandbox:
    """The Xero emulator, someone working in it (`user`), and the connector run against it."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.user = XeroUser(sandbox)
        self.credentials = sandbox.xero.credentials()

    def config(self, auth: str = "custom", **values: Any) -> dict[str, Any]:
        kind = "oauth2_app" if auth == "oauth" else "custom_connection"
        return {
            "credentials": self.sandbox.xero.connector_credentials(kind, self.user.tenant_id),
            "advanced": {"api_base_url": self.sandbox.url, "identity_base_url": self.sandbox.url},
            **values,
        }

    def read(
        self,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog | None = None,
        state: list[AirbyteStateMessage] | None = None,
        *,
        fails: bool = False,
    ) -> SyncRun:
        output = entrypoint_wrapper.read(
            SourceXero(),
            dict(config),
            catalog or self.catalog(),
            state,
            expected_outcome=ExpectedOutcome.EXPECT_EXCEPTION if fails else None,
        )
        if not fails:
            assert not output.errors, output.get_formatted_error_message()
        return SyncRun(output)

    def calls(self, **filters: Any) -> int:
        return self.sandbox.stats.count("xero", **filters)

    def api_calls(self, resource: str | None = None) -> int:
        """Calls to the Accounting API (to one list, `Invoices`, when named)."""
        endpoint = f"/api.xro/2.0/{resource}" if resource else None
        if endpoint:
            return self.calls(endpoint=endpoint)
        snapshot = self.sandbox.stats.snapshot()["by_endpoint"]
        return sum(n for key, n in snapshot.items() if " /api.xro/2.0/" in key)

    @staticmethod
    def catalog(*streams: str, full_refresh: bool = False) -> ConfiguredAirbyteCatalog:
        """A configured catalog of `streams` (all three, as discovered, when none), incremental
        by default."""
        mode = "full_refresh" if full_refresh else "incremental"
        configured = []
        for name in streams or ("contacts", "invoices", "payments"):
            configured.append(
                {
                    "stream": {
                        "name": name,
                        "json_schema": {},
                        "supported_sync_modes": ["full_refresh", "incremental"],
                        "source_defined_cursor": True,
                        "default_cursor_field": [CURSORS[name]],
                    },
                    "sync_mode": mode,
                    "cursor_field": [CURSORS[name]],
                    "destination_sync_mode": "append_dedup",
                    "primary_key": [[KEYS[name]]],
                }
            )
        return ConfiguredAirbyteCatalogSerializer.load({"streams": configured})

    @staticmethod
    def control_configs(captured: str) -> list[dict[str, Any]]:
        """The configs of the CONNECTOR_CONFIG control messages in captured stdout (the CDK
        prints them there directly)."""
        found = []
        for line in captured.splitlines():
            if '"CONTROL"' in line:
                message = json.loads(line)
                if message.get("type") == Type.CONTROL.value:
                    found.append(message["control"]["connectorConfig"]["config"])
        return found

    def hook_after_page(self, resource: str, *pages: int, change: Callable[[], object]) -> None:
        """Run `change` once Xero has answered each of the `pages`-th reads of `resource` (its
        n-th `GET`): a change made while the connector pages through."""
        calls = {"n": 0}

        def maybe() -> None:
            calls["n"] += 1
            if calls["n"] in pages:
                change()

        self.sandbox.faults.add(
            kind="hook",
            api="xero",
            method="GET",
            path=f"/api.xro/2.0/{resource}",
            after=True,
            count=None,
            run=maybe,
        )


@pytest.fixture
def xero(sandbox: Sandbox) -> XeroSandbox:
    return XeroSandbox(sandbox)


@pytest.fixture
def frozen(xero: XeroSandbox) -> XeroSandbox:
    """The Xero sandbox with its clock stopped, so times are exact; tests move it on."""
    xero.sandbox.clock.freeze()
    return xero
