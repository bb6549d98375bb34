"""Keap REST v2 lists: the `filter` mini-language, page tokens, and look-ups batched by ID lists.

Every call goes through a `Get`: one GET, its JSON object back (with the list under `items`
checked, when named), errors already resolved. Look-ups are batched by ID lists (`ids==1,2,3`)
so that the number of calls grows with pages, never with records; a list is cut where it would
pass `MAX_ID_LIST_LENGTH` characters, since Keap's gateway (Apigee) refuses request lines longer
than 7 KB.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

PAGE_SIZE = 1000
MAX_ID_LIST_LENGTH = 6000


class Get(Protocol):
    def __call__(
        self, path: str, params: Mapping[str, Any], items: str | None = None
    ) -> Mapping[str, Any]: ...


def keap_filter(**conditions: Any) -> str:
    """Keap's filter mini-language: `a==1;b>=2`. A key ending in `__gte` etc. picks the operator;
    None values are left out; lists become comma-separated."""
    parts = []
    for key, value in conditions.items():
        if value is None:
            continue
        name, _, operator = key.partition("__")
        symbol = {"": "==", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[operator]
        text = ",".join(value) if isinstance(value, list | tuple) else str(value)
        parts.append(f"{name}{symbol}{text}")
    return ";".join(parts)


def pages(get: Get, path: str, params: Mapping[str, Any], items: str) -> Iterator[list[Any]]:
    """Every page of a list endpoint, following `next_page_token` until Keap gives none."""
    token: str | None = None
    seen_tokens: set[str] = set()
    while True:
        query = {**params, "page_size": PAGE_SIZE}
        if token:
            query["page_token"] = token
        body = get(path, query, items)
        yield list(body.get(items) or [])
        token = body.get("next_page_token") or None
        if not token or token in seen_tokens:
            return
        seen_tokens.add(token)


def id_batches(ids: Iterable[str], budget: int = MAX_ID_LIST_LENGTH) -> Iterator[list[str]]:
    """Distinct IDs in lists whose comma-joined length stays within `budget`."""
    batch: list[str] = []
    length = 0
    for item in dict.fromkeys(ids):
        if batch and (length + len(item) + 1 > budget or len(batch) >= PAGE_SIZE):
            yield batch
            batch, length = [], 0
        batch.append(item)
        length += len(item) + 1
    if batch:
        yield batch
