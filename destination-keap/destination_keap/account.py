"""What the destination must know about the Keap account before writing, read once per run:

- its currency and time zone (`GET /businessProfile`): orders created through Keap's API take the
  account's currency, and an invoice's dates are days in the account's time zone;
- the order custom field that remembers the Xero invoice an order was written from (`GET
  /orders/model`), created when the account has none and the config allows it;
- to write payments, whether the configured manual payment type exists (`GET
  /settings/applications:getConfiguration`);
- when a line first asks, the active products by SKU (`GET /products`, 1,000 a page).

Each problem is a config error that says what to fix and where.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_keap.client import KeapClient
from destination_keap.config import Settings
from invoice_model.connector.config import config_error
from invoice_model.connector.keap.sync_marker import (
    SYNC_MARKER_LABEL,
    SYNC_MARKER_TYPE,
    sync_marker_field,
)
from invoice_model.dates import DateParseError, start_of_day

# Custom field types that hold a Xero InvoiceID as Keap's filters compare it (text).
TEXT_FIELD_TYPES = frozenset({"TEXT", "TEXT_AREA"})
WHERE_ORDER_FIELDS = (
    "in Keap, Settings > Custom Fields (Keap Max Classic: Admin > Settings > Custom Fields, "
    "for Order)"
)
WHERE_PAYMENT_TYPES = "in Keap, E-Commerce > Settings > Orders > Manual Payment Types"

logger = logging.getLogger("airbyte")


@dataclass(frozen=True)
class MarkerField:
    """The order custom field holding the Xero InvoiceID: its ID (values) and name (filters)."""

    id: str
    field_name: str


@dataclass(frozen=True)
class Account:
    name: str
    currency: str
    time_zone: str
    marker: MarkerField
    payment_types: tuple[str, ...] = ()  # read only when payments are written

    @classmethod
    def read(cls, client: KeapClient, settings: Settings, *, with_payments: bool) -> Account:
        profile = client.get("businessProfile")
        currency = str(profile.get("currency_code") or "").upper()
        if not currency:
            raise _setup_error(
                "Keap's business profile names no currency: set the account's currency in "
                "Keap (Settings > Business Profile), then run again"
            )
        payment_types = _payment_types(client, settings) if with_payments else ()
        return cls(
            name=str(profile.get("name") or ""),
            currency=currency,
            time_zone=_time_zone(profile.get("time_zone")),
            marker=_marker(client, settings),
            payment_types=payment_types,
        )


class Products:
    """Active Keap products by SKU, read once per run when a line first asks for one."""

    def __init__(self, client: KeapClient) -> None:
        self.client = client
        self._by_sku: dict[str, str] | None = None

    def by_sku(self) -> Mapping[str, str]:
        if self._by_sku is None:
            found: dict[str, str] = {}
            for page in self.client.pages("products", {}, "products"):
                for product in page:
                    sku = str(product.get("sku") or "").strip()
                    if sku and product.get("active", True) and sku not in found:
                        found[sku] = str(product["id"])
            self._by_sku = found
        return self._by_sku


def _marker(client: KeapClient, settings: Settings) -> MarkerField:
    """The order custom field of the Xero InvoiceID, created when missing and allowed."""
    found = sync_marker_field(client.get("orders/model"))
    if found is None:
        if not settings.create_custom_field:
            raise config_error(
                "orders.create_custom_field",
                f"is off, and Keap has no order custom field '{SYNC_MARKER_LABEL}': create it "
                f"(type Text) {WHERE_ORDER_FIELDS}, or turn this on",
            )
        found = _create_marker(client)
    field_type = str(found.get("field_type") or "").upper()
    if field_type and field_type not in TEXT_FIELD_TYPES:
        raise _setup_error(
            f"Keap's order custom field '{found.get('label')}' is of type {field_type}; it must "
            "be Text to hold Xero invoice IDs. Change its type, or rename it so that the "
            "connector creates its own"
        )
    return MarkerField(str(found["id"]), str(found.get("field_name") or "XeroInvoiceID"))


def _create_marker(client: KeapClient) -> Mapping[str, Any]:
    """A new order custom field for the Xero InvoiceID, or an error saying where to make it."""
    create_it = (
        f"Create it {WHERE_ORDER_FIELDS}: a Text field labelled '{SYNC_MARKER_LABEL}', then run "
        "again"
    )
    body = {"label": SYNC_MARKER_LABEL, "field_type": SYNC_MARKER_TYPE}
    try:
        answer = client.send("POST", "orders/model/customFields", body)
    except AirbyteTracedException as error:
        if error.failure_type != FailureType.config_error:
            raise
        # The credential's user may not manage custom fields (403).
        raise _setup_error(f"{error.message}. Or: {create_it}") from error
    if not answer.ok:
        raise _setup_error(
            f"Keap refused to create the order custom field '{SYNC_MARKER_LABEL}' "
            f"({answer.said}). {create_it}"
        )
    logger.info("Created the order custom field '%s' in Keap", SYNC_MARKER_LABEL)
    return answer.body


def _payment_types(client: KeapClient, settings: Settings) -> tuple[str, ...]:
    """The account's manual payment types; the configured one must be among them."""
    body = client.get("settings/applications:getConfiguration", {"fields": "ECOMMERCE"})
    listed = (body.get("ecommerce") or {}).get("payment_types")
    types = tuple(_listed_names(listed))
    if settings.payment_type not in types:
        known = ", ".join(types) or "none"
        raise config_error(
            "payments.payment_type",
            f"{settings.payment_type!r} is not a manual payment type of this Keap account "
            f"(it has: {known}). Add it {WHERE_PAYMENT_TYPES}, or choose one of these "
            "(exactly as written)",
        )
    return types


def _listed_names(value: Any) -> list[str]:
    """Names from Keap's `payment_types` setting: a list, or one string of names separated by
    commas (as the emulator serves it; Keap's spec says only "string")."""
    if isinstance(value, list):
        return [str(name).strip() for name in value if str(name).strip()]
    names = re.split(r"[,|\n]", str(value or "").strip("[]"))
    return [name.strip().strip("\"'") for name in names if name.strip().strip("\"'")]


def _time_zone(value: Any) -> str:
    """The account's IANA time zone; UTC when Keap names none it knows."""
    zone = str(value or "UTC")
    try:
        start_of_day(dt.date(2024, 1, 1), zone)
    except DateParseError:
        logger.warning("Keap's time zone %r is unknown: dates are taken in UTC", zone)
        return "UTC"
    return zone


def _setup_error(message: str) -> AirbyteTracedException:
    """Something to set up in Keap, not in the connector's config."""
    return AirbyteTracedException(
        message=message, internal_message=message, failure_type=FailureType.config_error
    )
