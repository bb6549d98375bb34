"""Xero's `where` and `order` query parameters, compiled to predicates and sort keys.

The `where` language is the C#-like subset Xero documents and clients send:

    Status=="AUTHORISED" AND Type=="ACCREC"
    Contact.ContactID==guid("430fa14a-f945-44d3-9f97-5df5e28441b8")
    Date>=DateTime(2024,01,01) && Date<DateTime(2024, 02, 01)
    ContactNumber=="k1" OR ContactNumber=="k2"
    Name.StartsWith("Acme") OR EmailAddress.Contains("@example.com")
    !(IsCustomer==true)

Comparisons (`== != > >= < <=`), `AND`/`&&`, `OR`/`||`, `NOT`/`!`, parentheses, string literals,
numbers, `true`/`false`/`null`, `guid("...")`, `DateTime(y,m,d[,h,m,s])`, and the string methods
`StartsWith`, `EndsWith`, `Contains`, `ToLower()`, `ToUpper()`. String comparisons ignore case,
as Xero's do. Each resource declares its fields and their kinds; a field it does not have, or a
literal of the wrong kind, is a parse error (Xero's 400 `QueryParseException`).

A compiled filter also says which records it can only match when it is a disjunction of
equalities (`ContactNumber=="k1" OR Name=="Ann"`), so the ledger can answer from its indexes
instead of scanning every record.
"""

from __future__ import annotations

import datetime as dt
import operator
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Generic, Literal, TypeVar

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, VisitError

T = TypeVar("T")
Kind = Literal["string", "guid", "date", "datetime", "number", "bool"]
Predicate = Callable[[T], bool]

GRAMMAR = r"""
    ?start: disjunction
    ?disjunction: conjunction (_OR conjunction)*
    ?conjunction: negation (_AND negation)*
    ?negation: _NOT negation -> negate
        | atom
    ?atom: value COMPARATOR value -> comparison
        | value -> truth
        | "(" disjunction ")"
    ?value: path
        | call
        | STRING -> string
        | NUMBER -> number
    call: path "(" [value ("," value)*] ")"
    path: NAME ("." NAME)*

    _OR.2: /OR\b/i | "||"
    _AND.2: /AND\b/i | "&&"
    _NOT.2: /NOT\b/i | /!(?!=)/
    COMPARATOR: "==" | "!=" | ">=" | "<=" | ">" | "<"
    STRING: /"(\\.|[^"\\])*"/
    NUMBER: /-?\d+(\.\d+)?/
    NAME: /[A-Za-z_][A-Za-z0-9_]*/

    %ignore /\s+/
"""

COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
STRING_METHODS: dict[str, Callable[[str, str], bool]] = {
    "startswith": str.startswith,
    "endswith": str.endswith,
    "contains": operator.contains,
}


class WhereError(ValueError):
    """A `where` or `order` Xero cannot parse; the message says where it went wrong."""


@dataclass(frozen=True)
class Field(Generic[T]):
    """One field a resource can be filtered and ordered by: how to read it, and its kind."""

    read: Callable[[T], Any]
    kind: Kind


Fields = Mapping[str, Field[T]]  # keys are Xero's field paths, matched without regard to case


@dataclass(frozen=True)
class Filter(Generic[T]):
    """A compiled `where`: the predicate, and, when the expression allows it, the only values
    of indexed fields a match can have (field path -> values) for an index look-up.
    """

    predicate: Predicate[T]
    keys: Mapping[str, frozenset[Any]] | None = None

    def __call__(self, record: T) -> bool:
        return self.predicate(record)


# The tree the grammar's transformer builds, before it is bound to a resource's fields.


@dataclass(frozen=True)
class _Path:
    names: tuple[str, ...]
    transform: str | None = None  # "lower" / "upper" after ToLower() / ToUpper()


@dataclass(frozen=True)
class _Literal:
    value: Any
    kind: Literal["string", "number", "bool", "null", "guid", "datetime"]


@dataclass(frozen=True)
class _Compare:
    left: Any
    op: str
    right: Any


@dataclass(frozen=True)
class _Method:
    path: _Path
    method: str
    argument: _Literal


@dataclass(frozen=True)
class _Truth:
    value: Any


@dataclass(frozen=True)
class _Not:
    operand: Any


@dataclass(frozen=True)
class _Junction:
    op: Literal["and", "or"]
    operands: tuple[Any, ...]


