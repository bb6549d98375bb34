"""The two canonical streams every connector speaks: names, keys, cursors and JSON Schemas."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from invoice_model import arrival


@dataclass(frozen=True)
class StreamContract:
    """What a source promises about a stream and a destination may rely on."""

    name: str
    primary_key: tuple[str, ...]
    cursor_fields: tuple[str, ...]
    default_cursor: str
    money_fields: tuple[str, ...]

    @property
    def json_schema(self) -> dict[str, Any]:
        """A fresh copy of the stream's JSON Schema (draft-07), safe to modify."""
        return copy.deepcopy(_load_schema(self.name))

    @property
    def nullable_fields(self) -> frozenset[str]:
        """Top-level fields that may be null."""
        return _nullable_fields(self.name)

    def with_nulls(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The record with its null fields put back. Airbyte's message serializer leaves out
        top-level fields whose value is null, while the contract has every field present, so a
        record read off the wire is restored with this before it is validated or used.
        """
        missing = self.nullable_fields - data.keys()
        return {**dict.fromkeys(missing), **data} if missing else dict(data)

    def restored(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The record as its source emitted it, from what reached a destination: null fields
        put back (`with_nulls`), and the forms a PyAirbyte cache gives values back in read back
        as the contract's (see `invoice_model.arrival`). Every destination reads each record
        through this on arrival, before it validates or uses it.
        """
        return arrival.restore(_shape(self.name), self.with_nulls(data))


INVOICES = StreamContract(
    name="invoices",
    primary_key=("source_id",),
    # updated_at: every change; created_at: new invoices only; paid_at: fully paid invoices only.
    cursor_fields=("updated_at", "created_at", "paid_at"),
    default_cursor="updated_at",
    money_fields=(
        "subtotal",
        "tax",
        "total",
        "amount_paid",
        "amount_due",
        "line_items[].discount",
        "line_items[].line_amount",
        "line_items[].tax_amount",
        "instalments[].amount",
    ),
)

PAYMENTS = StreamContract(
    name="payments",
    primary_key=("source_id",),
    cursor_fields=("updated_at",),
    default_cursor="updated_at",
    money_fields=("amount",),
)

STREAMS: dict[str, StreamContract] = {INVOICES.name: INVOICES, PAYMENTS.name: PAYMENTS}

# Quantities and unit prices may carry more places than the currency (Xero's unitdp=4).
UNIT_PLACES = 4


def stream(name: str) -> StreamContract:
    """The contract of stream `name`; a `KeyError` names the streams that exist."""
    try:
        return STREAMS[name]
    except KeyError:
        raise KeyError(
            f"no stream {name!r} in the record contract; streams: {sorted(STREAMS)}"
        ) from None


@cache
def _nullable_fields(name: str) -> frozenset[str]:
    properties = _load_schema(name)["properties"]
    return frozenset(
        field for field, schema in properties.items() if "null" in (schema.get("type") or ())
    )


@cache
def _shape(name: str) -> arrival.Shape:
    schema = _load_schema(name)
    return arrival.shape_of(schema, schema.get("definitions", {}))


@cache
def _load_schema(name: str) -> dict[str, Any]:
    text = resources.files("invoice_model").joinpath("schemas", f"{name}.json").read_text("utf-8")
    return json.loads(text)
