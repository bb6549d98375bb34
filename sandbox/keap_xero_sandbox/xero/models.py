"""One Xero organisation's records, as the ledger keeps them, and the drafts clients send.

Records are plain dataclasses: amounts are `Decimal`, dates `datetime.date`, timestamps aware
UTC `datetime`s. They know nothing of JSON or HTTP; `render.py` turns them into Xero's JSON and
`binding.py` turns Xero's JSON into drafts.

A draft is what one element of a write asked for. A field left `None` was not sent, which on an
update means "keep what is there", as Xero treats omitted elements.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

ZERO_ID = "00000000-0000-0000-0000-000000000000"
LINE_AMOUNT_TYPES: tuple[str, ...] = ("Exclusive", "Inclusive", "NoTax")
EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Organisation:
    organisation_id: str
    name: str
    short_code: str
    base_currency: str = "USD"
    country_code: str = "US"
    timezone: str = "EASTERNSTANDARDTIME"
    version: str = "US"
    organisation_type: str = "COMPANY"
    is_demo_company: bool = True
    financial_year_end_day: int = 31
    financial_year_end_month: int = 12
    period_lock_date: dt.date | None = None
    end_of_year_lock_date: dt.date | None = None
    created: dt.datetime = EPOCH

    @property
    def lock_date(self) -> dt.date | None:
        """The later of the two lock dates: documents dated on or before it are frozen."""
        dates = [d for d in (self.period_lock_date, self.end_of_year_lock_date) if d]
        return max(dates) if dates else None


@dataclass
class Currency:
    code: str
    description: str


@dataclass
class Account:
    account_id: str
    code: str
    name: str
    type: str
    tax_type: str | None = None
    status: str = "ACTIVE"
    description: str = ""
    enable_payments: bool = False
    bank_account_number: str | None = None
    bank_account_type: str | None = None
    currency_code: str | None = None
    system_account: str | None = None
    account_class: str = "REVENUE"
    updated: dt.datetime = EPOCH

    @property
    def takes_payments(self) -> bool:
        return self.type == "BANK" or self.enable_payments


@dataclass
class TaxComponent:
    name: str
    rate: Decimal
    is_compound: bool = False


@dataclass
class TaxRate:
    tax_type: str
    name: str
    components: list[TaxComponent]
    status: str = "ACTIVE"
    report_tax_type: str = "OUTPUT"
    applies_to_revenue: bool = True
    applies_to_expenses: bool = True
    applies_to_assets: bool = True
    applies_to_equity: bool = True
    applies_to_liabilities: bool = True

    @property
    def effective_rate(self) -> Decimal:
        """Simple components add up; a compound one applies on top of them."""
        simple = sum((c.rate for c in self.components if not c.is_compound), Decimal(0))
        total = simple
        for component in self.components:
            if component.is_compound:
                total += component.rate * (100 + simple) / 100
        return total

    @property
    def display_rate(self) -> Decimal:
        return sum((c.rate for c in self.components), Decimal(0))


@dataclass
class ItemDetails:
    """An item's sales or purchase defaults."""

    unit_price: Decimal | None = None
    account_code: str | None = None
    tax_type: str | None = None


@dataclass
class Item:
    item_id: str
    code: str
    name: str
    description: str = ""
    sales: ItemDetails | None = None
    purchases: ItemDetails | None = None
    updated: dt.datetime = EPOCH

    @property
    def is_sold(self) -> bool:
        return self.sales is not None

    @property
    def is_purchased(self) -> bool:
        return self.purchases is not None


@dataclass
class Address:
    address_type: str
    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    line4: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass
class Phone:
    phone_type: str
    number: str | None = None
    area_code: str | None = None
    country_code: str | None = None


@dataclass
class Contact:
    contact_id: str
    name: str
    updated: dt.datetime
    contact_number: str | None = None
    account_number: str | None = None
    status: str = "ACTIVE"
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    addresses: list[Address] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    default_currency: str | None = None
    is_customer: bool = False
    is_supplier: bool = False