@v_args(inline=True)
class _Builder(Transformer[Token, Any]):
    def path(self, *names: Token) -> _Path | _Literal:
        words = tuple(str(n) for n in names)
        if len(words) == 1 and words[0].lower() in ("true", "false"):
            return _Literal(words[0].lower() == "true", "bool")
        if len(words) == 1 and words[0].lower() == "null":
            return _Literal(None, "null")
        return _Path(words)

    def string(self, token: Token) -> _Literal:
        text = str(token)[1:-1]
        return _Literal(text.replace('\\"', '"').replace("\\\\", "\\"), "string")

    def number(self, token: Token) -> _Literal:
        return _Literal(Decimal(str(token)), "number")

    def call(self, target: _Path, *arguments: Any) -> Any:
        args = [a for a in arguments if a is not None]
        if len(target.names) == 1:
            return _function(target.names[0], args)
        *owner, method = target.names
        method_name = method.lower()
        path = _Path(tuple(owner))
        if method_name in ("tolower", "toupper") and not args:
            return _Path(path.names, "lower" if method_name == "tolower" else "upper")
        if method_name in STRING_METHODS and len(args) == 1 and _is_string(args[0]):
            return _Method(path, method_name, args[0])
        raise WhereError(f"{'.'.join(target.names)}() is not a supported method call")

    def comparison(self, left: Any, op: Token, right: Any) -> _Compare:
        return _Compare(left, str(op), right)

    def truth(self, value: Any) -> Any:
        return value if isinstance(value, _Method) else _Truth(value)

    def negate(self, operand: Any) -> _Not:
        return _Not(operand)

    def conjunction(self, *operands: Any) -> _Junction:
        return _Junction("and", operands)

    def disjunction(self, *operands: Any) -> _Junction:
        return _Junction("or", operands)


def _is_string(value: Any) -> bool:
    return isinstance(value, _Literal) and value.kind == "string"


def _function(name: str, args: list[Any]) -> _Literal:
    lowered = name.lower()
    if lowered == "guid" and len(args) == 1 and _is_string(args[0]):
        try:
            return _Literal(str(uuid.UUID(args[0].value)), "guid")
        except ValueError as error:
            raise WhereError(f"{args[0].value!r} is not a GUID") from error
    if lowered in ("datetime", "datetimeoffset") and 3 <= len(args) <= 6:
        if not all(isinstance(a, _Literal) and a.kind == "number" for a in args):
            raise WhereError("DateTime() takes whole numbers: DateTime(2024,01,31)")
        try:
            parts = [int(a.value) for a in args]
            return _Literal(dt.datetime(*parts, tzinfo=dt.UTC), "datetime")  # type: ignore[misc]
        except (ValueError, TypeError) as error:
            raise WhereError(f"DateTime{tuple(int(a.value) for a in args)} is no date") from error
    raise WhereError(f"{name}() is not a supported function")


@cache
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


@cache
def _parse(text: str) -> Any:
    """The expression tree of a `where` (cached: clients send the same filters again and again)."""
    try:
        return _Builder().transform(_parser().parse(text))
    except VisitError as error:
        if isinstance(error.orig_exc, WhereError):
            raise error.orig_exc from None
        raise WhereError(str(error.orig_exc)) from None
    except LarkError as error:
        raise WhereError(f"the where clause cannot be parsed: {_first_line(error)}") from None


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def compile_where(text: str, fields: Fields[T], indexed: Iterable[str] = ()) -> Filter[T]:
    """Compile `where` against a resource's fields; `indexed` names the fields the caller can
    look up by value (see `Filter.keys`).
    """
    tree = _parse(text.strip())
    binder = _Binder(fields)
    predicate = binder.predicate(tree)
    return Filter(predicate, _keys(tree, binder, {f.lower() for f in indexed}))


class _Binder(Generic[T]):
    """Binds an expression tree to a resource's fields, checking kinds as it goes."""

    def __init__(self, fields: Fields[T]) -> None:
        self.fields = {name.lower(): (name, f) for name, f in fields.items()}

    def field(self, path: _Path) -> tuple[str, Field[T]]:
        key = ".".join(path.names).lower()
        if key not in self.fields:
            raise WhereError(f"No property or field '{'.'.join(path.names)}' exists")
        return self.fields[key]

    def predicate(self, node: Any) -> Predicate[T]:  # noqa: PLR0911 (one branch per node type)
        if isinstance(node, _Junction):
            parts = [self.predicate(operand) for operand in node.operands]
            if node.op == "and":
                return lambda record: all(part(record) for part in parts)
            return lambda record: any(part(record) for part in parts)
        if isinstance(node, _Not):
            inner = self.predicate(node.operand)
            return lambda record: not inner(record)
        if isinstance(node, _Compare):
            return self.comparison(node)
        if isinstance(node, _Method):
            return self.method(node)
        if isinstance(node, _Truth) and isinstance(node.value, _Path):
            _, field = self.field(node.value)
            if field.kind != "bool":
                raise WhereError(f"'{'.'.join(node.value.names)}' is not a true/false field")
            return lambda record: field.read(record) is True
        if isinstance(node, _Truth) and isinstance(node.value, _Literal):
            value = node.value.value
            return lambda record: value is True
        raise WhereError("the where clause is not a condition")

    def comparison(self, node: _Compare) -> Predicate[T]:
        left, right, op = node.left, node.right, node.op
        if isinstance(left, _Literal) and isinstance(right, _Path):
            left, right, op = right, left, _MIRRORED[op]
        if not (isinstance(left, _Path) and isinstance(right, _Literal)):
            raise WhereError("a comparison needs a field on one side and a value on the other")
        name, field = self.field(left)
        wanted = coerce(right, field.kind, name)
        compare = COMPARATORS[op]
        read = _reader(field, left.transform)
        if wanted is None:
            if op not in ("==", "!="):
                raise WhereError(f"null can only be compared with == or != ({name})")
            return lambda record: compare(read(record), None)
        if field.kind in ("string", "guid"):
            folded = wanted.casefold()

            def matches_text(record: T) -> bool:
                value = read(record)
                if value is None:
                    return op == "!="
                return compare(value.casefold(), folded)

            return matches_text

        def matches(record: T) -> bool:
            value = read(record)
            if value is None:
                return op == "!="
            return compare(_comparable(value, field.kind), wanted)

        return matches

    def method(self, node: _Method) -> Predicate[T]:
        name, field = self.field(node.path)
        if field.kind != "string":
            raise WhereError(f"{name} is not text: {node.method} cannot be used on it")
        test = STRING_METHODS[node.method]
        argument = node.argument.value.casefold()
        read = field.read

        def matches(record: T) -> bool:
            value = read(record)
            return value is not None and test(value.casefold(), argument)

        return matches


