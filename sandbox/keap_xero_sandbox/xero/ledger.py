"""One Xero organisation: its records, its indexes and Xero's business rules. No HTTP here.

Writes take drafts (`models.ContactDraft`, `InvoiceDraft`, `PaymentDraft`) one element at a
time and either apply the whole element or raise `ElementInvalid` with Xero's own messages,
leaving the organisation untouched; a batch is a loop over elements, so the valid elements of a
batch are written even when others are refused, as Xero does.

The rules kept here:

- contacts: a name is unique among active contacts; fields within Xero's lengths (`validation`);
- invoices: DRAFT -> SUBMITTED -> AUTHORISED -> PAID (paid automatically when nothing is due);
  DELETED only from DRAFT or SUBMITTED; VOIDED only from AUTHORISED without payments; paid,
  voided and deleted invoices cannot be edited, nor can one with payments; ACCREC invoice numbers
  are unique (a deleted invoice frees its number); account codes, tax types, item codes and
  currencies must exist; fields and line amounts within Xero's limits (`validation`); totals as
  `pricing` works them out;
- payments: only against AUTHORISED invoices, never more than is due, into a BANK account or one
  with payments enabled; deleting one makes a PAID invoice AUTHORISED again;
- lock dates: nothing dated on or before the organisation's lock date is approved, edited once
  approved, voided, paid or has a payment deleted.

Look-ups by ID, invoice number, ContactNumber, name and email use indexes, so a 50-element
batch or a 50-term `where` costs the same in an organisation of ten invoices or a million.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import threading
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeVar

from invoice_model.money import round_to
from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.xero import pricing, validation
from keap_xero_sandbox.xero.errors import ElementInvalid, NotFound
from keap_xero_sandbox.xero.models import (
    LINE_AMOUNT_TYPES,
    Account,
    Contact,
    ContactDraft,
    ContactRef,
    Currency,
    Invoice,
    InvoiceDraft,
    Item,
    LineDraft,
    LineItem,
    Organisation,
    Payment,
    PaymentDraft,
    TaxRate,
    new_id,
)
from keap_xero_sandbox.xero.queries import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    CURRENCY_FIELDS,
    DEFAULT_ORDERS,
    ITEM_FIELDS,
    TAX_RATE_FIELDS,
    ListQuery,
    invoice_fields,
    payment_fields,
    select,
)
from keap_xero_sandbox.xero.where import compile_where

T = TypeVar("T")

EDITABLE = ("DRAFT", "SUBMITTED", "AUTHORISED")
CREATABLE = ("DRAFT", "SUBMITTED", "AUTHORISED")
ALLOWED_MOVES = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
}
POSTED = ("AUTHORISED", "PAID")
TIMEZONES = {"EASTERNSTANDARDTIME": "America/New_York", "UTC": "UTC"}

NOT_EDITABLE = "Invoice not of valid status for modification"
HAS_PAYMENTS = "This document cannot be edited as it has a payment or credit note allocated to it."


@dataclass(frozen=True)
class InvoiceQuery(ListQuery):
    ids: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    contact_ids: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    search_term: str | None = None


@dataclass(frozen=True)
class ContactQuery(ListQuery):
    ids: tuple[str, ...] = ()
    include_archived: bool = False
    search_term: str | None = None


class Ledger:
    """The state of one organisation. Callers hold `lock` around each request's work."""

    def __init__(self, organisation: Organisation, clock: Clock) -> None:
        self.organisation = organisation
        self.clock = clock
        self.lock = threading.RLock()
        self.currencies: dict[str, Currency] = {}
        self.currency_rates: dict[str, Decimal] = {}
        self.accounts: dict[str, Account] = {}
        self.tax_rates: dict[str, TaxRate] = {}
        self.items: dict[str, Item] = {}
        self.contacts: dict[str, Contact] = {}
        self.invoices: dict[str, Invoice] = {}
        self.payments: dict[str, Payment] = {}
        self._accounts_by_code: dict[str, Account] = {}
        self._items_by_code: dict[str, Item] = {}
        self._contacts_by: dict[str, defaultdict[str, set[str]]] = {
            key: defaultdict(set) for key in ("ContactNumber", "Name", "EmailAddress")
        }
        self._invoices_by_number: defaultdict[str, set[str]] = defaultdict(set)
        self._next_invoice_number = 1
        self._serial = itertools.count()
        self._changes: dict[str, int] = {}  # record ID -> serial of its last change
        self.new_id: Callable[[], str] = new_id  # seeding swaps in a seeded generator
        self._invoice_fields = invoice_fields(self.contacts.get)
        self._payment_fields = payment_fields(self.invoices.get)

    # time and order

    def _changed(self, table: dict[str, T], record_id: str, record: T) -> None:
        """Record a change: tables and `_changes` keep records in the order of their last
        change, the order of UpdatedDateUTC (Xero's default) also within one millisecond.
        """
        table.pop(record_id, None)
        table[record_id] = record
        self._changes[record_id] = next(self._serial)

    def now(self) -> dt.datetime:
        """The sandbox clock to the millisecond, as Xero keeps UpdatedDateUTC."""
        moment = self.clock.now().astimezone(dt.UTC)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def today(self) -> dt.date:
        zone = TIMEZONES.get(self.organisation.timezone, "UTC")
        return self.clock.now().astimezone(zoneinfo.ZoneInfo(zone)).date()

    # settings

    def add_currency(self, currency: Currency, rate: Decimal = Decimal(1)) -> None:
        self.currencies[currency.code] = currency
        self.currency_rates[currency.code] = rate

    def add_account(self, account: Account) -> None:
        self.accounts[account.account_id] = account
        self._accounts_by_code[account.code.upper()] = account

    def add_tax_rate(self, rate: TaxRate) -> None:
        self.tax_rates[rate.tax_type] = rate

    def add_item(self, item: Item) -> None:
        self.items[item.item_id] = item
        self._items_by_code[item.code.upper()] = item

    def account_by_code(self, code: str) -> Account | None:
        return self._accounts_by_code.get(code.upper())

    def item_by_code(self, code: str) -> Item | None:
        return self._items_by_code.get(code.upper())

    def set_lock_dates(
        self, period_lock_date: dt.date | None, end_of_year_lock_date: dt.date | None
    ) -> None:
        self.organisation.period_lock_date = period_lock_date
        self.organisation.end_of_year_lock_date = end_of_year_lock_date

    def list_accounts(self, query: ListQuery) -> list[Account]:
        return select(
            self.accounts.values(),
            query,
            ACCOUNT_FIELDS,
            updated=lambda a: a.updated,
            default_order=DEFAULT_ORDERS["Accounts"],
        )

    def list_tax_rates(self, query: ListQuery) -> list[TaxRate]:
        return select(
            self.tax_rates.values(),
            query,
            TAX_RATE_FIELDS,
            default_order=DEFAULT_ORDERS["TaxRates"],
        )

    def list_items(self, query: ListQuery) -> list[Item]:
        return select(
            self.items.values(),
            query,
            ITEM_FIELDS,
            updated=lambda i: i.updated,
            default_order=DEFAULT_ORDERS["Items"],
        )

    def list_currencies(self, query: ListQuery) -> list[Currency]:
        return select(
            self.currencies.values(),
            query,
            CURRENCY_FIELDS,
            default_order=DEFAULT_ORDERS["Currencies"],
        )

    # contacts

    def contact(self, contact_id: str) -> Contact:
        found = self.contacts.get(contact_id.lower())
        if found is None:
            raise NotFound()
        return found

    def contact_by_number(self, number: str) -> Contact:
        for contact_id in self._contacts_by["ContactNumber"].get(number.casefold(), ()):
            return self.contacts[contact_id]
        raise NotFound()

    def list_contacts(self, query: ContactQuery) -> list[Contact]:
        candidates: Iterable[Contact] = self.contacts.values()
        where = None
        if query.where:
            where = compile_where(
                query.where, CONTACT_FIELDS, indexed=("ContactID", *self._contacts_by)
            )
            if where.keys is not None:
                candidates = self._contacts_with(where.keys)
        if query.ids:
            wanted = {i.lower() for i in query.ids}
            candidates = (c for c in candidates if c.contact_id in wanted)
        if not query.include_archived:
            candidates = (c for c in candidates if c.status != "ARCHIVED")
        if query.search_term:
            term = query.search_term.casefold()
            candidates = (
                c
                for c in candidates
                if any(term in (v or "").casefold() for v in (c.name, c.first_name, c.last_name))
                or term in (c.email or "").casefold()
                or term in (c.contact_number or "").casefold()
            )
        return select(
            candidates,
            query,
            CONTACT_FIELDS,
            updated=lambda c: c.updated,
            default_order=DEFAULT_ORDERS["Contacts"],
            where_filter=where,
        )

    def _contacts_with(self, keys: dict[str, frozenset[Any]]) -> list[Contact]:
        """Contacts whose indexed fields hold one of the values, in the ledger's order."""
        found: set[str] = set()
        for field, values in keys.items():
            if field == "ContactID":
                found.update(v for v in values if v in self.contacts)
                continue
            index = self._contacts_by[field]
            for value in values:
                found.update(index.get(value, ()))
        return [self.contacts[i] for i in sorted(found, key=self._changes.__getitem__)]

    def save_contact(self, draft: ContactDraft, *, create_only: bool) -> Contact:
        """Create a contact, or (unless `create_only`) update the one the draft names."""
        existing = None if create_only else self._contact_to_update(draft)
        if existing is None:
            return self._create_contact(draft)
        return self._update_contact(existing, draft)

    def _contact_to_update(self, draft: ContactDraft) -> Contact | None:
        if draft.contact_id:
            found = self.contacts.get(draft.contact_id.lower())
            if found is None:
                raise ElementInvalid(f"The contact with ContactID {draft.contact_id} was not found")
            return found
        if draft.contact_number:
            ids = self._contacts_by["ContactNumber"].get(draft.contact_number.casefold())
            if ids:
                return self.contacts[min(ids, key=self._changes.__getitem__)]
        if draft.name:
            return self._active_contact_named(draft.name)
        return None

    def _active_contact_named(self, name: str) -> Contact | None:
        for contact_id in self._contacts_by["Name"].get(name.strip().casefold(), ()):
            if self.contacts[contact_id].status == "ACTIVE":
                return self.contacts[contact_id]
        return None

    def _create_contact(self, draft: ContactDraft) -> Contact:
        name = (draft.name or "").strip()
        if not name:
            raise ElementInvalid("The contact name must be specified")
        contact = Contact(contact_id=self.new_id(), name=name, updated=self.now())
        return self._apply_contact(contact, draft)

    def _update_contact(self, contact: Contact, draft: ContactDraft) -> Contact:
        return self._apply_contact(contact, replace(draft, name=draft.name or contact.name))

    def _apply_contact(self, contact: Contact, draft: ContactDraft) -> Contact:
        name = (draft.name or contact.name).strip()
        status = draft.status or contact.status
        problems = validation.contact_problems(name, draft)
        if status not in ("ACTIVE", "ARCHIVED", "GDPRREQUEST"):
            problems.append(f"ContactStatus {status} is not valid")
        holder = self._active_contact_named(name)
        if status == "ACTIVE" and holder is not None and holder.contact_id != contact.contact_id:
            problems.append(
                f"The contact name {name} is already assigned to another contact. The contact "
                "name must be unique across all active contacts."
            )
        if draft.default_currency and draft.default_currency not in self.currencies:
            problems.append(f"Organisation is not subscribed to currency {draft.default_currency}")
        if problems:
            raise ElementInvalid(*problems)
        self._unindex_contact(contact)
        contact.name, contact.status = name, status
        for attribute in (
            "contact_number",
            "account_number",
            "first_name",
            "last_name",
            "email",
            "addresses",
            "phones",
            "default_currency",
        ):
            value = getattr(draft, attribute)
            if value is not None:
                setattr(contact, attribute, value)
        contact.updated = self.now()
        self._changed(self.contacts, contact.contact_id, contact)
        self._index_contact(contact)
        return contact

    def _index_contact(self, contact: Contact) -> None:
        for field, value in self._contact_keys(contact):
            self._contacts_by[field][value].add(contact.contact_id)

    def _unindex_contact(self, contact: Contact) -> None:
        for field, value in self._contact_keys(contact):
            self._contacts_by[field][value].discard(contact.contact_id)

    @staticmethod
    def _contact_keys(contact: Contact) -> list[tuple[str, str]]:
        values = (
            ("ContactNumber", contact.contact_number),
            ("Name", contact.name),
            ("EmailAddress", contact.email),
        )
        return [(field, value.casefold()) for field, value in values if value]

    # invoices

    def invoice(self, invoice_id: str) -> Invoice:
        found = self.invoices.get(invoice_id.lower())
        if found is None:
            raise NotFound()
        return found

    def invoices_numbered(self, number: str) -> list[Invoice]:
        return [self.invoices[i] for i in self._invoices_by_number.get(number.casefold(), ())]

    def list_invoices(self, query: InvoiceQuery) -> list[Invoice]:
        candidates: Iterable[Invoice] | None = None
        where = None
        if query.where:
            where = compile_where(
                query.where, self._invoice_fields, indexed=("InvoiceID", "InvoiceNumber")
            )
            if where.keys is not None:
                candidates = self._invoices_with(where.keys)
        if query.numbers:
            by_number = self._invoices_with({"InvoiceNumber": frozenset(query.numbers)})
            candidates = by_number if candidates is None else _both(candidates, by_number)
        if query.ids:
            by_id = self._invoices_with({"InvoiceID": frozenset(query.ids)})
            candidates = by_id if candidates is None else _both(candidates, by_id)
        chosen: Iterable[Invoice] = self.invoices.values() if candidates is None else candidates
        if query.contact_ids:
            contacts = {c.lower() for c in query.contact_ids}
            chosen = (i for i in chosen if i.contact_id in contacts)
        if query.statuses:
            statuses = {s.upper() for s in query.statuses}
            chosen = (i for i in chosen if i.status in statuses)
        if query.search_term:
            term = query.search_term.casefold()
            chosen = (
                i
                for i in chosen
                if term in (i.invoice_number or "").casefold()
                or term in (i.reference or "").casefold()
            )
        return select(
            chosen,
            query,
            self._invoice_fields,
            updated=lambda i: i.updated,
            default_order=DEFAULT_ORDERS["Invoices"],
            where_filter=where,
        )

    def _invoices_with(self, keys: dict[str, frozenset[Any]]) -> list[Invoice]:
        found: set[str] = set()
        for field, values in keys.items():
            for value in values:
                if field == "InvoiceID":
                    if str(value).lower() in self.invoices:
                        found.add(str(value).lower())
                else:
                    found.update(self._invoices_by_number.get(str(value).casefold(), ()))
        return [self.invoices[i] for i in sorted(found, key=self._changes.__getitem__)]

    def save_invoice(self, draft: InvoiceDraft, *, create_only: bool, unit_places: int) -> Invoice:
        """Create an invoice, or (unless `create_only`) update the one the draft names by
        InvoiceID or, for a sales invoice, by InvoiceNumber.
        """
        existing = self._invoice_to_update(draft, create_only=create_only)
        if existing is None:
            return self._create_invoice(draft, unit_places)
        return self._update_invoice(existing, draft, unit_places)

    def _invoice_to_update(self, draft: InvoiceDraft, *, create_only: bool) -> Invoice | None:
        if draft.invoice_id:
            found = self.invoices.get(draft.invoice_id.lower())
            if create_only and found is not None:
                raise ElementInvalid(
                    f"An invoice with InvoiceID {draft.invoice_id} already exists; "
                    "update it with POST"
                )
            if not create_only and found is None:
                raise ElementInvalid(f"Invoice with InvoiceID {draft.invoice_id} was not found")
            return found
        if create_only or not draft.invoice_number or (draft.type or "ACCREC") != "ACCREC":
            return None
        live = [
            invoice
            for invoice in self.invoices_numbered(draft.invoice_number)
            if invoice.type == "ACCREC" and invoice.status != "DELETED"
        ]
        return live[0] if live else None

    def _create_invoice(self, draft: InvoiceDraft, unit_places: int) -> Invoice:
        problems: list[str] = []
        kind = draft.type
        if kind not in ("ACCREC", "ACCPAY"):
            problems.append(
                "Invoice Type must be specified"
                if not kind
                else f"Invoice Type {kind} is not valid"
            )
        status = draft.status or "DRAFT"
        if status not in CREATABLE:
            problems.append("Invoice not of valid status for creation")
        if draft.contact is None:
            problems.append("A Contact must be specified for this type of transaction")
        if problems:
            raise ElementInvalid(*problems)
        invoice = Invoice(
            invoice_id=self.new_id(),
            type=kind or "ACCREC",
            contact_id="",
            status="DRAFT",
            line_amount_types=draft.line_amount_types or "Exclusive",
            currency_code=draft.currency_code or self.organisation.base_currency,
            date=draft.date or self.today(),
            updated=self.now(),
        )
        return self._apply_invoice(invoice, draft, unit_places, new=True)

    def _update_invoice(self, invoice: Invoice, draft: InvoiceDraft, unit_places: int) -> Invoice:
        target = draft.status or invoice.status
        if invoice.status not in EDITABLE:
            if invoice.status == "PAID" and target in ("PAID", "AUTHORISED"):
                raise ElementInvalid(HAS_PAYMENTS)
            raise ElementInvalid(NOT_EDITABLE)
        if target not in ALLOWED_MOVES[invoice.status]:
            raise ElementInvalid(NOT_EDITABLE)
        if invoice.payment_ids and _changes_content(draft, invoice):
            raise ElementInvalid(HAS_PAYMENTS)
        if invoice.payment_ids and target != invoice.status:
            raise ElementInvalid(NOT_EDITABLE)
        if target in ("VOIDED", "DELETED") and not _changes_content(draft, invoice):
            self._check_lock(invoice.date, invoice.status)
            self._set_invoice_status(invoice, target)
            return invoice
        return self._apply_invoice(invoice, draft, unit_places)

    def _apply_invoice(
        self, invoice: Invoice, draft: InvoiceDraft, unit_places: int, *, new: bool = False
    ) -> Invoice:
        """Validate the draft against the invoice it changes, then apply it whole or not at all."""
        plan = self._plan_invoice(invoice, draft, unit_places, new=new)
        contact = plan.contact
        if contact is None:
            assert plan.new_contact is not None  # noqa: S101 (resolved or refused by the plan)
            contact = self._create_contact(plan.new_contact)
        elif plan.new_contact is not None:
            self._apply_contact(contact, plan.new_contact)
        self._unindex_invoice(invoice)
        invoice.contact_id = contact.contact_id
        invoice.line_amount_types = plan.line_types
        invoice.currency_code = plan.currency
        invoice.currency_rate = draft.currency_rate or (
            self.currency_rates.get(plan.currency, Decimal(1)) if new else invoice.currency_rate
        )
        invoice.invoice_number = plan.number
        invoice.date, invoice.due_date = plan.date, plan.due
        invoice.line_items = plan.lines
        for attribute in OPTIONAL_INVOICE_FIELDS:
            value = getattr(draft, attribute)
            if value is not None:
                setattr(invoice, attribute, value)
        if invoice.type == "ACCPAY":
            invoice.reference = None
        self._total(invoice)
        self._changed(self.invoices, invoice.invoice_id, invoice)
        self._index_invoice(invoice)
        if invoice.type == "ACCREC":
            contact.is_customer = True
        else:
            contact.is_supplier = True
        self._set_invoice_status(invoice, plan.status)
        return invoice

    def _plan_invoice(
        self, invoice: Invoice, draft: InvoiceDraft, unit_places: int, *, new: bool
    ) -> _InvoicePlan:
        """What the draft would make of the invoice, or every reason Xero would refuse it."""
        problems: list[str] = []
        if draft.contact is None and not new:
            contact, new_contact = self.contacts[invoice.contact_id], None
        else:
            contact, new_contact = self._resolve_contact(draft.contact, problems)
        plan = _InvoicePlan(
            contact=contact,
            new_contact=new_contact,
            line_types=draft.line_amount_types or invoice.line_amount_types,
            currency=draft.currency_code or invoice.currency_code,
            status=draft.status or invoice.status,
            number=self._invoice_number(invoice, draft, problems),
            date=draft.date or invoice.date,
            due=draft.due_date or invoice.due_date,
        )
        problems.extend(validation.invoice_problems(draft, plan.number, invoice.type))
        if plan.line_types not in LINE_AMOUNT_TYPES:
            problems.append(f"LineAmountTypes {plan.line_types} is not valid")
        if plan.currency not in self.currencies:
            problems.append(f"Organisation is not subscribed to currency {plan.currency}")
        priced_before = len(problems)
        if draft.line_items is not None:
            plan.lines = self._price_lines(
                draft.line_items, invoice, plan.line_types, unit_places, problems
            )
        else:
            plan.lines = self._repriced(invoice, plan.line_types, problems)
        if len(problems) == priced_before:  # a refused line is reason enough
            problems.extend(_approval_problems(plan))
        if plan.status in POSTED or invoice.status in POSTED:
            problems.extend(self._lock_problems(plan.date, plan.status))
            if plan.date != invoice.date and not new:
                problems.extend(self._lock_problems(invoice.date, invoice.status))
        if problems:
            raise ElementInvalid(*dict.fromkeys(problems))
        return plan

    def _resolve_contact(
        self, ref: ContactRef | None, problems: list[str]
    ) -> tuple[Contact | None, ContactDraft | None]:
        """The invoice's contact, and what the element asks to change on it (or the contact to
        create when it names one by a name no active contact has, as Xero silently does).
        """
        if ref is None:
            return None, None
        contact = None
        if ref.contact_id:
            contact = self.contacts.get(ref.contact_id.lower())
            if contact is None:
                problems.append(f"The contact with ID {ref.contact_id} could not be found")
                return None, None
        elif ref.contact_number:
            ids = self._contacts_by["ContactNumber"].get(ref.contact_number.casefold())
            contact = self.contacts[next(iter(ids))] if ids else None
            if contact is None and not ref.name:
                problems.append(f"The contact with number {ref.contact_number} could not be found")
                return None, None
        if contact is None and ref.name:
            contact = self._active_contact_named(ref.name)
            if contact is None:
                details = ref.details or ContactDraft()
                return None, replace(details, name=ref.name, contact_number=ref.contact_number)
        if contact is None:
            problems.append("A Contact must be specified for this type of transaction")
            return None, None
        if contact.status == "ARCHIVED":
            problems.append("The contact is archived and cannot be used.")
        return contact, ref.details

    def _invoice_number(
        self, invoice: Invoice, draft: InvoiceDraft, problems: list[str]
    ) -> str | None:
        number = draft.invoice_number if draft.invoice_number is not None else None
        if number is None:
            number = invoice.invoice_number
        if number is None and invoice.type == "ACCREC":
            number = self._generated_number()
        if number is not None and invoice.type == "ACCREC":
            for other in self.invoices_numbered(number):
                if (
                    other.invoice_id != invoice.invoice_id
                    and other.type == "ACCREC"
                    and other.status != "DELETED"
                ):
                    problems.append("Invoice # must be unique.")
                    break
        return number

    def _generated_number(self) -> str:
        while True:
            number = f"INV-{self._next_invoice_number:04d}"
            self._next_invoice_number += 1
            if not self._invoices_by_number.get(number.casefold()):
                return number

    def _price_lines(
        self,
        drafts: list[LineDraft],
        invoice: Invoice,
        line_types: str,
        unit_places: int,
        problems: list[str],
    ) -> list[LineItem]:
        kept = {line.line_item_id: line for line in invoice.line_items}
        lines = []
        for draft in drafts:
            known = kept.get((draft.line_item_id or "").lower())
            merged = _merge_line(known, draft) if known is not None else draft
            line = self._price_line(merged, invoice.type, line_types, unit_places, problems)
            if line is not None:
                if known is not None:
                    line.line_item_id = known.line_item_id
                lines.append(line)
        return lines

    def _repriced(self, invoice: Invoice, line_types: str, problems: list[str]) -> list[LineItem]:
        """The invoice's own lines, priced again (its amount types may have changed)."""
        drafts = [
            LineDraft(
                line_item_id=line.line_item_id,
                description=line.description,
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                line_amount=line.line_amount if line.unit_amount is None else None,
                item_code=line.item_code,
                account_code=line.account_code,
                tax_type=line.tax_type,
                discount_rate=line.discount_rate,
                discount_amount=line.discount_amount,
            )
            for line in invoice.line_items
        ]
        priced = [self._price_line(d, invoice.type, line_types, 4, problems) for d in drafts]
        for line, draft in zip(priced, drafts, strict=True):
            if line is not None and draft.line_item_id:
                line.line_item_id = draft.line_item_id
        return [line for line in priced if line is not None]

    def _price_line(  # noqa: PLR0912 (one check per field, as Xero reports them)
        self,
        draft: LineDraft,
        kind: str,
        line_types: str,
        unit_places: int,
        problems: list[str],
    ) -> LineItem | None:
        found = validation.line_problems(draft)
        item = None
        if draft.item_code:
            item = self.item_by_code(draft.item_code)
            if item is None:
                found.append(f"Item code '{draft.item_code}' is not valid.")
        details = (item.sales if kind == "ACCREC" else item.purchases) if item else None
        description = draft.description
        if description is None and item is not None:
            description = item.description or item.name
        if not description and item is None:
            found.append("Description must be specified on each line item.")
        account = None
        account_code = draft.account_code or (details.account_code if details else None)
        if draft.account_id:
            account = self.accounts.get(draft.account_id.lower())
            if account is None:
                found.append(f"Account ID '{draft.account_id}' is not valid for this document.")
        elif account_code:
            account = self.account_by_code(account_code)
            if account is None:
                found.append(
                    f"Account code '{account_code}' is not a valid code for this document."
                )
        if account is not None and account.status != "ACTIVE":
            found.append(
                f"Account code '{account.code}' has been archived, or has been deleted. Each line "
                "item must reference a valid account."
            )
        tax_type = draft.tax_type or (details.tax_type if details else None)
        if tax_type is None and account is not None:
            tax_type = account.tax_type
        if line_types == "NoTax":
            tax_type = draft.tax_type or "NONE"
        rate = None
        if tax_type is not None:
            rate = self.tax_rates.get(tax_type)
            if rate is None or rate.status != "ACTIVE":
                found.append(
                    f"The TaxType code {tax_type} does not exist or cannot be used for this type "
                    "of transaction."
                )
            elif account is not None and not _tax_fits(rate, account):
                found.append(
                    f"The TaxType code '{tax_type}' cannot be used with account code "
                    f"'{account.code}'."
                )
        if (draft.discount_rate is not None or draft.discount_amount is not None) and (
            kind != "ACCREC"
        ):
            found.append("Discounts are only available on sales invoices (ACCREC).")
        if draft.discount_rate is not None and draft.discount_amount is not None:
            found.append("A line item cannot have both a DiscountRate and a DiscountAmount.")
        if draft.discount_rate is not None and not Decimal(0) <= draft.discount_rate <= 100:
            found.append("DiscountRate must be between 0 and 100.")
        if found:
            problems.extend(found)
            return None
        unit_amount = draft.unit_amount
        if unit_amount is None and draft.line_amount is None and details is not None:
            unit_amount = details.unit_price
        priced = pricing.price_line(
            quantity=draft.quantity,
            unit_amount=unit_amount,
            line_amount=draft.line_amount,
            discount_rate=draft.discount_rate,
            discount_amount=draft.discount_amount,
            tax_amount=draft.tax_amount,
            tax_rate=rate.effective_rate if rate and line_types != "NoTax" else Decimal(0),
            amount_types=line_types,
            unit_places=unit_places,
        )
        if validation.line_amount_problems(priced.line_amount):
            problems.extend(validation.line_amount_problems(priced.line_amount))
            return None
        return LineItem(
            line_item_id=self.new_id(),
            description=description or "",
            quantity=priced.quantity,
            unit_amount=priced.unit_amount,
            line_amount=priced.line_amount,
            tax_amount=priced.tax_amount,
            item_code=item.code if item else None,
            account_code=account.code if account else None,
            account_id=account.account_id if account else None,
            tax_type=tax_type,
            discount_rate=draft.discount_rate,
            discount_amount=draft.discount_amount,
        )

    def _total(self, invoice: Invoice) -> None:
        priced = [
            pricing.PricedLine(
                line.quantity,
                line.unit_amount,
                line.line_amount,
                _line_discount(line),
                line.tax_amount,
            )
            for line in invoice.line_items
        ]
        totals = pricing.totals(priced, invoice.line_amount_types)
        invoice.sub_total, invoice.total_tax = totals.sub_total, totals.total_tax
        invoice.total, invoice.total_discount = totals.total, totals.total_discount

    def _set_invoice_status(self, invoice: Invoice, status: str) -> None:
        """Move to `status` (PAID follows by itself when nothing is due) and stamp the change."""
        if status == "AUTHORISED" and invoice.amount_due <= 0:
            status = "PAID"  # nothing to pay: a zero invoice is paid as soon as it is approved
            invoice.fully_paid_on = invoice.fully_paid_on or invoice.date
        invoice.status = status
        invoice.updated = self.now()
        self._changed(self.invoices, invoice.invoice_id, invoice)

    def _check_lock(self, date: dt.date, status: str) -> None:
        problems = self._lock_problems(date, status)
        if problems:
            raise ElementInvalid(*problems)

    def _lock_problems(self, date: dt.date, status: str) -> list[str]:
        """Why a document of this date and status is frozen by the lock dates, if it is."""
        organisation = self.organisation
        if status not in (*POSTED, "VOIDED") or organisation.lock_date is None:
            return []
        if date > organisation.lock_date:
            return []
        end_of_year = organisation.end_of_year_lock_date
        which = (
            "end of year lock date"
            if end_of_year is not None and end_of_year == organisation.lock_date
            else "period lock date"
        )
        raise ElementInvalid(
            f"The document date cannot be before the {which}, {organisation.lock_date:%d %b %Y}."
        )

    def _index_invoice(self, invoice: Invoice) -> None:
        if invoice.invoice_number:
            self._invoices_by_number[invoice.invoice_number.casefold()].add(invoice.invoice_id)

    def _unindex_invoice(self, invoice: Invoice) -> None:
        if invoice.invoice_number:
            self._invoices_by_number[invoice.invoice_number.casefold()].discard(invoice.invoice_id)

    # payments

    def payment(self, payment_id: str) -> Payment:
        found = self.payments.get(payment_id.lower())
        if found is None:
            raise NotFound()
        return found

    def list_payments(self, query: ListQuery) -> list[Payment]:
        return select(
            self.payments.values(),
            query,
            self._payment_fields,
            updated=lambda p: p.updated,
            default_order=DEFAULT_ORDERS["Payments"],
        )

    def payments_of(self, invoice: Invoice) -> list[Payment]:
        return [self.payments[p] for p in invoice.payment_ids]

    def create_payment(self, draft: PaymentDraft) -> Payment:
        problems: list[str] = []
        invoice = self._payment_invoice(draft, problems)
        account = self._payment_account(draft, problems)
        date = draft.date or self.today()
        amount = draft.amount
        if amount is None:
            problems.append("Payment amount must be specified")
        elif amount <= 0:
            problems.append("Payment amount must be greater than zero")
        if invoice is not None:
            if invoice.status != "AUTHORISED":
                problems.append("Payments can only be made against Authorised documents")
            elif amount is not None and amount > invoice.amount_due:
                problems.append("Payment amount exceeds the amount outstanding on this document")
        problems.extend(self._lock_problems(date, "AUTHORISED"))
        if problems:
            raise ElementInvalid(*problems)
        assert invoice is not None  # noqa: S101 (each is checked above, or a problem)
        assert account is not None  # noqa: S101
        assert amount is not None  # noqa: S101
        payment = Payment(
            payment_id=self.new_id(),
            invoice_id=invoice.invoice_id,
            account_id=account.account_id,
            date=date,
            amount=amount,
            updated=self.now(),
            payment_type="ACCRECPAYMENT" if invoice.type == "ACCREC" else "ACCPAYPAYMENT",
            currency_rate=draft.currency_rate or invoice.currency_rate,
            reference=draft.reference,
            is_reconciled=bool(draft.is_reconciled),
        )
        self._changed(self.payments, payment.payment_id, payment)
        invoice.payment_ids.append(payment.payment_id)
        invoice.amount_paid += amount
        if invoice.amount_due == 0:
            invoice.fully_paid_on = max(p.date for p in self.payments_of(invoice))
            self._set_invoice_status(invoice, "PAID")
        else:
            self._set_invoice_status(invoice, invoice.status)
        return payment

    def _payment_invoice(self, draft: PaymentDraft, problems: list[str]) -> Invoice | None:
        invoice = None
        if draft.invoice_id:
            invoice = self.invoices.get(draft.invoice_id.lower())
        elif draft.invoice_number:
            numbered = [
                i for i in self.invoices_numbered(draft.invoice_number) if i.status != "DELETED"
            ]
            numbered.sort(key=lambda i: i.status not in POSTED)  # a payable one first
            invoice = numbered[0] if numbered else None
        else:
            problems.append("Invoice, CreditNote, Prepayment or Overpayment must be specified")
            return None
        if invoice is None:
            problems.append("Invoice could not be found")
        return invoice

    def _payment_account(self, draft: PaymentDraft, problems: list[str]) -> Account | None:
        if draft.account_id:
            account = self.accounts.get(draft.account_id.lower())
        elif draft.account_code:
            account = self.account_by_code(draft.account_code)
        else:
            problems.append("Account must be specified")
            return None
        if account is None:
            problems.append(
                f"Account code '{draft.account_code or draft.account_id}' is not a valid code "
                "for this document."
            )
            return None
        if account.status != "ACTIVE":
            problems.append(
                f"Account code '{account.code}' has been archived, or has been deleted."
            )
        elif not account.takes_payments:
            problems.append("Account type is invalid for making a payment to/from")
        return account

    def delete_payment(self, payment_id: str) -> Payment:
        payment = self.payment(payment_id)
        if payment.status == "DELETED":
            raise ElementInvalid("This payment has already been deleted")
        invoice = self.invoices[payment.invoice_id]
        self._check_lock(payment.date, "AUTHORISED")
        payment.status = "DELETED"
        payment.updated = self.now()
        self._changed(self.payments, payment.payment_id, payment)
        invoice.payment_ids.remove(payment.payment_id)
        invoice.amount_paid -= payment.amount
        invoice.fully_paid_on = None
        self._set_invoice_status(
            invoice, "AUTHORISED" if invoice.status == "PAID" else invoice.status
        )
        return payment

    # state

    def counts(self) -> dict[str, int]:
        return {
            "contacts": len(self.contacts),
            "invoices": len(self.invoices),
            "payments": len(self.payments),
        }


