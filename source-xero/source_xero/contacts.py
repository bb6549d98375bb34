"""The contacts of the invoices read in a sync, looked up in batches and kept for the sync.

An invoice names its contact, but a list of invoices does not carry the contact's details (names,
phone, address) that a record's `contact` holds. They come from `GET /Contacts`: by `IDs`, up to
`IDS_PER_CALL` a call (Xero answers 404 beyond about 52 GUIDs in a URL); or, when a page of
invoices names more contacts than a few such calls fetch (the first sync of an organisation),
by reading the whole contact list, 1,000 a page, when its size (which the first page tells)
makes that the cheaper way. Each contact is fetched at most once per sync, and kept as the
record's `contact` already is: a few hundred bytes. The `contacts` stream, read first, hands the
book every contact it reads, so that a first sync looks up none at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from source_xero.records import contact_details

IDS_PER_CALL = 45
PAGE_SIZE = 1_000
Get = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]


class ContactBook:
    """Contacts by ContactID, as the `contact` of invoice records, for one sync."""

    def __init__(self) -> None:
        self._known: dict[str, str] = {}  # ContactID -> compact JSON of its details
        self._whole_list_read = False

    def fetch(self, get: Get, contact_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The details of these contacts (those Xero has), fetching the ones not yet known."""
        wanted = {i.lower() for i in contact_ids if i}
        unknown = sorted(wanted - self._known.keys())
        if len(unknown) > 2 * IDS_PER_CALL and not self._whole_list_read:
            unknown = self._read_whole_list(get, unknown)
        for start in range(0, len(unknown), IDS_PER_CALL):
            chunk = unknown[start : start + IDS_PER_CALL]
            self._keep(get("Contacts", {"IDs": ",".join(chunk), "includeArchived": "true"}))
        return {i: json.loads(self._known[i]) for i in wanted if i in self._known}

    def _read_whole_list(self, get: Get, unknown: list[str]) -> list[str]:
        """Read every contact, unless its first page shows that the list is longer than
        looking up `unknown` by IDs; those still unknown then."""
        params = {"page": 1, "pageSize": PAGE_SIZE, "includeArchived": "true"}
        answer = get("Contacts", params)
        self._keep(answer)
        pages = int((answer.get("pagination") or {}).get("pageCount") or 1)
        still = [i for i in unknown if i not in self._known]
        if pages - 1 > -(-len(still) // IDS_PER_CALL):
            return still
        for page in range(2, pages + 1):
            self._keep(get("Contacts", {**params, "page": page}))
        self._whole_list_read = True
        return [i for i in still if i not in self._known]

    def keep(self, contact: Mapping[str, Any]) -> None:
        """Remember a contact as Xero returned it."""
        details = contact_details(contact)
        self._known[details["source_id"].lower()] = json.dumps(details, separators=(",", ":"))

    def _keep(self, answer: Mapping[str, Any]) -> None:
        for contact in answer.get("Contacts") or []:
            self.keep(contact)
