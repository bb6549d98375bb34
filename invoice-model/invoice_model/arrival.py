"""Records as they reach a destination, read back into the form their source emitted.

On the way from a source to a destination a record's values may change form without changing
meaning:

- Airbyte's message serializer leaves out top-level fields whose value is null;
- PyAirbyte's cache (DuckDB by default; seen with PyAirbyte 0.71, `destination.write(read_result)`)
  adds its own columns `_airbyte_raw_id`, `_airbyte_extracted_at` and `_airbyte_meta`, gives
  numbers back as decimal strings at the column's scale (`'35.000000000'`, `'0E-9'`) and
  timestamps without their zone, to the microsecond (`'2024-05-21T14:30:00.904000'`, UTC).

`restore` reads each of these back to exactly the value the source emitted: the null fields, the
number the decimal string spells (as JSON's reader gives it: an int, or the float whose repr is
that decimal), the timestamp in the record form. What is not exactly equivalent is left as it
is, for validation to name: a string that is not a decimal literal, a timestamp finer than the
contract's milliseconds, and a record whose `_airbyte_meta` says the platform changed it on the
way (a value nulled or truncated).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from invoice_model import dates

# Columns a PyAirbyte cache (and Airbyte's own destinations) add to every record.
AIRBYTE_COLUMNS = frozenset(
    {"_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_generation_id", "_airbyte_meta"}
)
META = "_airbyte_meta"
MAX_EXACT_FLOAT_DIGITS = 15  # a binary64 float keeps 15 significant digits through its repr

_DECIMAL = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$"
)
_RECORD_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]00:00:00(\.0+)?(Z|[+-]00:?00)?$")


@dataclass(frozen=True)
class Shape:
    """What a schema position holds, as far as reading values back is concerned."""

    number: bool = False
    format: str | None = None
    properties: dict[str, Shape] = field(default_factory=dict)
    items: Shape | None = None


def shape_of(schema: Mapping[str, Any], definitions: Mapping[str, Any]) -> Shape:
    """The `Shape` of a JSON Schema (draft-07, local `$ref`s to `#/definitions/...`)."""
    if "$ref" in schema:
        schema = definitions[schema["$ref"].rsplit("/", 1)[-1]]
    types = schema.get("type") or ()
    types = (types,) if isinstance(types, str) else tuple(types)
    return Shape(
        number="number" in types or "integer" in types,
        format=schema.get("format"),
        properties={
            name: shape_of(sub, definitions) for name, sub in schema.get("properties", {}).items()
        },
        items=shape_of(schema["items"], definitions) if "items" in schema else None,
    )


def restore(shape: Shape, data: Mapping[str, Any]) -> dict[str, Any]:
    """The record its source emitted, from the record a destination received (see module)."""
    record = {
        key: value
        for key, value in data.items()
        if key not in AIRBYTE_COLUMNS or (key == META and changes(value))
    }
    return _restored_object(shape, record)


def changes(meta: Any) -> list[str]:
    """What `_airbyte_meta` says the platform changed in the record, in words; [] for nothing."""
    if not isinstance(meta, Mapping):
        return [] if meta in (None, "", {}) else [f"unreadable {META} {meta!r}"]
    found = []
    for change in meta.get("changes") or ():
        if isinstance(change, Mapping):
            reason = f" ({change['reason']})" if change.get("reason") else ""
            found.append(f"{change.get('field')} {str(change.get('change')).lower()}{reason}")
        else:
            found.append(repr(change))
    return found


def _restored_object(shape: Shape, data: Mapping[str, Any]) -> dict[str, Any]:
    restored = dict(data)
    for name, sub in shape.properties.items():
        if name in restored:
            restored[name] = _restored(sub, restored[name])
    return restored


def _restored(shape: Shape, value: Any) -> Any:
    if isinstance(value, str):
        return _restored_text(shape, value)
    if isinstance(value, Mapping) and shape.properties:
        return _restored_object(shape, value)
    if isinstance(value, list) and shape.items is not None:
        return [_restored(shape.items, item) for item in value]
    return value


def _restored_text(shape: Shape, text: str) -> Any:
    if shape.number and _DECIMAL.match(text):
        return _number(Decimal(text))
    if shape.format == "date-time" and not _RECORD_TIMESTAMP.match(text) and _TIMESTAMP.match(text):
        return _record_timestamp(text)
    if shape.format == "date":
        midnight = _MIDNIGHT.match(text)
        return midnight[1] if midnight else text
    return text


def _number(amount: Decimal) -> int | float | Decimal:
    """The value JSON's reader gives for the number the source wrote: an int when whole, else
    the float whose shortest repr is the decimal (exact up to 15 significant digits), else the
    `Decimal` itself.
    """
    if amount == amount.to_integral_value():
        return int(amount)
    amount = amount.normalize()
    return float(amount) if len(amount.as_tuple().digits) <= MAX_EXACT_FLOAT_DIGITS else amount


def _record_timestamp(text: str) -> str:
    """The record form of a timestamp, when that form loses nothing of it; else the text."""
    try:
        moment = dates.parse_datetime(text)
    except dates.DateParseError:
        return text
    fraction = re.search(r"\.(\d+)", text)
    if fraction and fraction[1].ljust(9, "0")[3:].strip("0"):
        return text  # finer than milliseconds: not the same value in the record form
    return dates.format_datetime(moment)
