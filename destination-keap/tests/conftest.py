"""Fixtures of destination-keap's tests: Xero invoice records, configs of the Keap sandbox, and
`write` run in-process (`keap_xero_sandbox.destinations`)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from destination_keap import DestinationKeap
from invoice_model import examples
from invoice_model.money import line_amount, to_json_number
from keap_xero_sandbox.destinations import (
    Config,
    Runs,
    catalog,
    edited,
    input_line,
    record,
    state,
    stream_status,
    sync,
)
from keap_xero_sandbox.sandbox import Sandbox

pytest_plugins = ["keap_xero_sandbox.standard_suite"]


def xero_id(n: int, kind: str = "invoice") -> str:
    """A deterministic Xero ID (a UUID, as Xero's are)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"xero:{kind}:{n}"))


def contact(n: int, **changes: Any) -> dict[str, Any]:
    """Xero contact n: a person with an email, a phone and a billing address."""
    person = {
        "source_id": xero_id(n, "contact"),
        "name": f"Customer {n:04d}",
        "first_name": "Customer",
        "last_name": f"{n:04d}",
        "company": None,
        "email": f"customer{n:04d}@example.com",
        "phone": "+64 9 555 0100",
        "billing_address": {
            "line1": "1 Queen St",
            "line2": None,
            "city": "Auckland",
            "region": None,
            "postal_code": "1010",
            "country_code": "NZ",
        },
    }
    person.update(changes)
    return person


def line(
    kind: str, description: str, quantity: Any, unit: Any, currency: str = "USD", **extra: Any
) -> dict[str, Any]:
    """A contract line whose amount is computed from its quantity, price and discount."""
    discount = extra.pop("discount", 0)
    return {
        "source_id": None,
        "kind": kind,
        "description": description,
        "sku": extra.pop("sku", None),
        "quantity": quantity,
        "unit_amount": unit,
        "discount": discount,
        "line_amount": to_json_number(line_amount(quantity, unit, currency, discount), currency),
        "tax_amount": extra.pop("tax_amount", None),
        "taxable": extra.pop("taxable", True),
    }


def invoice(n: int, *, contact_n: int | None = None, **changes: Any) -> dict[str, Any]:
    """Xero invoice n of contact `contact_n` (its own when None): the contract's example
    invoice (a product with a line discount, shipping, a discount line and a tax line; 99.13
    USD), open and unpaid, with Xero's IDs and number."""
    record = examples.invoice(
        source="xero",
        source_id=xero_id(n),
        source_invoice_id=None,
        number=f"INV-{n:04d}",
        reference=f"PO {n}",
        status="open",
        paid_at=None,
        amount_paid=0,
        amount_due=99.13,
        contact=contact(n if contact_n is None else contact_n),
    )
    record.update(changes)
    return totalled(record) if "line_items" in changes else record


def totalled(record: dict[str, Any]) -> dict[str, Any]:
    """The record with subtotal, tax, total and amount due worked out from its lines."""
    currency = record["currency"]
    amounts = [(li["kind"], Decimal(str(li["line_amount"]))) for li in record["line_items"]]
    carried = sum(
        (Decimal(str(li["tax_amount"])) for li in record["line_items"] if li["tax_amount"]),
        Decimal(0),
    )
    subtotal = sum((a for kind, a in amounts if kind != "tax"), Decimal(0))
    tax = sum((a for kind, a in amounts if kind == "tax"), Decimal(0)) + carried
    paid = Decimal(str(record["amount_paid"]))
    record.update(
        subtotal=to_json_number(subtotal, currency),
        tax=to_json_number(tax, currency),
        total=to_json_number(subtotal + tax, currency),
        amount_due=to_json_number(subtotal + tax - paid, currency),
    )
    return record


def payment(n: int, **changes: Any) -> dict[str, Any]:
    """The Xero payment in full of `invoice(n)`."""
    record = examples.payment(
        source="xero",
        source_id=xero_id(n, "payment"),
        invoice_source_id=xero_id(n),
        invoice_source_invoice_id=None,
        invoice_number=f"INV-{n:04d}",
        method="Bank transfer",
        reference=f"INV-{n:04d}",
    )
    record.update(changes)
    return record


class Keap:
    """The Keap sandbox as a test sees it: configs of the destination, and the account."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.emulator = sandbox.keap
        self.account = sandbox.keap.account
        self.credentials = sandbox.keap.credentials()

    def config(self, auth: str = "api_key", **changes: Any) -> Config:
        """A destination config for the sandbox (an API key, or OAuth), with changes."""
        credentials = self.emulator.connector_credentials(auth)
        return edited({"credentials": credentials, "api_url": self.sandbox.url}, **changes)

    def dump(self) -> dict[str, Any]:
        return self.sandbox.dump("keap")

    def orders(self) -> dict[str, dict[str, Any]]:
        """The account's orders as Keap's API shows them, by the Xero InvoiceID they hold."""
        field = self.account.order_field_named("XeroInvoiceID")
        marker = str(field.id) if field else None
        found = {}
        for order in self.dump()["orders"]:
            held = next((v["content"] for v in order["custom_fields"] if v["id"] == marker), None)
            found[held or f"order {order['id']}"] = order
        return found

    def contacts(self) -> list[dict[str, Any]]:
        return self.dump()["contacts"]

    def payments(self) -> list[dict[str, Any]]:
        return self.dump()["payments"]

    def calls(self, method: str | None = None, endpoint: str | None = None, **more: Any) -> int:
        """Calls to Keap's API (the token endpoint included), by method and endpoint path
        (`orders`, `contacts` ...)."""
        filters = dict(more)
        if method:
            filters["method"] = method
        if endpoint:
            filters["endpoint"] = f"/crm/rest/v2/{endpoint}"
        return self.sandbox.stats.count("keap", **filters)

    def contact(self, **values: Any) -> Any:
        """A contact made in Keap's app, before the sync."""
        with self.account.lock:
            return self.account.create_contact(values)

    def product(self, sku: str, **values: Any) -> Any:
        with self.account.lock:
            return self.account.create_product(
                {"name": f"Product {sku}", "price": 100, "short_description": sku, "sku": sku}
                | values
            )


@pytest.fixture
def keap(sandbox: Sandbox) -> Keap:
    return Keap(sandbox)


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above, for tests to build input and run `write`."""
    runs = Runs(DestinationKeap)
    return SimpleNamespace(
        xero_id=xero_id,
        contact=contact,
        line=line,
        invoice=invoice,
        totalled=totalled,
        payment=payment,
        record=record,
        state=state,
        stream_status=stream_status,
        sync=sync,
        catalog=catalog,
        run=runs.run,
        write=runs.write,
        cli=runs.cli,
        input_line=input_line,
    )
