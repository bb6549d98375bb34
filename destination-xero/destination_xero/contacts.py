"""Source contacts as Xero contacts: found again, or created, never one call per record.

A source contact is the active Xero contact whose ContactNumber holds its source ID; failing
that (when enabled) the one with the same email, then the one with the same name, provided
neither holds another source's ID; such a match gets the ContactNumber, so the next sync finds
it by number. Any other contact is created, under its name or, when another contact has that
name (Xero names are unique), under `Name (source ID)` or not at all, as configured.

Look-ups: while a flush's unknown contacts fit in one `where` filter, one call finds every
candidate for all of them; beyond that the organisation's contacts are read once, 1,000 a page,
and kept for the rest of the run. Writes: one `POST /Contacts` per 50 contacts, creations and
ContactNumber back-fills together.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from destination_xero.client import MAX_QUERY_CHARS, Element, XeroClient
from destination_xero.config import ContactSettings
from destination_xero.mapping import contact_name, contact_payload
from invoice_model.connector.destination import RecordError, Runner

BATCH_SIZE = 50

T = TypeVar("T")


@dataclass
class XeroContact:
    contact_id: str
    number: str
    name: str
    email: str

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> XeroContact:
        return cls(
            contact_id=str(data.get("ContactID")),
            number=str(data.get("ContactNumber") or ""),
            name=str(data.get("Name") or ""),
            email=str(data.get("EmailAddress") or ""),
        )


@dataclass
class _Index:
    """Active Xero contacts by ContactNumber, email and name (case-insensitive)."""

    by_number: dict[str, XeroContact] = field(default_factory=dict)
    by_email: dict[str, list[XeroContact]] = field(default_factory=dict)
    by_name: dict[str, XeroContact] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)

    def add(self, contact: XeroContact) -> None:
        if contact.contact_id in self.ids:
            return
        self.ids.add(contact.contact_id)
        if contact.number:
            self.by_number.setdefault(contact.number, contact)
        if contact.email:
            self.by_email.setdefault(contact.email.lower(), []).append(contact)
        self.by_name[contact.name.lower()] = contact

    def numbered(self, contact: XeroContact, number: str) -> None:
        contact.number = number
        self.by_number.setdefault(number, contact)


class ContactDirectory:
    """Source contact IDs → Xero ContactIDs, for one run."""

    def __init__(self, client: XeroClient, settings: ContactSettings, run: Runner) -> None:
        self.client = client
        self.settings = settings
        self.run = run
        self.index = _Index()
        self.complete = False  # True once every contact of the organisation is in the index
        self.resolved: dict[str, str] = {}  # source contact ID -> ContactID
        self.created: set[str] = set()  # ContactIDs created during this run

    def resolve(self, contacts: Iterable[Mapping[str, Any]]) -> dict[str, str | RecordError]:
        """The ContactID of each source contact (by source ID), or why it has none."""
        wanted = {contact["source_id"]: contact for contact in contacts}
        unknown = [contact for key, contact in wanted.items() if key not in self.resolved]
        problems: dict[str, RecordError] = {}
        if unknown:
            self._look_up(unknown)
            problems = self._match_or_create(unknown)
        return {key: self.resolved.get(key) or problems[key] for key in wanted}

    def _look_up(self, contacts: list[Mapping[str, Any]]) -> None:
        if self.complete:
            return
        where = self._where(contacts)
        if where is not None:
            for page in self.client.pages("/Contacts", "Contacts", {"where": where}):
                for data in page:
                    self.index.add(XeroContact.of(data))
            return
        for page in self.client.pages("/Contacts", "Contacts"):
            for data in page:
                self.index.add(XeroContact.of(data))
        self.complete = True

    def _where(self, contacts: list[Mapping[str, Any]]) -> str | None:
        """One filter finding every candidate of `contacts`, or None when it would not fit."""
        terms = []
        for contact in contacts:
            candidates = [("ContactNumber", contact["source_id"])]
            if self.settings.match_by_email and contact.get("email"):
                candidates.append(("EmailAddress", contact["email"]))
            candidates.append(("Name", contact_name(contact)))
            for name, value in candidates:
                if '"' in value or "\\" in value:
                    return None
                terms.append(f'{name}=="{value}"')
        where = " OR ".join(terms)
        return where if len(urlencode({"where": where})) <= MAX_QUERY_CHARS else None

    def _match_or_create(self, contacts: list[Mapping[str, Any]]) -> dict[str, RecordError]:
        problems: dict[str, RecordError] = {}
        writes: list[_Write] = []
        for contact in contacts:
            source_id = contact["source_id"]
            found = self._match(contact)
            if found is not None and found.number == source_id:
                self.resolved[source_id] = found.contact_id
            elif found is not None:
                writes.append(_Write(contact, {"ContactID": found.contact_id}, found))
                self.index.numbered(found, source_id)
            else:
                try:
                    name = self._free_name(contact)
                    writes.append(_Write(contact, contact_payload(contact, name), None))
                except RecordError as problem:
                    problems[source_id] = problem
                    continue
                # The name is taken for the rest of the flush, even before Xero answers.
                self.index.by_name[name.lower()] = XeroContact("", source_id, name, "")
        batches = list(chunks(writes, BATCH_SIZE))
        for batch, elements in zip(batches, self.run(self._write, batches), strict=True):
            for write, element in zip(batch, elements, strict=True):
                problem = self._written(write, element)
                if problem is not None:
                    problems[write.contact["source_id"]] = problem
        return problems

    def _match(self, contact: Mapping[str, Any]) -> XeroContact | None:
        source_id = contact["source_id"]
        found = self.index.by_number.get(source_id)
        if found is not None:
            return found
        if self.settings.match_by_email and contact.get("email"):
            for candidate in self.index.by_email.get(contact["email"].lower(), []):
                if not candidate.number:
                    return candidate
        if self.settings.match_by_name:
            candidate = self.index.by_name.get(contact_name(contact).lower())
            if candidate is not None and candidate.contact_id and not candidate.number:
                return candidate
        return None

    def _free_name(self, contact: Mapping[str, Any]) -> str:
        name = contact_name(contact)
        if name.lower() not in self.index.by_name:
            return name
        if self.settings.name_conflict == "reject":
            raise RecordError(
                f"contact name {name!r} belongs to another Xero contact "
                "(contacts.name_conflict is 'reject')"
            )
        return contact_name(contact, suffixed=True)

    def _write(self, batch: list[_Write]) -> list[Element]:
        bodies = [{**write.body, "ContactNumber": write.contact["source_id"]} for write in batch]
        return self.client.write("POST", "/Contacts", "Contacts", bodies)

    def _written(self, write: _Write, element: Element) -> RecordError | None:
        source_id = write.contact["source_id"]
        if not element.ok:
            what = "updating" if write.matched else "creating"
            return RecordError(
                f"Xero refused {what} contact {source_id}: {'; '.join(element.errors)}"
            )
        written = XeroContact.of(element.data)
        if write.matched is None:
            self.created.add(written.contact_id)
            self.index.add(written)
            self.index.by_name[written.name.lower()] = written
        self.resolved[source_id] = written.contact_id
        return None


@dataclass(frozen=True)
class _Write:
    """One element of a `POST /Contacts`: a new contact, or a ContactNumber for a match."""

    contact: Mapping[str, Any]
    body: dict[str, Any]
    matched: XeroContact | None


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
