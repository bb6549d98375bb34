"""Fixtures shared by the tests.

- `payloads`: Keap REST v2 objects shaped as the official spec (`OrderV2`, `Contact`,
  `Payment`), for the mapping's unit tests;
- `keap`: the sandbox's Keap emulator on loopback, with helpers to configure and run the
  connector against it (`SyncRun`): every record a run emits is checked against the contract.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStateMessageSerializer,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
)
from airbyte_cdk.test import entrypoint_wrapper
from airbyte_cdk.test.models import ExpectedOutcome

from invoice_model import STREAMS, problems
from keap_xero_sandbox import Sandbox
from source_keap import SourceKeap

# Airbyte's standard source tests (test_standard_suite.py) parametrize through these hooks.
pytest_plugins = ["keap_xero_sandbox.standard_suite"]


def cents(amount: int, currency: str = "USD") -> dict[str, Any]:
    """A `CurrencyValue` of `amount` minor units."""
    return {"amount": amount, "currency_code": currency, "formatted_amount": f"{amount}"}


def item(item_type: str, name: str, quantity: int, price: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": extra.pop("id", f"{name}-1"),
        "name": name,
        "quantity": quantity,
        "item_type": item_type,
        "price_per_unit": cents(price, extra.pop("currency", "USD")),
        **extra,
    }


def order(**overrides: Any) -> dict[str, Any]:
    """Order 1042 (invoice 2087): 2 workshop tickets, shipping, a promo and sales tax; unpaid."""
    body: dict[str, Any] = {
        "id": "1042",
        "invoice_id": "2087",
        "title": "Spring workshop order",
        "status": "SENT",
        "order_type": "OFFLINE",
        "source_type": "API",
        "creation_time": "2024-03-01T15:04:05Z",
        "modification_time": "2024-03-01T15:04:05Z",
        "order_time": "2024-03-01T15:00:00Z",
        "due_time": "2024-03-31T15:00:00Z",
        "contact": {
            "id": "311",
            "email": "zoe@example.com",
            "given_name": "Zoë",
            "family_name": "Fernández",
        },
        "order_items": [
            item(
                "PRODUCT",
                "Workshop ticket",
                2,
                4999,
                product={"id": "7", "name": "Workshop", "sku": "WS-1", "taxable": True},
            ),
            item("SHIPPING", "Shipping", 1, 750),
            item("DISCOUNT_ORDER_TOTAL", "Spring promo", 1, -1000),
            item("TAX", "Sales tax", 1, 665),
        ],
        "total": cents(10413),
        "total_paid": cents(0),
        "total_due": cents(10413),
        "refund_total": cents(0),
        "custom_fields": [],
    }
    body.update(overrides)
    return body


def contact(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "311",
        "given_name": "Zoë",
        "family_name": "Fernández",
        "company": None,
        "email_addresses": [
            {"email": "zoe.work@example.com", "field": "EMAIL2"},
            {"email": "zoe@example.com", "field": "EMAIL1"},
        ],
        "phone_numbers": [{"number": "+1 555 0100", "field": "PHONE1", "type": "Work"}],
        "addresses": [
            {
                "field": "SHIPPING",
                "line1": "9 Dock Rd",
                "locality": "Peoria",
                "country_code": "USA",
            },
            {
                "field": "BILLING",
                "line1": "1 Main St",
                "locality": "Springfield",
                "region": "Illinois",
                "region_code": "US-IL",
                "postal_code": "62701",
                "country_code": "USA",
            },
        ],
    }
    body.update(overrides)
    return body


def payment(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "5001",
        "type": "Credit Card",
        "amount": 104.13,
        "note": "Paid at the door",
        "status": "COMPLETED",
        "payment_time": "2024-03-02T09:00:00Z",
        "update_time": "2024-03-02T09:00:05Z",
        "contact_id": "311",
        "order_ids": ["1042"],
    }
    body.update(overrides)
    return body


@pytest.fixture
def payloads() -> SimpleNamespace:
    """Builders of spec-shaped Keap objects: `order()`, `contact()`, `payment()`, `item()`..."""
    return SimpleNamespace(cents=cents, item=item, order=order, contact=contact, payment=payment)


def _marked(order: Mapping[str, Any], field_id: str) -> bool:
    return any(v["id"] == field_id and v["content"] for v in order.get("custom_fields") or [])


def wire_record(stream: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A contract record as it crossed the Airbyte protocol, its null fields put back; a field
    that may not be null stays missing and fails."""
    return STREAMS[stream].with_nulls(data)


