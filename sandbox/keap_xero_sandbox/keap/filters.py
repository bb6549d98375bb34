"""Keap v2's `filter` and `order_by` mini-languages, compiled into a query over a table.

`filter` is a `;`-separated list of `field<op>value` conditions, all of which must hold:
`contact_id==12;paid==true`, `id>=100`, `ids==1,2,3`, `title==Spring*`. Which fields a list
accepts, with which operators and value types, is declared per endpoint (see `queries`); a field
the endpoint does not know, an operator the field does not allow or a value of the wrong type is
a 400, as with Keap. `order_by` is a field and an optional direction: `modification_time desc`.

A compiled `Query` is a predicate plus what the page walk can use to avoid reading everything:
the IDs the records must have (from `ids`, `id==`, `invoice_id==` ...) and bounds on the key of
the view being walked (from `modified_since_time` when listing by `modification_time`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from lark import Lark, LarkError, Token

from invoice_model.dates import DateParseError, parse_datetime
from keap_xero_sandbox.keap.errors import BadRequestError
from keap_xero_sandbox.keap.models import epoch_millis

GRAMMAR = r"""
    filter: condition (";" condition)* ";"?
    condition: FIELD OPERATOR VALUE?

    order_by: FIELD DIRECTION?

    FIELD: /\s*[A-Za-z_][A-Za-z0-9_]*/
    OPERATOR: /\s*/ ("==" | "!=" | "<=" | ">=" | "<" | ">")
    VALUE: /[^;]+/
    DIRECTION: /\s+/ ("asc"i | "desc"i) /\s*/
"""
_PARSER = Lark(GRAMMAR, start=["filter", "order_by"], parser="lalr")

ALL_OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
EQUALS = ("==",)
Predicate = Callable[[Any], bool]


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: str


@dataclass(frozen=True)
class Sort:
    field: str
    descending: bool


def parse_filter(text: str | None) -> list[Condition]:
    if text is None or not text.strip():
        return []
    try:
        tree = _PARSER.parse(text, start="filter")
    except LarkError as error:
        raise BadRequestError(f"Invalid filter '{text}': {_where_it_fails(error)}") from error
    conditions = []
    for node in tree.children:
        tokens: list[Token] = node.children  # type: ignore[assignment]
        field_name, operator = tokens[0].strip(), tokens[1].strip()
        value = tokens[2].strip() if len(tokens) > 2 else ""
        conditions.append(Condition(field_name, operator, value))
    return conditions


def parse_order_by(text: str | None, allowed: Iterable[str], default: Sort) -> Sort:
    if text is None or not text.strip():
        return default
    try:
        tree = _PARSER.parse(text, start="order_by")
    except LarkError as error:
        raise BadRequestError(f"Invalid order_by '{text}': {_where_it_fails(error)}") from error
    tokens: list[Token] = tree.children  # type: ignore[assignment]
    name = tokens[0].strip()
    allowed = tuple(allowed)
    if name not in allowed:
        raise BadRequestError(
            f"Invalid order_by field '{name}': must be one of {', '.join(allowed)}"
        )
    descending = len(tokens) > 1 and tokens[1].strip().lower() == "desc"
    return Sort(name, descending)


def _where_it_fails(error: LarkError) -> str:
    """Where the text stops making sense, without the parser's internals."""
    column = getattr(error, "column", None)
    token = getattr(error, "token", None)
    if isinstance(token, Token) and token.type != "$END":
        return f"unexpected '{token.strip()}' at column {column}"
    if isinstance(token, Token):
        return "it ends too early"
    char = getattr(error, "char", None)
    return f"unexpected '{char}' at column {column}" if char else "it cannot be read"


# --- what a condition compiles to ------------------------------------------------------------


