"""Validation that reports every problem of a record, each with its field path.

A destination rejects one record with these messages and goes on with the rest of the sync, so
a message must say which field is wrong and why, in words a bookkeeper's developer can act on.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from invoice_model import arrival, dates, money
from invoice_model.contract import UNIT_PLACES, StreamContract, stream

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UTC_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")

_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date", raises=dates.DateParseError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_DATE.match(value)) and bool(dates.parse_date(value))


@_FORMATS.checks("date-time", raises=dates.DateParseError)
def _is_utc_timestamp(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_UTC_TIMESTAMP.match(value)) and bool(dates.parse_datetime(value))


# Problems with the record's structure (which fields, of which JSON types), as opposed to its
# values: a stream whose every record has one is wrongly shaped as a whole.
SHAPE_VALIDATORS = frozenset({"type", "required", "additionalProperties"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a record: where (`line_items[2].quantity`) and what. `shape` marks a
    problem with the record's structure (a field missing, unknown, or of another JSON type)
    rather than with a value.
    """

    path: str
    message: str
    shape: bool = dataclasses.field(default=False, compare=False)

    def __str__(self) -> str:
        return f"{self.path or '(record)'}: {self.message}"


class InvalidRecordError(ValueError):
    """A record that breaks the contract; `problems` lists every reason."""

    def __init__(self, stream_name: str, problems: list[Problem], record_id: str | None = None):
        self.stream_name = stream_name
        self.problems = problems
        self.record_id = record_id
        label = f"{stream_name} record {record_id}" if record_id else f"{stream_name} record"
        super().__init__(f"{label} is invalid: " + "; ".join(str(p) for p in problems))


def problems(stream_name: str, record: Mapping[str, Any]) -> list[Problem]:
    """Every problem of `record` against its stream's schema and business rules; [] when valid."""
    contract = stream(stream_name)
    found, record = _changed_on_the_way(record)
    found += [_schema_problem(error) for error in _validator(contract).iter_errors(record)]
    if not found:
        found = list(_money_problems(contract, record))
        if not found and contract.name == "invoices":
            found = _invoice_rule_problems(record)
    return sorted(found, key=lambda problem: problem.path)


def validate(stream_name: str, record: Mapping[str, Any]) -> None:
    """Raise `InvalidRecordError` listing every problem, or return when the record is valid."""
    found = problems(stream_name, record)
    if found:
        record_id = record.get("source_id") if isinstance(record, Mapping) else None
        raise InvalidRecordError(stream_name, found, str(record_id) if record_id else None)


def _changed_on_the_way(record: Any) -> tuple[list[Problem], Any]:
    """A problem when the record's `_airbyte_meta` lists changes the platform made to it on its
    way (see `arrival`), and the record without that column.
    """
    changed = arrival.changes(record.get(arrival.META)) if isinstance(record, Mapping) else []
    if not changed:
        return [], record
    problem = Problem(
        arrival.META,
        f"Airbyte changed the record on its way ({'; '.join(changed)}): it is not the record "
        "its source emitted",
        shape=True,
    )
    return [problem], {key: value for key, value in record.items() if key != arrival.META}


_VALIDATORS: dict[str, Draft7Validator] = {}


def _validator(contract: StreamContract) -> Draft7Validator:
    if contract.name not in _VALIDATORS:
        _VALIDATORS[contract.name] = Draft7Validator(contract.json_schema, format_checker=_FORMATS)
    return _VALIDATORS[contract.name]


def field_path(parts: Iterable[Any]) -> str:
    """`["line_items", 2, "quantity"]` -> `line_items[2].quantity`."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _schema_problem(error: ValidationError) -> Problem:
    shape = error.validator in SHAPE_VALIDATORS
    if error.validator == "required":
        missing = re.match(r"'(.+)' is a required property", error.message)
        if missing:
            return Problem(field_path([*error.absolute_path, missing[1]]), "is required", shape)
    if error.validator == "format":
        expected = "YYYY-MM-DD" if error.validator_value == "date" else "UTC ISO-8601 ending in Z"
        return Problem(
            field_path(error.absolute_path), f"{error.instance!r} is not a {expected} value"
        )
    return Problem(field_path(error.absolute_path), error.message, shape)


def _values(record: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(concrete path, value) for a contract path like `line_items[].discount`."""
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = record.get(head[:-2]) or []
        for index, item in enumerate(items):
            for sub_path, value in _values(item, rest):
                yield f"{head[:-2]}[{index}].{sub_path}", value
        return
    value = record.get(head)
    if not rest:
        yield head, value
    elif isinstance(value, Mapping):
        for sub_path, sub_value in _values(value, rest):
            yield f"{head}.{sub_path}", sub_value