class SyncRun:
    """The output of one `read`, with its records checked against the record contract."""

    def __init__(self, output: entrypoint_wrapper.EntrypointOutput) -> None:
        self.output = output
        for message in output.records:
            record = message.record
            if record.stream in STREAMS:
                data = wire_record(record.stream, record.data)
                found = problems(record.stream, data)
                assert not found, f"{record.stream} {data.get('source_id')}: {found}"

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [
            wire_record(m.record.stream, m.record.data)
            if m.record.stream in STREAMS
            else m.record.data
            for m in self.output.records
            if m.record.stream == stream
        ]

    def ids(self, stream: str) -> list[str]:
        key = "source_id" if stream in STREAMS else "id"
        return [r[key] for r in self.records(stream)]

    def states(self, stream: str) -> list[dict[str, Any]]:
        return [
            AirbyteStateMessageSerializer.dump(m.state)["stream"]["stream_state"]
            for m in self.output.state_messages
            if m.state.stream.stream_descriptor.name == stream
        ]

    def state_messages(self, stream: str | None = None) -> list[AirbyteStateMessage]:
        return [
            m.state
            for m in self.output.state_messages
            if stream is None or m.state.stream.stream_descriptor.name == stream
        ]

    @property
    def errors(self) -> list[AirbyteMessage]:
        return self.output.errors

    def statuses(self, stream: str) -> list[str]:
        return [status.name for status in self.output.get_stream_statuses(stream)]


