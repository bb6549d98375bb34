"""Deterministic data for an organisation: contacts, sales invoices in a mix of statuses and
currencies, and payments, all written through the ledger's own rules.

    sandbox.seed(xero={"contacts": 20, "invoices": 100, "payments": 10, "seed": 7})

Options (all optional):

- `contacts` (0): contacts `Customer 0001`... with ContactNumber `SEED-0001`...;
- `invoices` (0): sales invoices (ACCREC) of 1 to 3 lines, spread over the contacts;
- `payments` (0): part payments on invoices left AUTHORISED (PAID ones are paid in full);
- `statuses` (`{"AUTHORISED": 5, "PAID": 3, "DRAFT": 1, "SUBMITTED": 1}`): relative weights
  of the invoices' statuses; VOIDED and DELETED may be asked for too;
- `currencies` (`{"USD": 1}`): relative weights of the invoices' currencies;
- `start_date`, `days` (`2024-01-01`, 365): invoices are dated within those days;
- `tenants` (the demo company): tenant IDs to seed, each the same way;
- `spacing` (0): seconds of sandbox time between consecutive writes, so that records are changed
  one after another as in a real organisation rather than thousands in the same second (the
  clock moves on by that much after each contact, invoice and payment);
- `seed` (0): the same options and seed give the same data, IDs included.

Seeding needs invoices to have contacts: with `invoices` and no `contacts`, 10 are made.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from keap_xero_sandbox.xero.errors import ElementInvalid
from keap_xero_sandbox.xero.ledger import Ledger
from keap_xero_sandbox.xero.models import (
    ContactDraft,
    ContactRef,
    InvoiceDraft,
    LineDraft,
    Payment,
    PaymentDraft,
)

if TYPE_CHECKING:
    from keap_xero_sandbox.xero.emulator import XeroEmulator

T = TypeVar("T")

DEFAULT_STATUSES = {"AUTHORISED": 5, "PAID": 3, "DRAFT": 1, "SUBMITTED": 1}
SEEDABLE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED")
LINES = (
    ("WIDGET-S", None, "TAX001"),
    ("WIDGET-L", None, "TAX001"),
    ("CONSULT", None, "NONE"),
    (None, "200", "TAX001"),
    (None, "210", "NONE"),
)
BANK_ACCOUNT = "090"
KNOWN = {
    "contacts",
    "invoices",
    "payments",
    "statuses",
    "currencies",
    "start_date",
    "days",
    "tenants",
    "spacing",
    "seed",
}


def seed(emulator: XeroEmulator, **options: Any) -> dict[str, Any]:
    unknown = set(options) - KNOWN
    if unknown:
        raise ValueError(f"unknown Xero seed options {sorted(unknown)}; options: {sorted(KNOWN)}")
    tenants = [t.lower() for t in options.get("tenants") or [emulator.default_ledger_id]]
    summary = {}
    for index, tenant in enumerate(tenants):
        ledger = emulator.ledger(tenant)
        rng = random.Random(f"{options.get('seed', 0)}:{index}")
        with ledger.lock, _seeded_ids(ledger, rng):
            summary[tenant] = _seed_ledger(ledger, rng, options)
    return {"tenants": summary, "credentials": emulator.credentials()}


@contextmanager
def _seeded_ids(ledger: Ledger, rng: random.Random) -> Iterator[None]:
    make = ledger.new_id
    ledger.new_id = lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))
    try:
        yield
    finally:
        ledger.new_id = make


def _weights(value: Mapping[str, float] | None, default: Mapping[str, float]) -> dict[str, float]:
    chosen = dict(value or default)
    if not chosen or any(w < 0 for w in chosen.values()) or not sum(chosen.values()):
        raise ValueError(f"weights must be non-negative and not all zero: {chosen}")
    return chosen


def _seed_ledger(ledger: Ledger, rng: random.Random, options: Mapping[str, Any]) -> dict[str, Any]:
    invoices = int(options.get("invoices", 0))
    contact_count = int(options.get("contacts", 0)) or (10 if invoices else 0)
    statuses = _weights(options.get("statuses"), DEFAULT_STATUSES)
    bad = set(statuses) - set(SEEDABLE_STATUSES)
    if bad:
        raise ValueError(f"statuses {sorted(bad)} cannot be seeded; use {SEEDABLE_STATUSES}")
    currencies = _weights(options.get("currencies"), {ledger.organisation.base_currency: 1})
    missing = set(currencies) - set(ledger.currencies)
    if missing:
        raise ValueError(f"currencies {sorted(missing)} are not the organisation's")
    start = dt.date.fromisoformat(str(options.get("start_date", "2024-01-01")))
    days = max(int(options.get("days", 365)), 1)
    spacing = float(options.get("spacing", 0))
    if spacing < 0:
        raise ValueError(f"spacing must be 0 or more seconds, not {spacing}")

    def written(record: T) -> T:
        if spacing:
            ledger.clock.advance(spacing)
        return record

    first = len(ledger.contacts) + 1
    contacts = [
        written(
            ledger.save_contact(
                ContactDraft(
                    name=f"Customer {n:04d}",
                    contact_number=f"SEED-{n:04d}",
                    first_name="Customer",
                    last_name=f"{n:04d}",
                    email=f"customer{n:04d}@example.com",
                ),
                create_only=True,
            )
        )
        for n in range(first, first + contact_count)
    ]
    made: dict[str, int] = dict.fromkeys(statuses, 0)
    authorised = []
    for _ in range(invoices):
        status = rng.choices(list(statuses), weights=list(statuses.values()))[0]
        currency = rng.choices(list(currencies), weights=list(currencies.values()))[0]
        date = start + dt.timedelta(days=rng.randrange(days))
        invoice = written(
            ledger.save_invoice(
                InvoiceDraft(
                    type="ACCREC",
                    contact=ContactRef(contact_id=rng.choice(contacts).contact_id),
                    date=date,
                    due_date=date + dt.timedelta(days=30),
                    currency_code=currency,
                    status="DRAFT" if status in ("DRAFT", "DELETED") else _approved(status),
                    line_items=[_line(rng) for _ in range(rng.randint(1, 3))],
                    reference=f"Seed order {rng.randrange(10**6):06d}",
                ),
                create_only=True,
                unit_places=2,
            )
        )
        if status == "PAID":
            written(_pay(ledger, invoice.invoice_id, invoice.amount_due, date))
        elif status in ("VOIDED", "DELETED"):
            written(
                ledger.save_invoice(
                    InvoiceDraft(invoice_id=invoice.invoice_id, status=status),
                    create_only=False,
                    unit_places=2,
                )
            )
        elif status == "AUTHORISED":
            authorised.append(invoice)
        made[status] += 1
    part_payments = 0
    for invoice in rng.sample(authorised, min(int(options.get("payments", 0)), len(authorised))):
        half = (invoice.amount_due / 2).quantize(Decimal("0.01"))
        if half > 0:
            written(_pay(ledger, invoice.invoice_id, half, invoice.date + dt.timedelta(days=7)))
            part_payments += 1
    return {
        "contacts": len(contacts),
        "invoices": made,
        "payments": made.get("PAID", 0) + part_payments,
    }


def _approved(status: str) -> str:
    return "SUBMITTED" if status == "SUBMITTED" else "AUTHORISED"


def _line(rng: random.Random) -> LineDraft:
    item, account, tax_type = rng.choice(LINES)
    return LineDraft(
        description=None if item else "Seeded sale",
        item_code=item,
        account_code=account,
        tax_type=tax_type,
        quantity=Decimal(rng.randint(1, 5)),
        unit_amount=None if item else Decimal(rng.randint(500, 50_000)) / 100,
    )


def _pay(ledger: Ledger, invoice_id: str, amount: Decimal, date: dt.date) -> Payment:
    try:
        return ledger.create_payment(
            PaymentDraft(
                invoice_id=invoice_id,
                account_code=BANK_ACCOUNT,
                amount=amount,
                date=date,
                reference="Seeded payment",
            )
        )
    except ElementInvalid as invalid:  # a seeding bug, not a client's mistake
        raise RuntimeError(f"seeding could not pay {invoice_id}: {invalid}") from invalid