_MIRRORED = {"==": "==", "!=": "!=", ">": "<", ">=": "<=", "<": ">", "<=": ">="}


def _reader(field: Field[T], transform: str | None) -> Callable[[T], Any]:
    if transform is None:
        return field.read
    if field.kind != "string":
        raise WhereError("ToLower() and ToUpper() apply to text fields only")
    change = str.lower if transform == "lower" else str.upper
    read = field.read
    return lambda record: None if read(record) is None else change(read(record))


def _comparable(value: Any, kind: Kind) -> Any:
    if kind == "date" and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return value


def coerce(literal: _Literal, kind: Kind, name: str) -> Any:  # noqa: PLR0911 (one per kind)
    """The literal as a value of the field's kind, or a parse error naming the field."""
    if literal.kind == "null":
        return None
    value = literal.value
    if kind == "string" and literal.kind == "string":
        return value
    if kind == "guid" and literal.kind in ("guid", "string"):
        try:
            return str(uuid.UUID(value))
        except ValueError as error:
            raise WhereError(f"{value!r} is not a GUID ({name})") from error
    if kind in ("date", "datetime") and literal.kind == "datetime":
        return value
    if kind in ("date", "datetime") and literal.kind == "string":
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError as error:
            raise WhereError(f"{value!r} is not a date ({name})") from error
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    if kind == "number" and literal.kind == "number":
        return value
    if kind == "number" and literal.kind == "string":
        try:
            return Decimal(value)
        except InvalidOperation as error:
            raise WhereError(f"{value!r} is not a number ({name})") from error
    if kind == "bool" and literal.kind == "bool":
        return value
    raise WhereError(f"Operator '==' incompatible with operand types of {name} and {literal.kind}")


def _keys(tree: Any, binder: _Binder[Any], indexed: set[str]) -> dict[str, frozenset[Any]] | None:
    """Values of indexed fields that any match must have, when `tree` says so: an equality, a
    disjunction of equalities, or a conjunction with one of those among its terms.
    """
    if isinstance(tree, _Junction) and tree.op == "and":
        for operand in tree.operands:
            keys = _keys(operand, binder, indexed)
            if keys is not None:
                return keys
        return None
    terms = tree.operands if isinstance(tree, _Junction) else (tree,)
    keys: dict[str, set[Any]] = {}
    for term in terms:
        if not (
            isinstance(term, _Compare)
            and term.op == "=="
            and isinstance(term.left, _Path)
            and term.left.transform is None
            and isinstance(term.right, _Literal)
            and term.right.kind != "null"
        ):
            return None
        name, field = binder.field(term.left)
        if name.lower() not in indexed:
            return None
        value = coerce(term.right, field.kind, name)
        keys.setdefault(name, set()).add(value.casefold() if isinstance(value, str) else value)
    return {name: frozenset(values) for name, values in keys.items()}


# order


def compile_order(text: str, fields: Fields[T]) -> Callable[[list[T]], list[T]]:
    """`UpdatedDateUTC ASC, InvoiceNumber DESC` as a function sorting a list of records.
    Missing values sort first, as nulls do in Xero's ascending order.
    """
    binder = _Binder(fields)
    keys: list[tuple[Field[T], bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2:
            raise WhereError(f"{part.strip()!r} is not a valid order (Field ASC|DESC)")
        direction = words[1].upper() if len(words) == 2 else "ASC"
        if direction not in ("ASC", "DESC"):
            raise WhereError(f"{words[1]!r} is not ASC or DESC")
        _, field = binder.field(_Path(tuple(words[0].split("."))))
        keys.append((field, direction == "DESC"))

    def sort(records: list[T]) -> list[T]:
        ordered = list(records)
        for field, descending in reversed(keys):
            ordered.sort(key=lambda r, f=field: _sort_key(f, r), reverse=descending)
        return ordered

    return sort


def _sort_key(field: Field[Any], record: Any) -> tuple[bool, Any]:
    value = field.read(record)
    if value is None:
        return (False, 0)
    if isinstance(value, str):
        return (True, value.casefold())
    return (True, _comparable(value, field.kind))
