"""The order custom field in which destination-keap records the Xero InvoiceID an order was
written from: how destination-keap finds its orders again, and how source-keap leaves them out
(loop prevention). Keap names a field after its label ("Xero Invoice ID" -> `XeroInvoiceID`) and
compares names without regard to case or punctuation, so both connectors do too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SYNC_MARKER_LABEL = "Xero Invoice ID"
SYNC_MARKER_FIELD = "XeroInvoiceID"
SYNC_MARKER_TYPE = "TEXT"


def sync_marker_field(model: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The marker's definition among an `ObjectModel`'s custom fields (`GET /orders/model`),
    found by field name or label; None when the account has none."""
    wanted = folded(SYNC_MARKER_FIELD)
    return next(
        (
            field
            for field in model.get("custom_fields") or []
            if isinstance(field, Mapping)
            and wanted in (folded(field.get("field_name")), folded(field.get("label")))
        ),
        None,
    )


def marker_value(order: Mapping[str, Any], field_id: str) -> str | None:
    """What an order holds in the marker field (`custom_fields: [{id, content}]`), if set."""
    for value in order.get("custom_fields") or []:
        if isinstance(value, Mapping) and str(value.get("id")) == field_id:
            content = value.get("content")
            return None if content in (None, "") else str(content)
    return None


def folded(name: Any) -> str:
    """A field name or label compared as Keap does: case-insensitive, letters and digits only."""
    return "".join(c for c in str(name or "") if c.isalnum()).lower()
