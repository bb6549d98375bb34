"""Records by ID, with the sorted views that list endpoints page through.

A list call must not sort the whole account for every page: an account of 50,000 orders is read
in 50 pages. Each view keeps `(sort key, id)` pairs in order, built on first use and kept in
order as records change, so a page starts with a binary search and walks only as far as it
needs. Ties on the sort key are broken by ID, which makes every position in a view unique: a
page token is simply the last position served.
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

Record = TypeVar("Record")
SortKey = Any  # int, float or str: JSON-native, so a page token can carry it
Position = tuple[SortKey, int]


class View(Generic[Record]):
    """One sort order of a table's records."""

    def __init__(self, key: Callable[[Record], SortKey]) -> None:
        self.key = key
        self._entries: list[Position] | None = None
        self._keys: dict[int, SortKey] = {}

    def build(self, records: dict[int, Record]) -> None:
        self._keys = {record_id: self.key(record) for record_id, record in records.items()}
        self._entries = sorted((key, record_id) for record_id, key in self._keys.items())

    @property
    def built(self) -> bool:
        return self._entries is not None

    def put(self, record_id: int, record: Record) -> None:
        if self._entries is None:
            return
        key = self.key(record)
        old = self._keys.get(record_id)
        if old is not None:
            if old == key:
                return
            self._discard((old, record_id))
        self._keys[record_id] = key
        bisect.insort(self._entries, (key, record_id))

    def remove(self, record_id: int) -> None:
        if self._entries is None or record_id not in self._keys:
            return
        self._discard((self._keys.pop(record_id), record_id))

    def walk(
        self,
        *,
        descending: bool,
        after: Position | None = None,
        low: SortKey | None = None,
        high: SortKey | None = None,
    ) -> Iterator[Position]:
        """Positions in order, strictly past `after`, with keys within [`low`, `high`]."""
        entries = self._entries or []
        if not descending:
            start = bisect.bisect_left(entries, (low,)) if low is not None else 0
            if after is not None:
                start = max(start, bisect.bisect_right(entries, after))
            for key, record_id in _forward(entries, start):
                if high is not None and key > high:
                    return
                yield key, record_id
        else:
            end = len(entries)
            if high is not None:
                end = bisect.bisect_left(entries, _after_all(high))
            if after is not None:
                end = min(end, bisect.bisect_left(entries, after))
            for key, record_id in _backward(entries, end):
                if low is not None and key < low:
                    return
                yield key, record_id

    def _discard(self, position: Position) -> None:
        entries = self._entries or []
        index = bisect.bisect_left(entries, position)
        if index < len(entries) and entries[index] == position:
            del entries[index]


class Table(Generic[Record]):
    """The records of one kind, by ID, and their sorted views."""

    def __init__(self, views: dict[str, Callable[[Record], SortKey]]) -> None:
        self.rows: dict[int, Record] = {}
        self._deferred = False
        self._views = {name: View(key) for name, key in views.items()}

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.rows.values())

    def get(self, record_id: int) -> Record | None:
        return self.rows.get(record_id)

    def put(self, record_id: int, record: Record) -> None:
        """Add a record, or re-sort one that changed."""
        self.rows[record_id] = record
        if self._deferred:
            return
        for view in self._views.values():
            view.put(record_id, record)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Many changes at once (seeding): views are dropped, and rebuilt once on next use."""
        self._drop_views()
        self._deferred = True
        try:
            yield
        finally:
            self._deferred = False
            self._drop_views()

    def _drop_views(self) -> None:
        for name, view in self._views.items():
            self._views[name] = View(view.key)

    def remove(self, record_id: int) -> None:
        self.rows.pop(record_id, None)
        for view in self._views.values():
            view.remove(record_id)

    def view(self, name: str) -> View[Record]:
        view = self._views[name]
        if not view.built:
            view.build(self.rows)
        return view

    def key_of(self, view: str, record: Record) -> SortKey:
        return self._views[view].key(record)


class _AfterAll:
    """Compares above every record ID, so `(key, AFTER_ALL)` sorts after every `(key, id)`."""

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return True


def _after_all(key: SortKey) -> tuple[SortKey, Any]:
    return (key, _AfterAll())


def _forward(entries: list[Position], start: int) -> Iterator[Position]:
    for index in range(start, len(entries)):
        yield entries[index]


def _backward(entries: list[Position], end: int) -> Iterator[Position]:
    for index in range(end - 1, -1, -1):
        yield entries[index]
