"""Keap REST v2 look-ups a sync batches: contacts and payments by ID lists
(`invoice_model.connector.keap.lists`), so that the number of calls grows with pages, never with
orders.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from invoice_model.connector.keap.lists import Get, id_batches, keap_filter, pages

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
    each kept as its compact JSON (one string, not a tree of small objects), decoded when asked.
    """

    def __init__(self, capacity: int = 50_000) -> None:
        self._capacity = capacity
        self._contacts: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._contacts)

    def fetch(self, get: Get, contact_ids: Iterable[str]) -> dict[str, Mapping[str, Any]]:
        wanted = [c for c in dict.fromkeys(contact_ids) if c]
        missing = [c for c in wanted if c not in self._contacts]
        fetched: dict[str, Mapping[str, Any]] = {}
        for batch in id_batches(missing):
            params = {"filter": keap_filter(ids=batch), "fields": CONTACT_FIELDS}
            for page in pages(get, "contacts", params, "contacts"):
                for contact in page:
                    contact_id = str(contact.get("id"))
                    fetched[contact_id] = contact
                    self._remember(contact_id, contact)
        found: dict[str, Mapping[str, Any]] = {}
        for contact_id in wanted:
            if contact_id in fetched:
                found[contact_id] = fetched[contact_id]
            elif contact_id in self._contacts:
                found[contact_id] = json.loads(self._contacts[contact_id])
        return found

    def _remember(self, contact_id: str, contact: Mapping[str, Any]) -> None:
        self._contacts[contact_id] = _compact(contact)
        self._contacts.move_to_end(contact_id)
        while len(self._contacts) > self._capacity:
            self._contacts.popitem(last=False)


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
    every order, over the same orders read moments apart: `invoices`, read first, keeps what it
    fetched, and `payments` takes it instead of fetching it again. A kept list serves only while
    its order's modification time is unchanged, since a payment, refund or void always changes
    its order, and serves once (`payments` reads each order once).

    The book only saves calls: what `payments` emits, and so its state, rests on the order as
    `payments` itself lists it (the list kept for that very version of the order, or fetched
    anew), never on how far `invoices` read; a sync that stops between the two streams, or in
    either, leaves nothing behind (the book lives as long as the sync).

    The streams are read one after the other, so the first stream's whole read is kept until the
    second takes it: each order's payments are kept as one compact JSON string of the fields
    their records read (`PAYMENT_FIELDS`; a few hundred bytes, where the decoded objects took
    several times that and scattered the heap), and at most `capacity` orders, oldest out first.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._kept: OrderedDict[str, tuple[Any, str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def fetch(
        self, get: Get, orders: Iterable[Mapping[str, Any]], *, keep: bool
    ) -> dict[str, list[Mapping[str, Any]]]:
        """The payments of each order (an order without any maps to `[]`), kept for the other
        stream if `keep`."""
        listed = {str(o["id"]): o for o in orders}
        changed = {order_id: o.get("modification_time") for order_id, o in listed.items()}
        found: dict[str, list[Mapping[str, Any]]] = {}
        for order_id, modified in list(changed.items()):
            kept = self._kept.pop(order_id, None)
            if kept is not None and kept[0] == modified:
                found[order_id] = json.loads(kept[1])
                del changed[order_id]
        fetched = payments_of_orders(get, changed) if changed else {}
        for order_id, modified in changed.items():
            found[order_id] = fetched.get(order_id, [])
            if keep:
                self._keep(order_id, modified, found[order_id])
        return found

    def _keep(self, order_id: str, modified: Any, payments: list[Mapping[str, Any]]) -> None:
        needed = [{k: p[k] for k in PAYMENT_FIELDS if k in p} for p in payments]
        self._kept[order_id] = (modified, _compact(needed))
        while len(self._kept) > self._capacity:
            self._kept.popitem(last=False)


def _compact(value: Any) -> str:
    """A Keap object as kept between calls: its JSON, as compact as it goes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
