"""The records of a Keap account, as Keap's own data model keeps them.

Keap's REST API is a view over its older tables: an order is a `Job` with one `Invoice` (their
IDs come from separate sequences), a payment is a `Payment` linked to invoices through
`InvoicePayment` rows, and a subscription raises invoices of its own. The emulator keeps that
shape, so the API's quirks (two IDs per order, refunds as negative payments) follow from it
rather than being imitated one by one.

Money is kept as integers in the currency's minor units, exactly as `CurrencyValue` carries it;
times are UTC, truncated to milliseconds, the precision the API shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

OrderStatus = Literal["DRAFT", "SENT", "VIEWED", "PAID"]
OrderType = Literal["ONLINE", "OFFLINE"]

# What `CreateOrderItemRequest.item_type` accepts; SERVICE, UPSELL, PROGRAM, TIP and UNKNOWN
# lines only arise inside Keap.
CREATABLE_ITEM_TYPES = (
    "PRODUCT",
    "SHIPPING",
    "TAX",
    "FINANCE_CHARGE",
    "SUBSCRIPTION",
    "DISCOUNT",
    "DISCOUNT_FREE_TRIAL",
    "DISCOUNT_ORDER_TOTAL",
    "DISCOUNT_PRODUCT",
    "DISCOUNT_PRODUCT_CATEGORY",
    "DISCOUNT_SHIPPING",
    "OTHER",
    "FEE",
)
CUSTOM_FIELD_TYPES = (
    "CURRENCY",
    "DATE",
    "DATE_TIME",
    "DAY_OF_WEEK",
    "DECIMAL_NUMBER",
    "DRILLDOWN",
    "DROPDOWN",
    "EMAIL",
    "LIST_BOX",
    "MONTH",
    "NAME",
    "PERCENT",
    "PHONE_NUMBER",
    "RADIO",
    "SOCIAL_SECURITY_NUMBER",
    "STATE",
    "TEXT",
    "TEXT_AREA",
    "USER",
    "USER_LIST_BOX",
    "WEBSITE",
    "WHOLE_NUMBER",
    "YEAR",
    "YES_NO",
)


def is_discount(item_type: str) -> bool:
    return item_type.startswith("DISCOUNT")


def to_millis(moment: dt.datetime) -> dt.datetime:
    """The instant as the API shows it: UTC, milliseconds, so what is filtered is what is seen."""
    if moment.tzinfo is dt.UTC and not moment.microsecond % 1000:
        return moment
    moment = moment.astimezone(dt.UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def epoch_millis(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(slots=True)
class BusinessProfile:
    """`GET /businessProfile`: where a client learns the account's currency and time zone."""

    name: str = "Sandbox Supplies Co."
    email: str = "owner@sandbox-supplies.example"
    phone: str = "+1 555 0100"
    website: str = "https://sandbox-supplies.example"
    time_zone: str = "America/New_York"
    currency_code: str = "USD"
    language_tag: str = "en-US"
    address: dict[str, str] = field(
        default_factory=lambda: {
            "line1": "100 Example Way",
            "locality": "Phoenix",
            "region": "Arizona",
            "country_code": "USA",
            "postal_code": "85001",
        }
    )


@dataclass(slots=True)
class Company:
    id: int
    company_name: str


@dataclass(slots=True)
class Contact:
    """A person in the CRM. Emails, phones and addresses are kept in the API's own shapes
    (`EmailAddress`, `PhoneNumber`, `Address`), since Keap replaces them list by list."""

    id: int
    create_time: dt.datetime
    update_time: dt.datetime
    given_name: str | None = None
    family_name: str | None = None
    middle_name: str | None = None
    job_title: str | None = None
    company_id: int | None = None
    email_addresses: list[dict[str, Any]] = field(default_factory=list)
    phone_numbers: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    contact_type: str | None = None
    source_type: str = "API"
    owner_id: int | None = None
    tag_ids: list[int] = field(default_factory=list)
    version: int = 0

    @property
    def email(self) -> str | None:
        """The primary email (slot EMAIL1, else the first), which duplicate checks compare."""
        chosen = next((e for e in self.email_addresses if e.get("field") == "EMAIL1"), None)
        chosen = chosen or next(iter(self.email_addresses), None)
        return chosen.get("email") if chosen else None


@dataclass(slots=True)
class SubscriptionPlan:
    id: int
    product_id: int
    name: str
    cycle_type: Literal["YEARLY", "MONTHLY", "WEEKLY", "DAILY"]
    frequency: int
    price: int  # minor units of the account currency
    active: bool = True


@dataclass(slots=True)
class Product:
    id: int
    name: str
    price: int  # minor units of the account currency
    create_time: dt.datetime
    update_time: dt.datetime
    sku: str | None = None
    description: str | None = None
    short_description: str | None = None
    active: bool = True
    shippable: bool = False
    taxable: bool = True
    weight: float | None = None
    subscription_only: bool = False
    plans: list[SubscriptionPlan] = field(default_factory=list)


@dataclass(slots=True)
class CustomFieldDefinition:
    """An order custom field, as `GET /orders/model` lists it; filters address it by
    `field_name`."""

    id: int
    label: str
    field_name: str
    field_type: str
    options: list[str] = field(default_factory=list)
    record_type: str = "ORDER"


