"""The connector's config, read once into typed values; every mistake is a config error naming its
field, raised before any call to Keap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from invoice_model.connector.config import base_url, config_error
from invoice_model.connector.keap.http import DEFAULT_API_URL, REST_PATH, TOKEN_PATH
from invoice_model.dates import DateParseError, parse_date, start_of_day


@dataclass(frozen=True)
class Beginning:
    """Start with the first order ever created."""


@dataclass(frozen=True)
class FromInvoiceId:
    """Start with the order of this Keap invoice and those created after it (the invoice and
    order IDs differ)."""

    invoice_id: str


@dataclass(frozen=True)
class FromInvoiceDate:
    """Start with the orders dated `day` or later; the day begins at midnight in `time_zone`
    (None: the Keap account's own time zone)."""

    day: dt.date
    time_zone: str | None

    def first_instant(self, account_time_zone: str | None) -> dt.datetime:
        """The UTC instant the day begins, in the configured zone, else the account's, else UTC."""
        zone = self.time_zone or account_time_zone or "UTC"
        try:
            return start_of_day(self.day, zone)
        except DateParseError as error:
            field = "start_from.time_zone" if self.time_zone else "the Keap account's time_zone"
            raise config_error(field, f"{zone!r} is not an IANA time zone") from error


StartFrom = Beginning | FromInvoiceId | FromInvoiceDate


@dataclass(frozen=True)
class KeapConfig:
    """What a sync needs to know, beyond the credentials (see `auth`)."""

    api_url: str
    start_from: StartFrom
    include_written_by_sync: bool

    @property
    def rest_url(self) -> str:
        return self.api_url + REST_PATH

    @property
    def token_url(self) -> str:
        return self.api_url + TOKEN_PATH

    @classmethod
    def parse(cls, config: Mapping[str, Any]) -> KeapConfig:
        return cls(
            api_url=base_url(config, "api_url", DEFAULT_API_URL),
            start_from=_start_from(config.get("start_from")),
            include_written_by_sync=bool(config.get("include_written_by_sync", False)),
        )


def _start_from(value: Any) -> StartFrom:
    if value is None:
        return Beginning()
    if not isinstance(value, Mapping):
        raise config_error("start_from", "must be an object with a start_type")
    start_type = value.get("start_type")
    if start_type == "beginning":
        return Beginning()
    if start_type == "invoice_id":
        invoice_id = str(value.get("invoice_id") or "").strip()
        if not invoice_id.isdigit():
            raise config_error("start_from.invoice_id", f"{invoice_id!r} is not a Keap invoice ID")
        return FromInvoiceId(invoice_id)
    if start_type == "invoice_date":
        text = value.get("invoice_date")
        try:
            day = parse_date(text) if isinstance(text, str) and len(text) == 10 else None
        except DateParseError:
            day = None
        if day is None:
            raise config_error("start_from.invoice_date", f"{text!r} is not a YYYY-MM-DD date")
        start = FromInvoiceDate(day, (value.get("time_zone") or "").strip() or None)
        if start.time_zone:
            start.first_instant(None)  # an unknown zone fails here, before any call to Keap
        return start
    raise config_error(
        "start_from.start_type",
        f"{start_type!r} is not one of 'beginning', 'invoice_id', 'invoice_date'",
    )
