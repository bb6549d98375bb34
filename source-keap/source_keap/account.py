"""What a sync learns about the Keap account once and shares across its streams: its own
settings, the start point resolved against it, the custom field destination-keap marks its
orders with, and the contacts, payments and listings of orders fetched so far (see `keap`).
Each is asked of Keap only when a page of orders first needs it: a sync with nothing new asks
for none of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from invoice_model.connector.keap.lists import Get
from invoice_model.connector.keap.sync_marker import marker_value, sync_marker_field
from source_keap.config import KeapConfig
from source_keap.keap import ContactBook, ListingBook, PaymentBook
from source_keap.start import StartPoint, from_state, resolve


@dataclass(frozen=True)
class Profile:
    """The Keap account's own settings: the day boundary for dates and the default currency."""

    time_zone: str
    currency: str | None


class Account:
    """What a sync learns about the Keap account once and shares across its streams."""

    def __init__(self, config: KeapConfig) -> None:
        self.config = config
        self.contacts = ContactBook()
        self.payments = PaymentBook()
        self.listings = ListingBook()
        self._profile: Profile | None = None
        self._start: StartPoint | None = None
        self._marker: tuple[str | None] | None = None

    def profile(self, get: Get) -> Profile:
        if self._profile is None:
            body = get("businessProfile", {})
            self._profile = Profile(
                time_zone=str(body.get("time_zone") or "UTC"),
                currency=body.get("currency_code") or None,
            )
        return self._profile

    def start_point(self, get: Get, state: Mapping[str, Any] | None = None) -> StartPoint:
        """The configured start point as a stream's `state` keeps it, else resolved against the
        account (see `start`)."""
        if self._start is None:
            self._start = from_state(self.config.start_from, state) or resolve(
                self.config.start_from, get, lambda: self.profile(get).time_zone
            )
        return self._start

    def written_by_sync(self, get: Get, order: Mapping[str, Any]) -> bool:
        """Whether destination-keap wrote the order: its marker field holds a value. The orders'
        custom field model, which names that field, is read once, and only for an order that
        holds a custom field value at all."""
        if not any(
            isinstance(value, Mapping) and value.get("content") not in (None, "")
            for value in order.get("custom_fields") or []
        ):
            return False
        marker = self._sync_marker_field_id(get)
        return marker is not None and marker_value(order, marker) is not None

    def _sync_marker_field_id(self, get: Get) -> str | None:
        """The ID of the order custom field destination-keap writes; None when the account has
        none (then no order was written by it)."""
        if self._marker is None:
            match = sync_marker_field(get("orders/model", {}))
            self._marker = (str(match["id"]) if match else None,)
        return self._marker[0]
