"""The two directions of the product, and what a connection file asks of each.

A sync mode is a stream selection plus the `invoices` cursor field; a start point is source-keap's
`start_from`. Xero → Keap carries invoices only, never payments.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from invoice_sync.connection import Connection, ConnectionFileError, Mode


@dataclass(frozen=True)
class Direction:
    """One way the books flow: a source of one account into a destination of the other."""

    key: str  # as in the connection file
    title: str
    source: str  # console script, Airbyte connector name
    destination: str
    source_account: str  # "keap" or "xero": whose config file feeds the source
    destination_account: str


KEAP_TO_XERO = Direction(
    "keap_to_xero", "Keap → Xero", "source-keap", "destination-xero", "keap", "xero"
)
XERO_TO_KEAP = Direction(
    "xero_to_keap", "Xero → Keap", "source-xero", "destination-keap", "xero", "keap"
)
DIRECTIONS = (KEAP_TO_XERO, XERO_TO_KEAP)

# mode -> (streams, invoices cursor field)
MODES: dict[Mode, tuple[tuple[str, ...], str]] = {
    Mode.INVOICES: (("invoices",), "created_at"),
    Mode.INVOICES_AND_PAYMENTS: (("invoices", "payments"), "updated_at"),
    Mode.PAID_INVOICES_WITH_PAYMENTS: (("invoices", "payments"), "paid_at"),
}


@dataclass(frozen=True)
class Plan:
    """One direction's sync as the connection file asks for it."""

    direction: Direction
    streams: tuple[str, ...]
    cursor: str  # of `invoices`
    settings: str  # what the state belongs to; a change of settings starts a new state
    description: str
    source_overrides: Mapping[str, Any] = field(default_factory=dict)


def plans(connection: Connection) -> list[Plan]:
    """The enabled directions, Keap → Xero first."""
    chosen = []
    if connection.mode != Mode.OFF:
        streams, cursor = MODES[connection.mode]
        start = connection.start
        settings = f"mode-{connection.mode.value}-{_slug(start.source_config())}"
        chosen.append(
            Plan(
                KEAP_TO_XERO,
                streams,
                cursor,
                settings,
                f"mode {connection.mode.value} ({connection.mode.description}), {start.describe()}",
                {"start_from": start.source_config()},
            )
        )
    if connection.xero_to_keap:
        missing = [c for c in (XERO_TO_KEAP.source, XERO_TO_KEAP.destination) if not installed(c)]
        if missing:
            raise ConnectionFileError(
                connection.path,
                "xero_to_keap.enabled",
                f"Xero → Keap needs {' and '.join(missing)}, not installed with invoice-sync",
            )
        chosen.append(Plan(XERO_TO_KEAP, ("invoices",), "updated_at", "invoices", "invoices"))
    return chosen


def installed(connector: str) -> bool:
    """Whether this environment has the connector's console script."""
    return bool(importlib.metadata.entry_points(group="console_scripts", name=connector))


def _slug(start_from: Mapping[str, Any]) -> str:
    values = [str(v) for k, v in sorted(start_from.items()) if k != "start_type"]
    text = "-".join([str(start_from["start_type"]), *values])
    return "".join(c if c.isalnum() or c in "-." else "_" for c in text)