OPTIONAL_INVOICE_FIELDS = (
    "reference",
    "url",
    "branding_theme_id",
    "sent_to_contact",
    "expected_payment_date",
    "planned_payment_date",
)


@dataclass
class _InvoicePlan:
    """An invoice element checked and worked out, ready to apply."""

    contact: Contact | None
    new_contact: ContactDraft | None
    line_types: str
    currency: str
    status: str
    number: str | None
    date: dt.date
    due: dt.date | None
    lines: list[LineItem] = dataclasses.field(default_factory=list)


def _approval_problems(plan: _InvoicePlan) -> list[str]:
    """What a submitted or approved invoice needs beyond a draft."""
    if plan.status not in ("SUBMITTED", "AUTHORISED"):
        return []
    problems = []
    if plan.due is None:
        problems.append("Due Date is required.")
    if not plan.lines:
        problems.append("The invoice must have at least one line item.")
    if any(line.line_amount and not line.account_code for line in plan.lines):
        problems.append("Account code must be specified on each line.")
    return problems


def _both(first: Iterable[Invoice], second: Iterable[Invoice]) -> list[Invoice]:
    wanted = {i.invoice_id for i in second}
    return [i for i in first if i.invoice_id in wanted]


def _tax_fits(rate: TaxRate, account: Account) -> bool:
    checks: dict[str, Callable[[TaxRate], bool]] = {
        "REVENUE": lambda r: r.applies_to_revenue,
        "EXPENSE": lambda r: r.applies_to_expenses,
        "ASSET": lambda r: r.applies_to_assets,
        "EQUITY": lambda r: r.applies_to_equity,
        "LIABILITY": lambda r: r.applies_to_liabilities,
    }
    check = checks.get(account.account_class)
    return check is None or check(rate)


