"""`page_size` / `page_token` -> `next_page_token`: cursor paging that survives changes.

A page token says where the last page ended — the sort key and ID of its last record — and
which query it belongs to. The next page starts strictly after that position, so records
created, changed or deleted between two calls never make the walk skip or repeat a record that
stayed put; a record whose sort key moves past the position (an order modified during an
incremental read by `modification_time`) is met again further on, which is what an incremental
reader wants. The request that follows a token must repeat its `filter` and `order_by` (a token
is refused for another query, as AIP-158 APIs do); `page_size` may change. An empty
`next_page_token` means the list is complete: the emulator looks one record ahead, so it never
answers a last, empty page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from keap_xero_sandbox.keap.errors import BadRequestError
from keap_xero_sandbox.keap.filters import Query, Sort
from keap_xero_sandbox.keap.tables import Position, Table

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 1000

Record = TypeVar("Record")


@dataclass(frozen=True)
class Page(Generic[Record]):
    records: list[Record]
    next_page_token: str


def page_size(raw: str | None) -> int:
    if raw is None or raw.strip() == "":
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError as error:
        raise BadRequestError(f"Invalid page_size '{raw}': expected an integer") from error
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise BadRequestError(f"Invalid page_size {size}: must be between 0 and {MAX_PAGE_SIZE}")
    return size or DEFAULT_PAGE_SIZE


def fingerprint(*parts: str | None) -> str:
    """What a token's query must match: the endpoint, its filter and its order."""
    text = "\x1f".join(part or "" for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_token(query_id: str, position: Position) -> str:
    payload = json.dumps({"q": query_id, "k": position[0], "i": position[1]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_token(token: str, query_id: str) -> Position:
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(payload, dict) or not isinstance(payload.get("i"), int):
            raise ValueError(token)
        key: Any = payload.get("k")
        if not isinstance(key, (int, float, str)) or isinstance(key, bool):
            raise ValueError(token)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise BadRequestError(f"Invalid page_token '{token}'") from error
    if payload.get("q") != query_id:
        raise BadRequestError(
            "Invalid page_token: it belongs to another query; repeat the filter and order_by of "
            "the request that returned it"
        )
    return key, payload["i"]


def list_page(
    table: Table[Record],
    query: Query,
    sort: Sort,
    *,
    size: int,
    token: str | None,
    query_id: str,
) -> Page[Record]:
    """One page of the records matching `query`, in `sort` order, after `token`."""
    after = decode_token(token, query_id) if token else None
    try:
        positions = _candidates(table, query, sort, after, size + 1)
    except TypeError as error:  # a token whose key is not of the sort's type
        raise BadRequestError(f"Invalid page_token '{token}'") from error
    page = positions[:size]
    more = len(positions) > size
    next_token = encode_token(query_id, page[-1]) if more and page else ""
    return Page([table.rows[record_id] for _, record_id in page], next_token)


def _candidates(
    table: Table[Record], query: Query, sort: Sort, after: Position | None, wanted: int
) -> list[Position]:
    ids = query.candidate_ids()
    if ids is not None:
        return _pinned(table, query, sort, after=after, wanted=wanted, ids=ids)
    low, high = query.bounds.get(sort.field, (None, None))
    found = []
    walk = table.view(sort.field).walk(descending=sort.descending, after=after, low=low, high=high)
    for position in walk:
        if query.matches(table.rows[position[1]]):
            found.append(position)
            if len(found) == wanted:
                break
    return found


def _pinned(
    table: Table[Record],
    query: Query,
    sort: Sort,
    *,
    after: Position | None,
    wanted: int,
    ids: set[int],
) -> list[Position]:
    """When the filter names the IDs, only those records are read and sorted."""
    records = (table.rows.get(record_id) for record_id in ids)
    positions = sorted(
        (
            (table.key_of(sort.field, record), record.id)  # type: ignore[attr-defined]
            for record in records
            if record is not None and query.matches(record)
        ),
        reverse=sort.descending,
    )
    if after is not None:
        positions = [p for p in positions if (p < after if sort.descending else p > after)]
    return positions[:wanted]