@dataclass
class Query:
    """All conditions of a filter: a predicate and hints for the page walk."""

    predicates: list[Predicate] = field(default_factory=list)
    ids: set[int] | None = None  # records must have one of these IDs
    lookups: list[Callable[[], set[int]]] = field(default_factory=list)
    bounds: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def matches(self, record: Any) -> bool:
        return all(predicate(record) for predicate in self.predicates)

    def restrict(self, ids: Iterable[int]) -> None:
        wanted = set(ids)
        self.ids = wanted if self.ids is None else self.ids & wanted

    def bound(self, view: str, low: Any = None, high: Any = None) -> None:
        old_low, old_high = self.bounds.get(view, (None, None))
        if low is not None and (old_low is None or low > old_low):
            old_low = low
        if high is not None and (old_high is None or high < old_high):
            old_high = high
        self.bounds[view] = (old_low, old_high)

    def candidate_ids(self) -> set[int] | None:
        """The IDs a match must have, when some condition pins them down."""
        for lookup in self.lookups:
            self.restrict(lookup())
        self.lookups.clear()
        return self.ids


class FilterField:
    """One field an endpoint's `filter` accepts."""

    operators: tuple[str, ...] = EQUALS

    def apply(self, query: Query, name: str, operator: str, value: str) -> None:
        raise NotImplementedError


def compile_filter(
    conditions: list[Condition],
    fields: Mapping[str, FilterField],
    extra: Callable[[str], FilterField | None] | None = None,
) -> Query:
    """The query of all conditions; `extra` resolves names the endpoint declares dynamically
    (custom fields)."""
    query = Query()
    for condition in conditions:
        known = fields.get(condition.field) or (extra(condition.field) if extra else None)
        if known is None:
            allowed = ", ".join(sorted(fields))
            raise BadRequestError(
                f"Invalid filter field '{condition.field}': allowed fields are {allowed}"
            )
        if condition.operator not in known.operators:
            raise BadRequestError(
                f"Operator '{condition.operator}' is not allowed on filter field "
                f"'{condition.field}' (allowed: {' '.join(known.operators)})"
            )
        known.apply(query, condition.field, condition.operator, condition.value)
    return query


def compare(operator: str, left: Any, right: Any) -> bool:
    match operator:
        case "==":
            return left == right
        case "!=":
            return left != right
        case "<":
            return left < right
        case "<=":
            return left <= right
        case ">":
            return left > right
        case _:
            return left >= right


# --- value parsers ---------------------------------------------------------------------------


def parse_id(name: str, value: str) -> int:
    if not value.isdigit():
        raise BadRequestError(f"Invalid value '{value}' for filter field '{name}': expected an ID")
    return int(value)


def parse_ids(name: str, value: str) -> set[int]:
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if not parts:
        raise BadRequestError(f"Filter field '{name}' needs a comma-separated list of IDs")
    return {parse_id(name, part) for part in parts}


