"""The connectors' configs for a sandbox, as the benchmarks run them."""

from __future__ import annotations

from typing import Any

from keap_xero_sandbox.sandbox import Sandbox


def keap_source(sandbox: Sandbox) -> dict[str, Any]:
    """source-keap on the sandbox's Keap OAuth client, from the first invoice."""
    return {**keap_destination(sandbox), "start_from": {"start_type": "beginning"}}


def xero_destination(sandbox: Sandbox) -> dict[str, Any]:
    """destination-xero on the sandbox's custom connection, with the demo company's accounts."""
    return {
        "credentials": sandbox.xero.connector_credentials("custom_connection"),
        "invoices": {
            "sales_account_code": "200",
            "shipping_account_code": "210",
            "tax": {"mode": "source_tax_lines", "tax_account_code": "820"},
        },
        "payments": {"account_code": "090"},
        "advanced": {"api_base_url": sandbox.url, "identity_base_url": sandbox.url},
    }


def xero_source(sandbox: Sandbox) -> dict[str, Any]:
    """source-xero on the sandbox's Xero OAuth app and its first organisation."""
    return {
        "credentials": sandbox.xero.connector_credentials(),
        "advanced": {"api_base_url": sandbox.url, "identity_base_url": sandbox.url},
    }


def keap_destination(sandbox: Sandbox) -> dict[str, Any]:
    """destination-keap on the sandbox's Keap OAuth client."""
    return {"credentials": sandbox.keap.connector_credentials(), "api_url": sandbox.url}