def _merge_line(known: LineItem, draft: LineDraft) -> LineDraft:
    """A line sent with its LineItemID: what it sends, over what the line had."""
    return LineDraft(
        line_item_id=known.line_item_id,
        description=draft.description if draft.description is not None else known.description,
        quantity=draft.quantity if draft.quantity is not None else known.quantity,
        unit_amount=draft.unit_amount if draft.unit_amount is not None else known.unit_amount,
        line_amount=draft.line_amount,
        tax_amount=draft.tax_amount,
        item_code=draft.item_code if draft.item_code is not None else known.item_code,
        account_code=(
            draft.account_code
            if draft.account_code is not None or draft.account_id is not None
            else known.account_code
        ),
        account_id=draft.account_id,
        tax_type=draft.tax_type if draft.tax_type is not None else known.tax_type,
        discount_rate=draft.discount_rate
        if draft.discount_rate is not None
        else known.discount_rate,
        discount_amount=(
            draft.discount_amount if draft.discount_amount is not None else known.discount_amount
        ),
    )


def _line_discount(line: LineItem) -> Decimal:
    if line.quantity is None or line.unit_amount is None:
        return Decimal("0.00")
    return round_to(line.quantity * line.unit_amount - line.line_amount, pricing.AMOUNT_PLACES)


def _changes_content(draft: InvoiceDraft, invoice: Invoice) -> bool:
    """Whether the draft changes more than the invoice's status (and what needs no change)."""
    if draft.line_items is not None:
        return True
    if draft.contact is not None and (
        draft.contact.details is not None
        or (draft.contact.contact_id or invoice.contact_id).lower() != invoice.contact_id
    ):
        return True
    same_number = (draft.invoice_number or invoice.invoice_number or "").casefold() == (
        invoice.invoice_number or ""
    ).casefold()
    return not same_number or any(
        value is not None and value != held
        for value, held in (
            (draft.date, invoice.date),
            (draft.due_date, invoice.due_date),
            (draft.line_amount_types, invoice.line_amount_types),
            (draft.currency_code, invoice.currency_code),
            (draft.currency_rate, invoice.currency_rate),
        )
    )