def _money_problems(contract: StreamContract, record: Mapping[str, Any]) -> Iterator[Problem]:
    currency = record["currency"]
    try:
        places = money.minor_units(currency)
    except money.MoneyError as error:
        yield Problem("currency", str(error))
        return
    for field in contract.money_fields:
        for path, value in _values(record, field):
            if value is not None:
                yield from _amount_problems(path, value, places, f"{currency}'s {places}")
    for index, line in enumerate(record.get("line_items") or []):
        for field in ("quantity", "unit_amount"):
            path = f"line_items[{index}].{field}"
            yield from _amount_problems(path, line[field], UNIT_PLACES, str(UNIT_PLACES))


def _amount_problems(path: str, value: Any, places: int, allowed: str) -> Iterator[Problem]:
    """A number that is not finite, beyond `MAX_AMOUNT`, or has more than `places` places."""
    try:
        amount = money.to_decimal(value)
    except money.MoneyError:
        yield Problem(path, f"{_literal(value)} is not a finite number")
        return
    if not money.within_limit(amount):
        limit = f"{money.MAX_AMOUNT:,}"
        yield Problem(path, f"{value} is beyond {limit}, the largest amount records carry")
    elif amount != money.round_to(amount, places):
        yield Problem(path, f"{value} has more than {allowed} decimal places")


def _literal(value: Any) -> str:
    """A value as JSON spells it: NaN and Infinity as the literals that carried them."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return repr(value)


def _invoice_rule_problems(record: Mapping[str, Any]) -> list[Problem]:
    """The sums an invoice must agree with: its lines, its totals, what was paid."""
    currency = record["currency"]
    amount = {key: money.to_decimal(record[key]) for key in _TOTALS}
    lines = record["line_items"]
    from_lines = {
        "subtotal": sum(
            (money.to_decimal(li["line_amount"]) for li in lines if li["kind"] != "tax"),
            Decimal(0),
        ),
        "tax": sum(
            (money.to_decimal(li["line_amount"]) for li in lines if li["kind"] == "tax"),
            Decimal(0),
        )
        + sum(
            (
                money.to_decimal(li["tax_amount"])
                for li in lines
                if li["kind"] != "tax" and li["tax_amount"] is not None
            ),
            Decimal(0),
        ),
    }
    found: list[Problem] = []
    if amount["subtotal"] != from_lines["subtotal"]:
        found.append(
            Problem(
                "subtotal",
                f"{amount['subtotal']} is not the sum of the line amounts of the lines other "
                f"than tax lines = {from_lines['subtotal']}",
            )
        )
    if amount["tax"] != from_lines["tax"]:
        found.append(
            Problem(
                "tax",
                f"{amount['tax']} is not the tax lines plus the tax carried on other lines = "
                f"{from_lines['tax']}",
            )
        )
    if amount["subtotal"] + amount["tax"] != amount["total"]:
        found.append(
            Problem(
                "total",
                f"{amount['total']} is not subtotal + tax = {amount['subtotal'] + amount['tax']}",
            )
        )
    if amount["total"] - amount["amount_paid"] != amount["amount_due"]:
        found.append(
            Problem(
                "amount_due",
                f"{amount['amount_due']} is not total - amount_paid = "
                f"{amount['total'] - amount['amount_paid']}",
            )
        )
    for index, line in enumerate(lines):
        expected = money.line_amount(
            line["quantity"], line["unit_amount"], currency, line["discount"]
        )
        if money.to_decimal(line["line_amount"]) != expected:
            found.append(
                Problem(
                    f"line_items[{index}].line_amount",
                    f"{line['line_amount']} is not quantity x unit_amount - discount = {expected}",
                )
            )
    if record["status"] == "paid" and record["paid_at"] is None:
        found.append(Problem("paid_at", "is required when status is paid"))
    if record["status"] == "paid" and amount["amount_due"] > Decimal(0):
        found.append(
            Problem("amount_due", f"{amount['amount_due']} is still due on a paid invoice")
        )
    return found


_TOTALS = ("subtotal", "tax", "total", "amount_paid", "amount_due")
