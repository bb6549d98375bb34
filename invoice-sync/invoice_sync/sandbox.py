"""`invoice-sync sandbox`: both emulators on loopback, a seeded demo account, and ready-made
config files and a connection file pointing at them."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
import yaml

from invoice_model.money import from_minor_units
from invoice_sync.configs import write_atomically
from keap_xero_sandbox import Sandbox, SandboxServer

# A shop's half year: paid, partly paid, refunded and voided orders, payment plans,
# subscriptions, discounts, shipping, fees, tax, in USD, EUR, GBP and JPY.
DEMO_KEAP_ACCOUNT: dict[str, Any] = {
    "orders": 60,
    "contacts": 25,
    "subscriptions": 2,
    "currencies": {"USD": 0.7, "EUR": 0.1, "GBP": 0.1, "JPY": 0.1},
}
# Invoices raised in Xero itself, approved or paid (source-xero reads those by default).
DEMO_XERO_BOOKS: dict[str, Any] = {
    "invoices": 4,
    "contacts": 3,
    "statuses": {"AUTHORISED": 2, "PAID": 2},
    "payments": 1,
}
# What destination-xero needs to know of the organisation (the sandbox's demo company).
XERO_SETTINGS: dict[str, Any] = {
    "invoices": {
        "status": "AUTHORISED",
        "invoice_number_template": "{source_invoice_id}",
        "reference_template": "{reference}",
        "due_days": 30,
        "sales_account_code": "200",
        "shipping_account_code": "210",
        "tax": {"mode": "source_tax_lines", "tax_account_code": "820"},
    },
    "payments": {"account_code": "090"},
    "contacts": {"match_by_email": True, "match_by_name": True},
    "on_invalid_record": "skip",
}


class Shop:
    """What happens in the sandbox's Keap account between syncs, as a shop's staff and
    customers would do it: orders taken, paid in part or in full, edited, refunded."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.account = sandbox.keap.account

    def new_order(self, quantity: int = 2, currency: str | None = None) -> str:
        """An order of a product and shipping for an existing customer; its ID."""
        with self.account.lock:
            contact = next(iter(self.account.contacts))
            product = next(iter(self.account.products))
            lines = [
                {
                    "item_type": "PRODUCT",
                    "product_id": product.id,
                    "quantity": quantity,
                    "price_per_unit": Decimal("24.00"),
                },
                {
                    "item_type": "SHIPPING",
                    "name": "Shipping",
                    "quantity": 1,
                    "price_per_unit": Decimal("7.50"),
                },
            ]
            order = self.account.create_order(
                {
                    "contact_id": contact.id,
                    "order_title": f"Order for {contact.given_name or 'a customer'}",
                    "order_type": "OFFLINE",
                    "order_time": self.account.now(),
                    "order_items": lines,
                },
                currency=currency,
            )
            return str(order.id)

    def pay(self, order_id: str, amount: Decimal | None = None) -> str:
        """A payment by check of `amount` (default: what is due); the payment's ID."""
        with self.account.lock:
            order = self.account.order(int(order_id))
            due = from_minor_units(order.total_due, order.currency)
            payment = self.account.record_payment(
                order.id,
                {
                    "payment_amount": due if amount is None else amount,
                    "payment_method_type": "Check",
                    "apply_to_commissions": False,
                },
            )
            return str(payment.id)

    def refund(self, payment_id: str) -> None:
        """The whole payment given back."""
        with self.account.lock:
            self.account.refund_payment(int(payment_id))

    def retitle(self, order_id: str, title: str) -> None:
        with self.account.lock:
            self.account.update_order(int(order_id), {"order_title": title})

    def due(self, order_id: str) -> Decimal:
        with self.account.lock:
            order = self.account.order(int(order_id))
            return from_minor_units(order.total_due, order.currency)