def parse_bool(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise BadRequestError(
            f"Invalid value '{value}' for filter field '{name}': expected true|false"
        )
    return lowered == "true"


def parse_time(name: str, value: str) -> dt.datetime:
    """A full ISO-8601 date-time; a bare date is refused, as Keap documents."""
    try:
        if "T" not in value.upper():
            raise DateParseError(value)
        return parse_datetime(value)
    except DateParseError as error:
        raise BadRequestError(
            f"Invalid value '{value}' for filter field '{name}': expected an ISO-8601 date-time "
            "such as 2024-05-21T23:00:00.000Z"
        ) from error


def parse_number(name: str, value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation as error:
        raise BadRequestError(
            f"Invalid value '{value}' for filter field '{name}': expected a number"
        ) from error
    if not number.is_finite():
        raise BadRequestError(
            f"Invalid value '{value}' for filter field '{name}': expected a number"
        )
    return number


# --- field kinds -----------------------------------------------------------------------------


def _values(getter: Callable[[Any], Any], record: Any) -> Collection[Any]:
    value = getter(record)
    if isinstance(value, (set, frozenset, list, tuple)):
        return value
    return () if value is None else (value,)


@dataclass
class IdField(FilterField):
    """A record's own ID, with comparisons; `==` pins the candidate IDs."""

    getter: Callable[[Any], int]
    operators: tuple[str, ...] = ALL_OPERATORS

    def apply(self, query: Query, name: str, operator: str, value: str) -> None:
        wanted = parse_id(name, value)
        if operator == "==":
            query.restrict({wanted})
        getter = self.getter
        query.predicates.append(lambda record: compare(operator, getter(record), wanted))


@dataclass
class IdListField(FilterField):
    """`ids==1,2,3`: the record's own ID is one of these."""

    getter: Callable[[Any], int]

    def apply(self, query: Query, name: str, operator: str, value: str) -> None:
        wanted = parse_ids(name, value)
        query.restrict(wanted)
        getter = self.getter
        query.predicates.append(lambda record: getter(record) in wanted)


@dataclass
class ReferenceField(FilterField):
    """An ID of another record (or several: `order_ids==1,2`), optionally resolved through an
    index to the IDs of matching records."""

    getter: Callable[[Any], Any]
    many: bool = False
    index: Callable[[set[int]], set[int]] | None = None

    def apply(self, query: Query, name: str, operator: str, value: str) -> None:
        wanted = parse_ids(name, value) if self.many else {parse_id(name, value)}
        getter = self.getter
        query.predicates.append(lambda record: any(v in wanted for v in _values(getter, record)))
        if self.index is not None:
            index = self.index
            query.lookups.append(lambda: index(wanted))


@dataclass
class TextField(FilterField):
    """Case-insensitive equality; with `wildcard`, a trailing `*` matches a prefix."""

    getter: Callable[[Any], Any]
    wildcard: bool = False

    def apply(self, query: Query, name: str, operator: str, value: str) -> None:
        getter = self.getter
        if self.wildcard and value.endswith("*"):
            prefix = value.rstrip("*").lower()
            query.predicates.append(
                lambda record: any(
                    str(v).lower().startswith(prefix) for v in _values(getter, record)
                )
            )
            return
        wanted = value.lower()
        query.predicates.append(
            lambda record: any(str(v).lower() == wanted for v in _values(getter, record))
        )


@dataclass
class ChoiceField(FilterField):
    """One of a fixed set of values (`order_type==ONLINE`)."""

    getter: Callable[[Any], Any]
    choices: tuple[str, ...]

    def apply(self, query: Query, name: str, operator: str, value: str) -> None:
        if value.upper() not in self.choices:
            raise BadRequestError(
                f"Invalid value '{value}' for filter field '{name}': allowed values are "
                f"{', '.join(self.choices)}"
            )
        wanted, getter = value.upper(), self.getter
        query.predicates.append(lambda record: str(getter(record)).upper() == wanted)


@dataclass
class BoolField(FilterField):
    getter: Callable[[Any], bool]

    def apply(self, query: Query, name: str, operator: str, value: str) -> None:
        wanted, getter = parse_bool(name, value), self.getter
        query.predicates.append(lambda record: bool(getter(record)) == wanted)


@dataclass
class TimeBoundField(FilterField):
    """`created_since_time==T` (time >= T) or `..._until_time==T` (time <= T): both inclusive.

    `view` names the sorted view keyed by the same time, which the walk can then seek into.
    """

    getter: Callable[[Any], dt.datetime | None]
    since: bool
    view: str | None = None

    def apply(self, query: Query, name: str, operator: str, value: str) -> None:
        bound, getter = parse_time(name, value), self.getter
        if self.since:
            query.predicates.append(lambda record: (t := getter(record)) is not None and t >= bound)
        else:
            query.predicates.append(lambda record: (t := getter(record)) is not None and t <= bound)
        if self.view is not None:
            key = epoch_millis(bound)
            query.bound(
                self.view, low=key if self.since else None, high=None if self.since else key
            )


@dataclass
class NumberField(FilterField):
    """A number compared as an exact decimal (`amount>=100.50`)."""

    getter: Callable[[Any], Decimal | None]
    operators: tuple[str, ...] = ALL_OPERATORS

    def apply(self, query: Query, name: str, operator: str, value: str) -> None:
        wanted, getter = parse_number(name, value), self.getter
        query.predicates.append(
            lambda record: (v := getter(record)) is not None and compare(operator, v, wanted)
        )


@dataclass
class TimeField(FilterField):
    """A date-time compared with any operator (date custom fields)."""

    getter: Callable[[Any], dt.datetime | None]
    operators: tuple[str, ...] = ("==", "<", "<=", ">", ">=")

    def apply(self, query: Query, name: str, operator: str, value: str) -> None:
        wanted, getter = parse_time(name, value), self.getter
        query.predicates.append(
            lambda record: (v := getter(record)) is not None and compare(operator, v, wanted)
        )
