"""Keap REST v2 look-ups a sync batches: contacts and payments by ID lists
(`invoice_model.connector.keap.lists`), so that the number of calls grows with pages, never with
orders.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from invoice_model.connector.keap.lists import PAGE_SIZE, Get, id_batches, keap_filter, pages
from invoice_model.connector.stowage import Stowage

# Keap returns only some contact fields unless asked for more.
CONTACT_FIELDS = "given_name,family_name,company,email_addresses,phone_numbers,addresses"
CONTACT_STREAM_FIELDS = (
    f"{CONTACT_FIELDS},middle_name,job_title,contact_type,owner_id,source_type,tag_ids,"
    "create_time,update_time"
)
# The fields of a Keap payment that its records read (`records.invoice_record`, `payment_records`):
# all a payment kept for the other stream needs (see `PaymentBook`).
PAYMENT_FIELDS = (
    "id",
    "type",
    "amount",
    "note",
    "status",
    "payment_time",
    "update_time",
    "refund_payment_id",
)


class ContactBook:
    """Contacts fetched in batches and remembered for the sync: customers order again, and a
    contact fetched once is not fetched for each of their orders. Bounded, oldest out first;
    each kept as its compact JSON, out of memory (`Stowage`), decoded when asked.

    Two ways to fetch them, and Keap does not say how many contacts an account has, which
    decides the cheaper: by ID, a call for the contacts a page of orders names that are not yet
    known (about one call a page of orders), or the whole contact list, 1,000 a call, once. A
    sync that reads a few pages of orders wants the first; a first sync, from the beginning or
    from a date, reads many pages naming most of the account's contacts, and wants the second.
    So both, as a rent-or-buy choice: for every call that looked contacts up by ID, the whole
    list is read one page further (in ID order, `contact_id>` the last one read), until it ends;
    what it brought is not asked for by ID. A sync of few pages spends a call a page, and one of
    many reads the whole list once, having spent at most as many calls by ID: never more than
    twice the calls of the cheaper way, whichever it turns out to be. The list is read no
    further than the book holds.
    """

    def __init__(self, capacity: int = 50_000) -> None:
        self._capacity = capacity
        self._contacts = Stowage(capacity)  # contact ID -> its compact JSON
        self._calls_by_id = 0
        self._list_pages = 0
        self._listed_to: str | None = None  # the last contact ID the list was read to
        self._list_ended = False

    def __len__(self) -> int:
        return len(self._contacts)

    def fetch(self, get: Get, contact_ids: Iterable[str]) -> dict[str, Mapping[str, Any]]:
        wanted = [c for c in dict.fromkeys(contact_ids) if c]
        fetched: dict[str, Mapping[str, Any]] = {}
        known = self._contacts.get_many(wanted)
        missing = [c for c in wanted if c not in known]
        if missing and self._calls_by_id > self._list_pages and self._list_goes_on():
            fetched.update(self._read_list_page(get))
            missing = [c for c in missing if c not in fetched]
        for batch in id_batches(missing):
            params = {"filter": keap_filter(ids=batch), "fields": CONTACT_FIELDS}
            for page in pages(get, "contacts", params, "contacts"):
                self._calls_by_id += 1
                fetched.update(self._remember_all(page))
        found: dict[str, Mapping[str, Any]] = {}
        for contact_id in wanted:
            if contact_id in fetched:
                found[contact_id] = fetched[contact_id]
            elif known.get(contact_id):
                found[contact_id] = json.loads(known[contact_id])
        return found

    def _list_goes_on(self) -> bool:
        """Whether the whole list may be read a page further: not at its end, and the book has
        room for a page more."""
        return not self._list_ended and (self._list_pages + 1) * PAGE_SIZE <= self._capacity

    def _read_list_page(self, get: Get) -> dict[str, Mapping[str, Any]]:
        """The next page of the whole contact list, in ID order."""
        params = {
            "filter": keap_filter(contact_id__gt=self._listed_to),
            "order_by": "id asc",
            "fields": CONTACT_FIELDS,
            "page_size": PAGE_SIZE,
        }
        body = get("contacts", {k: v for k, v in params.items() if v}, "contacts")
        page = list(body.get("contacts") or [])
        self._list_pages += 1
        self._list_ended = not page or not body.get("next_page_token")
        if page:
            self._listed_to = str(page[-1].get("id"))
        return self._remember_all(page)

    def _remember_all(self, page: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
        fetched = {str(contact.get("id")): contact for contact in page}
        self._contacts.update((key, _compact(contact)) for key, contact in fetched.items())
        return fetched


def payments_of_orders(get: Get, order_ids: Iterable[str]) -> dict[str, list[Mapping[str, Any]]]:
    """Keap payments of each order, in a few calls whatever the number of orders."""
    found: dict[str, list[Mapping[str, Any]]] = {}
    for batch in id_batches(order_ids):
        wanted = set(batch)
        params = {"filter": keap_filter(order_ids=batch), "order_by": "id asc"}
        for page in pages(get, "sales/payments", params, "payments"):
            for payment in page:
                for order_id in payment.get("order_ids") or []:
                    if str(order_id) in wanted:
                        found.setdefault(str(order_id), []).append(payment)
    return found


class PaymentBook:
    """Payments of orders, kept for the other stream of the same sync. `invoices` needs the
    payments of its paid orders (in sync mode 3, of every order it reads) and `payments` those of
    every order, over the same orders read moments apart: `invoices`, read first, fetches those
    of every order it reads (in the calls it makes for the paid ones' anyway, most of the time)
    and keeps them, and `payments` takes them instead of fetching them again. A kept list serves
    only while its order's modification time is unchanged, since a payment, refund or void
    always changes its order, and serves once (`payments` reads each order once).

    The book only saves calls: what `payments` emits, and so its state, rests on the order as
    `payments` itself lists it (the list kept for that very version of the order, or fetched
    anew), never on how far `invoices` read; a sync that stops between the two streams, or in
    either, leaves nothing behind (the book lives as long as the sync).

    The streams are read one after the other, so the first stream's whole read is kept until the
    second takes it: out of memory (`Stowage`), each order as its modification time and, after a
    tab, the compact JSON of the fields its payments' records read (`PAYMENT_FIELDS`), and at
    most `capacity` orders, oldest out first.
    """

    def __init__(self, capacity: int = 1_000_000) -> None:
        self._kept = Stowage(capacity)  # order ID -> "modification time<TAB>payments"

    def __len__(self) -> int:
        return len(self._kept)

    def fetch(
        self, get: Get, orders: Iterable[Mapping[str, Any]], *, keep: bool
    ) -> dict[str, list[Mapping[str, Any]]]:
        """The payments of each order (an order without any maps to `[]`), kept for the other
        stream if `keep`."""
        changed = {str(o["id"]): o.get("modification_time") for o in orders}
        found: dict[str, list[Mapping[str, Any]]] = {}
        for order_id, kept in self._kept.pop_many(changed).items():
            when, _, payments = (kept or "").partition("\t")
            if payments and when == str(changed[order_id] or ""):
                found[order_id] = json.loads(payments)
                del changed[order_id]
        fetched = payments_of_orders(get, changed) if changed else {}
        for order_id in changed:
            found[order_id] = fetched.get(order_id, [])
        if keep:
            self._kept.update(
                (order_id, f"{modified or ''}\t{_compact(_needed(found[order_id]))}")
                for order_id, modified in changed.items()
            )
        return found


def _needed(payments: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{k: p[k] for k in PAYMENT_FIELDS if k in p} for p in payments]


def _compact(value: Any) -> str:
    """A Keap object as kept between calls: its JSON, as compact as it goes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class ListingBook:
    """Listings of orders `invoices` read, for `payments` to take instead of asking again.

    With both streams selected, `payments` lists the orders `invoices` listed moments before:
    from the same position, with the same filter, whenever the two ended the last sync
    together (a scheduled sync with little or nothing new lists a single page). `invoices`
    keeps the answer to each first page it asks for, and `payments` asking for exactly the same
    takes it (once) rather than calling Keap again. It then reads the orders as `invoices` read
    them: one changed since is listed again further on, in the next sync, as it would be
    anyway (see `streams.Coverage`). A first page `invoices` went past (asking for the page its
    token points to) is dropped: its token would be stale by the time `payments` followed it,
    and a kept page of a long listing would only spare one call of many. So at most a page or
    two are kept, as compact JSON.
    """

    def __init__(self) -> None:
        self._kept: dict[str, tuple[str | None, str]] = {}  # query -> (its next token, body)

    def __len__(self) -> int:
        return len(self._kept)

    def fetch(
        self, get: Get, path: str, params: Mapping[str, Any], items: str | None, *, keep: bool
    ) -> Mapping[str, Any]:
        """Keap's answer to `GET path?params`, kept for the other stream if `keep`, else taken
        from what it kept when it asked the same."""
        query = f"{path}?{json.dumps(params, sort_keys=True, default=str)}"
        if not keep:
            kept = self._kept.pop(query, None)
            return json.loads(kept[1]) if kept is not None else get(path, params, items)
        followed = params.get("page_token")
        if followed:
            self._kept = {q: k for q, k in self._kept.items() if k[0] != followed}
            return get(path, params, items)
        body = get(path, params, items)
        self._kept[query] = (body.get("next_page_token") or None, _compact(body))
        return body
