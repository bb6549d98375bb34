"""Fixtures of destination-xero's tests: configs, and the standard test suite's hooks."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from destination_xero import DestinationXero
from invoice_model import examples
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
from keap_xero_sandbox.xero_user import XeroUser as SandboxXeroUser

pytest_plugins = ["keap_xero_sandbox.standard_suite"]


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


@pytest.fixture
def config() -> MakeConfig:
    """`config(**changes)`: the offline config with changes (see `edited`)."""
    return lambda **changes: edited(OFFLINE, **changes)


# Against the Xero sandbox


class XeroUser(SandboxXeroUser):
    """Someone working in the sandbox's demo organisation directly, as a Xero user would (for
    setting a test up and for looking at the result).
    """

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> dict[str, Any]:
        response = self.request(method, path, body, **params)
        assert response.status_code < 500, response.text
        return response.json()

    def invoices(self) -> dict[str, dict[str, Any]]:
        return {invoice["InvoiceNumber"]: invoice for invoice in self.books()["invoices"]}

    def raise_invoice(self, number: str, line: str, amount: float, **fields: Any) -> None:
        """An invoice a Xero user raises by hand for a walk-in customer (not the sync's)."""
        [walk_in] = self.call("PUT", "/Contacts", {"Contacts": [{"Name": "Walk-in"}]})["Contacts"]
        invoice = {
            "Type": "ACCREC",
            "Contact": {"ContactID": walk_in["ContactID"]},
            "InvoiceNumber": number,
            "LineItems": [
                {"Description": line, "Quantity": 1, "UnitAmount": amount, "AccountCode": "200"}
            ],
            **fields,
        }
        self.call("PUT", "/Invoices", {"Invoices": [invoice]})

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
    runs = Runs(DestinationXero)
    return SimpleNamespace(
        record=record,
        state=state,
        stream_status=stream_status,
        input_line=input_line,
        sync=sync,
        invoice=invoice,
        payment=payment,
        run=runs.run,
        write=runs.write,
        cli=runs.cli,
        calls=calls,
        writes=writes,
        catalog=catalog,
    )