class XeroBooks:
    """The bookkeeper's side: invoices raised in the sandbox's Xero organisation, through Xero's
    API (signed in as the sandbox's custom connection)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.url = sandbox.url
        self.connection = sandbox.xero.credentials()["custom_connection"]

    def raise_invoice(self, customer: str, email: str, description: str, amount: Decimal) -> str:
        """An approved sales invoice of one untaxed line, dated today; its Xero InvoiceID."""
        token = requests.post(
            f"{self.url}/connect/token",
            data={"grant_type": "client_credentials"},
            auth=(self.connection["client_id"], self.connection["client_secret"]),
            timeout=30,
        )
        token.raise_for_status()
        today = dt.datetime.now(dt.UTC).date()
        invoice = {
            "Type": "ACCREC",
            "Contact": {"Name": customer, "EmailAddress": email},
            "Date": today.isoformat(),
            "DueDate": (today + dt.timedelta(days=14)).isoformat(),
            "Status": "AUTHORISED",
            "LineAmountTypes": "NoTax",
            "LineItems": [
                {
                    "Description": description,
                    "Quantity": 1,
                    "UnitAmount": str(amount),
                    "AccountCode": "200",
                }
            ],
        }
        answer = requests.put(
            f"{self.url}/api.xro/2.0/Invoices",
            json={"Invoices": [invoice]},
            headers={
                "Authorization": f"Bearer {token.json()['access_token']}",
                "xero-tenant-id": self.connection["tenant_id"],
                "Accept": "application/json",
            },
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()["Invoices"][0]["InvoiceID"]


def demo_tenant(sandbox: Sandbox) -> str:
    """The organisation the demo configs write to (Demo Company (US))."""
    return sandbox.xero.credentials()["oauth_app"]["tenant_ids"][0]


def keap_config(sandbox: Sandbox) -> dict[str, Any]:
    """source-keap's config for the sandbox's Keap account, signed in with OAuth."""
    return {"credentials": sandbox.keap.connector_credentials(), "api_url": sandbox.url}


def xero_config(sandbox: Sandbox) -> dict[str, Any]:
    """destination-xero's config for the sandbox's demo company, signed in as an OAuth2 app."""
    return {
        "credentials": sandbox.xero.connector_credentials(tenant_id=demo_tenant(sandbox)),
        **XERO_SETTINGS,
        "advanced": {"api_base_url": sandbox.url, "identity_base_url": sandbox.url},
    }


def write_connection(
    folder: Path,
    sandbox: Sandbox,
    *,
    mode: int = 2,
    start: Any = "beginning",
    xero_to_keap: bool = False,
) -> Path:
    """keap.json, xero.json and connection.yaml in `folder`, for the sandbox; the path of the
    connection file."""
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / "keap.json", json.dumps(keap_config(sandbox), indent=2) + "\n")
    write_atomically(folder / "xero.json", json.dumps(xero_config(sandbox), indent=2) + "\n")
    forward: dict[str, Any] = {"mode": mode}
    if mode != 4:
        forward["start"] = start
    connection = {
        "keap": "keap.json",
        "xero": "xero.json",
        "keap_to_xero": forward,
        "xero_to_keap": {"enabled": xero_to_keap},
        "state": "state",
    }
    path = folder / "connection.yaml"
    write_atomically(path, yaml.safe_dump(connection, sort_keys=False))
    return path


def serve(folder: Path, port: int) -> int:
    server = SandboxServer(port=port)
    sandbox = server.sandbox
    seeded = sandbox.seed(keap=DEMO_KEAP_ACCOUNT)["keap"]
    sandbox.seed(xero={**DEMO_XERO_BOOKS, "tenants": [demo_tenant(sandbox)]})
    connection = write_connection(folder, sandbox, xero_to_keap=True)
    keap = sandbox.keap.credentials()
    xero = sandbox.xero.credentials()
    print(
        f"""Sandbox serving on {server.url} (loopback only; Ctrl-C stops it)

Keap REST v2   {server.url}/crm/rest/v2    token endpoint {server.url}/token
  demo account: {seeded["orders"]} orders, {seeded["invoices"]} invoices, \
{seeded["payments"]} payments
  OAuth client ID / secret   {keap["client_id"]} / {keap["client_secret"]}
  refresh token              {keap["refresh_token"]} (works once, like Keap's)
  personal access token      {keap["personal_access_token"]}
Xero Accounting {server.url}/api.xro/2.0   identity {server.url}/connect/token
  OAuth app client ID / secret  {xero["oauth_app"]["client_id"]} / \
{xero["oauth_app"]["client_secret"]}
  refresh token                 {xero["oauth_app"]["refresh_token"]}
  custom connection             {xero["custom_connection"]["client_id"]} / \
{xero["custom_connection"]["client_secret"]}
  organisation (tenant)         {xero["custom_connection"]["tenant_id"]}
Control surface {server.url}/_sandbox      state: {server.url}/_sandbox/state

Configs and a connection file for them are in {folder}/:
  invoice-sync run {connection}
  invoice-sync log {connection}""",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0