@dataclass
class LineItem:
    line_item_id: str
    description: str
    quantity: Decimal | None
    unit_amount: Decimal | None
    line_amount: Decimal
    tax_amount: Decimal
    item_code: str | None = None
    account_code: str | None = None
    account_id: str | None = None
    tax_type: str | None = None
    discount_rate: Decimal | None = None
    discount_amount: Decimal | None = None


@dataclass
class Invoice:
    invoice_id: str
    type: str
    contact_id: str
    status: str
    line_amount_types: str
    currency_code: str
    date: dt.date
    updated: dt.datetime
    line_items: list[LineItem] = field(default_factory=list)
    invoice_number: str | None = None
    reference: str | None = None
    due_date: dt.date | None = None
    currency_rate: Decimal = Decimal(1)
    url: str | None = None
    branding_theme_id: str | None = None
    sent_to_contact: bool = False
    expected_payment_date: dt.date | None = None
    planned_payment_date: dt.date | None = None
    sub_total: Decimal = Decimal(0)
    total_tax: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    total_discount: Decimal = Decimal(0)
    amount_paid: Decimal = Decimal(0)
    amount_credited: Decimal = Decimal(0)
    fully_paid_on: dt.date | None = None
    payment_ids: list[str] = field(default_factory=list)

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.amount_paid - self.amount_credited

    @property
    def is_discounted(self) -> bool:
        return self.total_discount != 0


@dataclass
class Payment:
    payment_id: str
    invoice_id: str
    account_id: str
    date: dt.date
    amount: Decimal
    updated: dt.datetime
    payment_type: str = "ACCRECPAYMENT"
    currency_rate: Decimal = Decimal(1)
    reference: str | None = None
    is_reconciled: bool = False
    status: str = "AUTHORISED"


# Drafts: what one element of a write asks for (None: not sent).


@dataclass
class ContactDraft:
    contact_id: str | None = None
    name: str | None = None
    contact_number: str | None = None
    account_number: str | None = None
    status: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    addresses: list[Address] | None = None
    phones: list[Phone] | None = None
    default_currency: str | None = None


@dataclass
class ContactRef:
    """How an invoice names its contact: by ID, by number, or by name (which may create it)."""

    contact_id: str | None = None
    contact_number: str | None = None
    name: str | None = None
    details: ContactDraft | None = None  # anything else sent updates the contact


@dataclass
class LineDraft:
    line_item_id: str | None = None
    description: str | None = None
    quantity: Decimal | None = None
    unit_amount: Decimal | None = None
    line_amount: Decimal | None = None
    tax_amount: Decimal | None = None
    item_code: str | None = None
    account_code: str | None = None
    account_id: str | None = None
    tax_type: str | None = None
    discount_rate: Decimal | None = None
    discount_amount: Decimal | None = None


@dataclass
class InvoiceDraft:
    invoice_id: str | None = None
    type: str | None = None
    contact: ContactRef | None = None
    line_items: list[LineDraft] | None = None
    date: dt.date | None = None
    due_date: dt.date | None = None
    line_amount_types: str | None = None
    invoice_number: str | None = None
    reference: str | None = None
    currency_code: str | None = None
    currency_rate: Decimal | None = None
    status: str | None = None
    url: str | None = None
    branding_theme_id: str | None = None
    sent_to_contact: bool | None = None
    expected_payment_date: dt.date | None = None
    planned_payment_date: dt.date | None = None


@dataclass
class PaymentDraft:
    invoice_id: str | None = None
    invoice_number: str | None = None
    account_id: str | None = None
    account_code: str | None = None
    date: dt.date | None = None
    amount: Decimal | None = None
    currency_rate: Decimal | None = None
    reference: str | None = None
    is_reconciled: bool | None = None
    status: str | None = None
