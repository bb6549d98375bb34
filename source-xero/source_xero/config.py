"""The connector's config, read once into typed settings; every mistake is a config error naming
its field, raised before any call to Xero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, fields
from typing import Any

from invoice_model.connector.config import config_error
from invoice_model.connector.xero.access import XeroAccess, read_access
from invoice_model.dates import DateParseError, parse_datetime

# The invoice statuses a user may choose to read; the default leaves out what is not yet issued.
DEFAULT_STATUSES = ("AUTHORISED", "PAID", "VOIDED")
OPTIONAL_STATUSES = ("DRAFT", "SUBMITTED")
# Only drafts and submitted invoices can be deleted: their deletion is read with them.
DELETABLE = frozenset(OPTIONAL_STATUSES)


@dataclass(frozen=True)
class Settings(XeroAccess):
    """How to reach the organisation (`XeroAccess`, shared with destination-xero) and what to
    read from it."""

    start: dt.datetime | None
    statuses: tuple[str, ...]  # Xero's invoice statuses to read, as `Statuses=` sends them
    include_written_by_sync: bool


def read_settings(config: MutableMapping[str, Any]) -> Settings:
    """Validate `config` and read it into `Settings`; raises a config error naming the field."""
    access = read_access(config)
    return Settings(
        **{field.name: getattr(access, field.name) for field in fields(XeroAccess)},
        start=_start(config.get("start_date")),
        statuses=_statuses(config.get("statuses")),
        include_written_by_sync=_flag(config, "include_written_by_sync"),
    )


def _start(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        if not isinstance(value, str):
            raise DateParseError(str(value))
        return parse_datetime(value)
    except DateParseError:
        raise config_error(
            "start_date", f"{value!r} is not a date and time like 2024-01-01T00:00:00Z"
        ) from None


def _statuses(value: Any) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_STATUSES
    known = (*DEFAULT_STATUSES, *OPTIONAL_STATUSES)
    if not isinstance(value, list) or not value:
        raise config_error("statuses", f"choose one or more of {', '.join(known)}")
    chosen = [str(status).strip().upper() for status in value]
    unknown = [status for status in chosen if status not in known]
    if unknown:
        raise config_error("statuses", f"{', '.join(unknown)} is not one of {', '.join(known)}")
    if DELETABLE & set(chosen):
        chosen.append("DELETED")
    return tuple(dict.fromkeys(chosen))


def _flag(config: Mapping[str, Any], name: str) -> bool:
    value = config.get(name, False)
    if not isinstance(value, bool):
        raise config_error(name, "must be true or false")
    return value
