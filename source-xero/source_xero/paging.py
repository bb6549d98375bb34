"""Reading a Xero list in order of change, a page at a time, so that changes made while it is
read lose nothing and repeat nothing.

Xero lists the records changed since a second (`If-Modified-Since`, accurate to the second) in
order of `UpdatedDateUTC`, a page of up to 1,000 at a time, by page number. But page numbers are
places in a list that moves: a record changed while the list is read leaves its place for the
end, every record behind it moves up one place, and page 2 would then start one record too late.
So every page is asked for anew from where the read stands (`ReadPosition`): page 1 of the
records changed since the second of the last record read. The records of that second read before
come again and are skipped by their fingerprints; all the others are new. A record changed after
it was read only moves further back, and is read again in its new form.

One case needs more: over a page of records changed within one second. Page 1 from that second
would bring the same records forever, so the second is read on its own, bounded above
(`where=UpdatedDateUTC<DateTime(next second)`), page by page, and again from its first page when
its count changes meanwhile (a record of it changed, leaving it, and the pages after moved up).
Once it is read in full, and Xero's clock is past it, the read goes on from the next second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from invoice_model.connector.read_position import ReadPosition
from invoice_model.dates import format_datetime, parse_datetime

PAGE_SIZE = 1_000
SECOND = dt.timedelta(seconds=1)
ORDER = "UpdatedDateUTC ASC"


@dataclass(frozen=True)
class PageRequest:
    """One page to ask for: of the records changed since `since` (all when None), before
    `before` when reading one second on its own."""

    since: dt.datetime | None
    page: int
    before: dt.datetime | None = None

    def headers(self) -> dict[str, str]:
        if self.since is None:
            return {}
        return {"If-Modified-Since": self.since.strftime("%Y-%m-%dT%H:%M:%S")}

    def params(self, page_size: int) -> dict[str, Any]:
        return {"order": ORDER, "page": self.page, "pageSize": page_size}

    def where(self, *conditions: str) -> str | None:
        """The `where` of the page: the list's own `conditions`, and the bound of a second read
        on its own."""
        if self.before is not None:
            conditions = (*conditions, f"UpdatedDateUTC<DateTime({self.before:%Y,%m,%d,%H,%M,%S})")
        return " AND ".join(conditions) or None

    def describe(self) -> str:
        if self.before is not None and self.since is not None:
            return f"the second {self.since:%Y-%m-%dT%H:%M:%SZ} alone, its page {self.page}"
        return f"changed since {self.since:%Y-%m-%dT%H:%M:%SZ}" if self.since else "everything"


class ChangedPages:
    """Which page to ask for next, from where `position` stands and what the pages said."""

    def __init__(self, position: ReadPosition, page_size: int = PAGE_SIZE) -> None:
        self.position = position
        self.page_size = page_size
        self.done = False
        self._dense: dt.datetime | None = None  # the second read on its own, if one is
        self._dense_page = 1
        self._dense_count: int | None = None

    def next(self) -> PageRequest:
        if self._dense is not None:
            return PageRequest(self._dense, self._dense_page, self._dense + SECOND)
        return PageRequest(self._second(), 1)

    def answered(
        self, request: PageRequest, count: int, pagination: dict[str, Any], server_time: str
    ) -> None:
        """Take in what the page `request` brought: `count` records, Xero's `pagination`, and
        the envelope's `DateTimeUTC`; the records themselves have gone through `position`."""
        last_page = count < self.page_size or request.page >= int(pagination.get("pageCount") or 0)
        if request.before is None:
            self._after_open_page(last_page)
        else:
            self._after_second_page(
                request,
                int(pagination.get("itemCount") or 0),
                last_page,
                parse_datetime(server_time),
            )

    def _after_open_page(self, last_page: bool) -> None:
        if last_page:
            self.done = True
            return
        second = self._second()
        if (
            second is not None
            and self.position.seen_since(format_datetime(second)) >= self.page_size
        ):
            self._dense, self._dense_page, self._dense_count = second, 1, None

    def _after_second_page(
        self, request: PageRequest, item_count: int, last_page: bool, now: dt.datetime
    ) -> None:
        assert self._dense is not None  # noqa: S101 (a bounded page is only asked for then)
        changed = self._dense_count is not None and item_count != self._dense_count
        self._dense_count = item_count
        if changed:
            self._dense_page = 1
            return
        if not last_page:
            self._dense_page = request.page + 1
            return
        end = self._dense + SECOND
        if now < end:
            self.done = True  # the second is not over at Xero: the next sync starts there
            return
        self.position.reach(format_datetime(end))
        self._dense = None

    def _second(self) -> dt.datetime | None:
        position = self.position.position
        return parse_datetime(position).replace(microsecond=0) if position else None