@dataclass(slots=True)
class OrderItem:
    """An order line. Product details are copied when the line is added, as Keap keeps them."""

    id: int
    item_type: str
    quantity: int
    price_per_unit: int  # minor units; negative on discount lines
    cost_per_unit: int = 0
    discount: int = 0
    name: str | None = None
    description: str | None = None
    notes: str | None = None
    product_id: int | None = None
    product_name: str | None = None
    product_sku: str | None = None
    product_description: str | None = None
    product_shippable: bool = False
    product_taxable: bool = False
    subscription_id: int | None = None
    subscription_plan: SubscriptionPlan | None = None

    @property
    def amount(self) -> int:
        return self.quantity * self.price_per_unit - self.discount


@dataclass(slots=True)
class PaymentPlanItem:
    due_date: dt.date
    amount_due: int
    amount_paid: int = 0

    @property
    def status(self) -> str:
        return "PAID" if self.amount_paid >= self.amount_due else "UNPAID_MANUAL"


@dataclass(slots=True)
class PaymentPlan:
    plan_start_date: dt.date
    number_of_payments: int
    days_between_payments: int
    initial_payment_amount: int = 0
    initial_payment_date: dt.date | None = None
    auto_charge: bool = False
    items: list[PaymentPlanItem] = field(default_factory=list)


@dataclass(slots=True)
class ShippingAddress:
    """`AddressInformation` as written, shown back as `ShippingInformation`."""

    id: int
    line1: str | None = None
    line2: str | None = None
    locality: str | None = None
    region: str | None = None
    zip_code: str | None = None
    zip_four: str | None = None
    country_code: str | None = None
    company: str | None = None
    phone: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    is_invoice_to_company: bool = False


@dataclass(slots=True)
class Order:
    """A one-time order (Keap's `Job`) and the figures of its invoice."""

    id: int
    invoice_id: int
    contact_id: int
    currency: str
    order_title: str
    order_type: OrderType
    source_type: str
    creation_time: dt.datetime
    modification_time: dt.datetime
    order_time: dt.datetime
    items: list[OrderItem] = field(default_factory=list)
    title: str | None = None  # the invoice's title, which the API does not show back
    notes: str | None = None
    terms: str | None = None
    sent_time: dt.datetime | None = None
    due_time: dt.datetime | None = None
    viewed: bool = False
    promo_codes: list[str] = field(default_factory=list)
    lead_affiliate_id: str | None = None
    sales_affiliate_id: str | None = None
    shipping: ShippingAddress | None = None
    payment_plan: PaymentPlan | None = None
    custom_fields: dict[int, Any] = field(default_factory=dict)
    invoice_number: str | None = None
    external_create_user: str | None = None
    external_create_time: dt.datetime | None = None
    external_update_time: dt.datetime | None = None
    total_paid: int = 0
    refund_total: int = 0
    version: int = 0  # bumped on every change, so renderings can be cached

    @property
    def total(self) -> int:
        return sum(item.amount for item in self.items)

    @property
    def total_due(self) -> int:
        return max(0, self.total - self.total_paid)

    @property
    def status(self) -> OrderStatus:
        if self.total_due == 0:
            return "PAID"
        if self.viewed:
            return "VIEWED"
        return "SENT" if self.sent_time else "DRAFT"

    @property
    def refund_status(self) -> str:
        if not self.refund_total:
            return "NONE"
        return "REFUNDED" if self.refund_total >= self.total_paid else "PARTIALLY_REFUNDED"

    @property
    def product_ids(self) -> set[int]:
        return {item.product_id for item in self.items if item.product_id is not None}


@dataclass(slots=True)
class Invoice:
    """An invoice ID: one per order, and one for each subscription's recurring order."""

    id: int
    order_id: int | None
    subscription_id: int | None
    creation_time: dt.datetime


@dataclass(slots=True)
class Subscription:
    """A recurring order; each billed cycle becomes an order of its own."""

    id: int
    contact_id: int
    product_id: int
    plan: SubscriptionPlan
    currency: str
    start_time: dt.datetime
    invoice_id: int
    active: bool = True
    cycles_billed: int = 0


@dataclass(slots=True)
class Payment:
    """Money received (or, negative, given back by a refund) — `GET /sales/payments`."""

    id: int
    contact_id: int
    order_id: int
    currency: str
    amount: int  # minor units; negative for a refund
    type: str  # the manual payment type, "Credit Card", or "Refund"
    status: Literal["PENDING", "APPROVED", "COMPLETED", "NONE"]
    payment_time: dt.datetime
    update_time: dt.datetime
    note: str | None = None
    refund_payment_id: int | None = None
    refunded_amount: int = 0
    voided: bool = False
    merchant_account_id: str | None = None
    merchant_account_type: str | None = None
    external_source: str | None = None
    external_source_value: str | None = None
    external_status_value: str | None = None
    external_create_time: dt.datetime | None = None
    external_update_time: dt.datetime | None = None
    external_create_user: str | None = None
    commissioned: bool = False

    @property
    def counts(self) -> bool:
        """Whether it is money received toward its order (a voided payment or a refund is not)."""
        return self.amount > 0 and not self.voided


@dataclass(slots=True)
class InvoicePayment:
    """How much of a payment went to an invoice — `GET /orders/{id}/payments`."""

    id: int
    invoice_id: int
    order_id: int
    payment_id: int
    currency: str
    amount: int  # minor units; negative for a refund
    pay_time: dt.datetime
    last_updated_time: dt.datetime
    pay_status: str
    note: str | None = None
    skip_commission: bool = False
    refund_invoice_payment_id: int | None = None
