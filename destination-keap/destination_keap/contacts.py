"""Invoice contacts as Keap contacts: found again, or created, never one search per invoice.

A contact with an email is the Keap contact that has that email (in any of its email slots);
one without, when `contacts.match_by_name_and_company` is on, the Keap contact with the same first
name, last name and company (compared case-insensitively). When several match, the oldest is
taken, as Keap's own duplicate check does. Any other contact is created: with
`duplicate_option=Email` when it has an email, so that Keap itself never makes a second contact of
that email. Existing Keap contacts are never changed: edits in Keap win.

Look-ups: what a run has resolved is kept for the run, by Xero contact ID and by email and name.
While a flush brings few contacts the run does not know yet (up to `SEARCH_LIMIT`), each is
searched for on its own (by email, or by first and last name); beyond that, the account's
contacts are read once, 1,000 a page, and kept for the rest of the run together with those it
creates, so a flush never costs more than a few look-ups however many invoices it holds. Contacts
are created several at a time, each once per flush whatever the number of its invoices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from destination_keap.client import KeapClient
from destination_keap.mapping import Person, contact_body, person, person_of
from invoice_model.connector.destination import RecordError, Runner
from invoice_model.connector.keap.lists import keap_filter

SEARCH_LIMIT = 25
CONTACT_FIELDS = "given_name,family_name,company,email_addresses"
# Values a filter can carry as they are: no `;` (between conditions), no `*` (a wildcard).
FILTER_SAFE = re.compile(r"^[^;*]+$")
# The newest contacts a recovery looks through when a creation's answer was lost.
RECENT_CONTACTS = 100


@dataclass
class _Index:
    """Keap contacts by email (any slot) and by name and company; the oldest wins."""

    by_email: dict[str, str] = field(default_factory=dict)
    by_name: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def add(self, contact: Mapping[str, Any]) -> None:
        contact_id = str(contact["id"])
        emails, who = person_of(contact)
        for email in emails:
            _keep_oldest(self.by_email, email, contact_id)
        _keep_oldest(self.by_name, who.name_key, contact_id)


class ContactDirectory:
    """Xero contact IDs → Keap contact IDs, for one run."""

    def __init__(self, client: KeapClient, match_by_name: bool, run: Runner) -> None:
        self.client = client
        self.match_by_name = match_by_name
        self.run = run
        self.index = _Index()
        self.complete = False  # True once every contact of the account is in the index
        self.resolved: dict[str, str] = {}  # Xero contact ID -> Keap contact ID
        self.created = 0

    def resolve(self, contacts: Iterable[Mapping[str, Any]]) -> dict[str, str | RecordError]:
        """The Keap contact ID of each record contact (by its source ID), or why it has none."""
        wanted = {contact["source_id"]: contact for contact in contacts}
        problems: dict[str, RecordError] = {}
        people: dict[str, Person] = {}
        for source_id, contact in wanted.items():
            if source_id in self.resolved:
                continue
            try:
                people[source_id] = person(contact)
            except RecordError as problem:
                problems[source_id] = problem
        self._look_up([who for who in people.values() if self._match(who) is None])
        to_create: dict[Any, list[str]] = {}
        for source_id, who in people.items():
            found = self._match(who)
            if found is not None:
                self.resolved[source_id] = found
            else:
                to_create.setdefault(self._creation_key(source_id, who), []).append(source_id)
        creations = []
        for source_ids in to_create.values():
            who = people[source_ids[0]]
            try:
                creations.append((source_ids, who, contact_body(wanted[source_ids[0]], who)))
            except RecordError as problem:
                problems.update(dict.fromkeys(source_ids, problem))
        for (source_ids, _, _), outcome in zip(
            creations, self.run(self._create, creations), strict=True
        ):
            for source_id in source_ids:
                if isinstance(outcome, RecordError):
                    problems[source_id] = outcome
                else:
                    self.resolved[source_id] = outcome
        return {key: self.resolved.get(key) or problems[key] for key in wanted}

    def _match(self, who: Person) -> str | None:
        if who.email:
            return self.index.by_email.get(who.email)
        if self.match_by_name:
            return self.index.by_name.get(who.name_key)
        return None

    def _creation_key(self, source_id: str, who: Person) -> Any:
        """Contacts of a flush that would be the same Keap contact are created once."""
        if who.email:
            return ("email", who.email)
        if self.match_by_name:
            return ("name", who.name_key)
        return ("contact", source_id)

    def _look_up(self, unknown: list[Person]) -> None:
        if self.complete:
            return
        searched = [who for who in unknown if who.email or self.match_by_name]
        if not searched:
            return
        if len(searched) > SEARCH_LIMIT or not all(_search_filter(w) for w in searched):
            params = {"fields": CONTACT_FIELDS, "order_by": "id asc"}
            for page in self.client.pages("contacts", params, "contacts"):
                for contact in page:
                    self.index.add(contact)
            self.complete = True
            return
        for found in self.run(self._search, searched):
            for contact in found:
                self.index.add(contact)

    def _search(self, who: Person) -> list[Mapping[str, Any]]:
        params = {"filter": _search_filter(who), "fields": CONTACT_FIELDS}
        return [c for page in self.client.pages("contacts", params, "contacts") for c in page]

    def _create(self, creation: tuple[list[str], Person, dict[str, Any]]) -> str | RecordError:
        _, who, body = creation
        params = {"fields": CONTACT_FIELDS}
        if who.email:
            params["duplicate_option"] = "Email"
        answer = self.client.create("contacts", body, lambda: self._recover(who), params=params)
        if not answer.ok:
            return RecordError(f"Keap refused to create its contact: {answer.said}")
        self.index.add(answer.body)
        self.created += answer.status == 201
        return str(answer.body["id"])

    def _recover(self, who: Person) -> Mapping[str, Any] | None:
        """The contact a creation whose answer was lost may have made, if Keap has it."""
        if _search_filter(who):
            found = self._search(who)
        else:
            params = {"fields": CONTACT_FIELDS, "order_by": "id desc", "page_size": RECENT_CONTACTS}
            found = list(self.client.get("contacts", params, "contacts").get("contacts") or [])
        probe = _Index()
        for contact in found:
            probe.add(contact)
        match = probe.by_email.get(who.email) if who.email else probe.by_name.get(who.name_key)
        return next((c for c in found if str(c["id"]) == match), None)


def _search_filter(who: Person) -> str | None:
    """The filter that finds a contact's candidates on their own, or None when there is none."""
    if who.email:
        return keap_filter(email=who.email) if FILTER_SAFE.match(who.email) else None
    names = (who.given_name, who.family_name)
    if all(name and FILTER_SAFE.match(name) for name in names):
        return keap_filter(given_name=who.given_name, family_name=who.family_name)
    return None


def _keep_oldest(index: dict[Any, str], key: Any, contact_id: str) -> None:
    held = index.get(key)
    if held is None or int(contact_id) < int(held):
        index[key] = contact_id