class KeapSandbox:
    """The Keap emulator of the sandbox, and the connector's configs and reads against it."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.emulator = sandbox.keap
        self.account = sandbox.keap.account
        self.credentials = sandbox.keap.credentials()

    def seed(self, **options: Any) -> dict[str, Any]:
        return self.sandbox.seed(keap=options)["keap"]

    def config(self, auth: str = "api_key", **values: Any) -> dict[str, Any]:
        return {
            "credentials": self.emulator.connector_credentials(auth),
            "start_from": {"start_type": "beginning"},
            "api_url": self.sandbox.url,
            **values,
        }

    def read(
        self,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None = None,
        *,
        fails: bool = False,
    ) -> SyncRun:
        output = entrypoint_wrapper.read(
            SourceKeap(),
            dict(config),
            catalog,
            state,
            expected_outcome=ExpectedOutcome.EXPECT_EXCEPTION if fails else None,
        )
        if not fails:
            assert not output.errors, output.get_formatted_error_message()
        return SyncRun(output)

    def calls(self, **filters: Any) -> int:
        return self.sandbox.stats.count("keap", **filters)

    def orders(self, *, synced: bool | None = False) -> list[dict[str, Any]]:
        """The account's orders as Keap's API shows them; by default those destination-keap did
        not write (`synced=None`: all)."""
        marker = str(self.account.xero_invoice_field.id)
        orders = self.sandbox.dump("keap")["orders"]
        if synced is None:
            return orders
        return [o for o in orders if _marked(o, marker) == synced]

    def payments(self, order_ids: Any = None) -> list[dict[str, Any]]:
        """Payments received (refund entries left out), of the given orders or of all."""
        wanted = None if order_ids is None else {str(i) for i in order_ids}
        return [
            p
            for p in self.sandbox.dump("keap")["payments"]
            if p["amount"] > 0 and (wanted is None or p["order_ids"][0] in wanted)
        ]

    def pay(self, order_id: str, amount: str, at: dt.datetime | None = None, **values: Any) -> Any:
        """A manual payment recorded in Keap now (sandbox clock), or `at`."""
        with self.account.lock:
            return self.account.record_payment(
                int(order_id),
                {
                    "payment_amount": Decimal(amount),
                    "payment_method_type": "Check",
                    "apply_to_commissions": False,
                    **values,
                },
                at,
            )

    def new_order(
        self, contact_id: int | None = None, at: dt.datetime | None = None, **values: Any
    ) -> Any:
        """A one-time order of one $100 line created now (or `at`)."""
        with self.account.lock:
            contact = contact_id or next(iter(self.account.contacts)).id
            return self.account.create_order(
                {
                    "contact_id": contact,
                    "order_title": "Counter sale",
                    "order_type": "OFFLINE",
                    "order_time": at or self.account.now(),
                    "order_items": [
                        {
                            "item_type": "OTHER",
                            "name": "Consulting",
                            "quantity": 1,
                            "price_per_unit": Decimal(100),
                        }
                    ],
                    **values,
                },
                at,
            )

    @staticmethod
    def catalog(
        invoices: str | None = "updated_at",
        *,
        payments: bool = False,
        plain: tuple[str, ...] = (),
        full_refresh: bool = False,
    ) -> ConfiguredAirbyteCatalog:
        """A configured catalog: `invoices` on a cursor field (None: not selected), optionally
        `payments` and the plain streams."""
        mode = "full_refresh" if full_refresh else "incremental"
        streams = []
        if invoices:
            streams.append(
                KeapSandbox._configured("invoices", mode, [invoices], source_defined=False)
            )
        if payments:
            streams.append(
                KeapSandbox._configured("payments", mode, ["updated_at"], source_defined=True)
            )
        streams += [
            KeapSandbox._configured(name, "full_refresh", None, source_defined=False)
            for name in plain
        ]
        return ConfiguredAirbyteCatalogSerializer.load({"streams": streams})

    @staticmethod
    def _configured(
        name: str, mode: str, cursor: list[str] | None, *, source_defined: bool
    ) -> dict[str, Any]:
        stream: dict[str, Any] = {
            "name": name,
            "json_schema": {},
            "supported_sync_modes": ["full_refresh", "incremental"] if cursor else ["full_refresh"],
        }
        if cursor:
            stream["source_defined_cursor"] = source_defined
            stream["default_cursor_field"] = cursor
        configured: dict[str, Any] = {
            "stream": stream,
            "sync_mode": mode,
            "destination_sync_mode": "append_dedup" if cursor else "overwrite",
        }
        if cursor:
            configured["cursor_field"] = cursor
            configured["primary_key"] = [["source_id"]]
        return configured

    @staticmethod
    def last_states(run: SyncRun, *streams: str) -> list[AirbyteStateMessage]:
        """The last state of each stream of a run, as the platform passes it to the next sync."""
        last: dict[str, AirbyteStateMessage] = {}
        for state in run.state_messages():
            last[state.stream.stream_descriptor.name] = state
        chosen = [last[name] for name in streams or last]
        return [
            AirbyteStateMessageSerializer.load(AirbyteStateMessageSerializer.dump(s))
            for s in chosen
        ]

    @staticmethod
    def saved(stream: str, state: Mapping[str, Any]) -> list[AirbyteStateMessage]:
        """A stream's state as a saved one, such as an earlier version wrote, handed to a sync."""
        message = {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": stream}, "stream_state": dict(state)},
        }
        return [AirbyteStateMessageSerializer.load(message)]

    @staticmethod
    def utc(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def keap(sandbox: Sandbox) -> KeapSandbox:
    return KeapSandbox(sandbox)


@pytest.fixture
def frozen(keap: KeapSandbox) -> KeapSandbox:
    """The Keap sandbox with its clock stopped, so times are exact; tests move it on."""
    keap.sandbox.clock.freeze()
    return keap
