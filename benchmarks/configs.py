"""The connectors' configs for a sandbox, as the benchmarks run them."""

from __future__ import annotations

from typing import Any

from keap_xero_sandbox.sandbox import Sandbox


def keap_source(sandbox: Sandbox) -> dict[str, Any]:
    """source-keap on the sandbox's Keap OAuth client, from the first invoice."""
    return {
        "credentials": sandbox.keap.connector_credentials(),
        "start_from": {"start_type": "beginning"},
        "api_url": sandbox.url,
    }


def xero_destination(sandbox: Sandbox) -> dict[str, Any]:
    """destination-xero on the sandbox's custom connection, with the demo company's accounts."""
    credentials = sandbox.xero.credentials()["custom_connection"]
    return {
        "credentials": {
            "auth_type": "custom_connection",
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
        },
        "invoices": {
            "sales_account_code": "200",
            "shipping_account_code": "210",
            "tax": {"mode": "source_tax_lines", "tax_account_code": "820"},
        },
        "payments": {"account_code": "090"},
        "advanced": {"api_base_url": sandbox.url, "identity_base_url": sandbox.url},
    }
