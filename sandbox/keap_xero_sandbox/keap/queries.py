"""What each list endpoint accepts in `filter` and `order_by`, as the spec lists it.

- `GET /orders`: id (== != < <= > >=), ids, contact_id, product_id, invoice_id, paid,
  created_since_time, created_until_time, modified_since_time, modified_until_time, title (*),
  order_type, shipping_locality, shipping_region_code, shipping_postal_code,
  shipping_country_code, and order custom fields by `field_name`;
  order_by id, order_time, modification_time.
- `GET /orders/{id}/payments`: invoice_id, payment_id, amount, pay_status, skip_commission;
  order_by invoice_id, payment_id, amount, pay_time, pay_status, skip_commission,
  last_updated_time.
- `GET /sales/payments`: id (== < <= > >=), ids, amount (any comparison), order_id, order_ids,
  contact_id, since_time, until_time, merchant_account_id, merchant_account_type;
  order_by id, amount, payment_time, contact_id.
- `GET /contacts`: email, given_name, family_name, middle_name (*), company_id, ids,
  contact_ids, contact_id (== < <= > >=), start_update_time, end_update_time;
  order_by id, create_time, email, update_time.
- `GET /products`: name, sku, description, short_description (*), product_id
  (== < <= > >=), product_ids; order_by name, sku, last_updated_time.

(*) text with a trailing `*` wildcard. Other fields take `==` only. Every list defaults to ID
order; each sort is a view of the account's tables of the same name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from invoice_model.dates import DateParseError, parse_datetime
from invoice_model.money import from_minor_units
from keap_xero_sandbox.keap.account import DATE_FIELD_TYPES, NUMERIC_FIELD_TYPES, KeapAccount
from keap_xero_sandbox.keap.filters import (
    BoolField,
    ChoiceField,
    FilterField,
    IdField,
    IdListField,
    NumberField,
    ReferenceField,
    Sort,
    TextField,
    TimeBoundField,
    TimeField,
)
from keap_xero_sandbox.keap.models import (
    Contact,
    CustomFieldDefinition,
    InvoicePayment,
    Order,
    Payment,
    Product,
)

COMPARISONS = ("==", "<", "<=", ">", ">=")
PAY_STATUSES = (
    "MANUAL_PAID",
    "REFUNDED",
    "VOIDED",
    "PAYPAL_PAID",
    "APPROVED",
    "FAILED",
    "ERROR",
    "PENDING",
)
MERCHANT_ACCOUNT_TYPES = (
    "PAYPAL",
    "UNSUPPORTED",
    "AUTHORIZE",
    "EWAY",
    "WEPAY",
    "STRIPE",
    "KEAP_PAY",
)
BY_ID = Sort("id", descending=False)


@dataclass(frozen=True)
class ListSpec:
    """One list endpoint's filter fields and sort orders (each the name of a table view)."""

    fields: Mapping[str, FilterField]
    sorts: tuple[str, ...]
    default: Sort = BY_ID
    extra: Callable[[str], FilterField | None] | None = None


def orders(account: KeapAccount) -> ListSpec:
    def shipping(attribute: str) -> TextField:
        return TextField(lambda o: getattr(o.shipping, attribute) if o.shipping else None)

    def invoices(ids: set[int]) -> set[int]:
        return {account.order_of_invoice[i] for i in ids if i in account.order_of_invoice}

    fields: dict[str, FilterField] = {
        "id": IdField(_id),
        "ids": IdListField(_id),
        "contact_id": ReferenceField(lambda o: o.contact_id),
        "product_id": ReferenceField(lambda o: o.product_ids),
        "invoice_id": ReferenceField(lambda o: o.invoice_id, index=invoices),
        "paid": BoolField(lambda o: o.status == "PAID"),
        "created_since_time": TimeBoundField(_created, since=True),
        "created_until_time": TimeBoundField(_created, since=False),
        "modified_since_time": TimeBoundField(_modified, since=True, view="modification_time"),
        "modified_until_time": TimeBoundField(_modified, since=False, view="modification_time"),
        "title": TextField(lambda o: o.order_title, wildcard=True),
        "order_type": ChoiceField(lambda o: o.order_type, ("ONLINE", "OFFLINE")),
        "shipping_locality": shipping("locality"),
        "shipping_region_code": shipping("region"),
        "shipping_postal_code": shipping("zip_code"),
        "shipping_country_code": shipping("country_code"),
    }

    def custom(name: str) -> FilterField | None:
        definition = account.order_field_named(name)
        return None if definition is None else custom_field_filter(definition)

    return ListSpec(fields, ("id", "order_time", "modification_time"), extra=custom)


def custom_field_filter(definition: CustomFieldDefinition) -> FilterField:
    """Operators by field type, as Keap documents: text-like fields `==` with a trailing
    wildcard; numbers and dates compared; yes/no and multi-select `==`."""
    field_id = definition.id

    def content(order: Order) -> Any:
        return order.custom_fields.get(field_id)

    if definition.field_type in NUMERIC_FIELD_TYPES:
        return NumberField(lambda o: _decimal(content(o)), operators=COMPARISONS)
    if definition.field_type in DATE_FIELD_TYPES:
        return TimeField(lambda o: _moment(content(o)))
    if definition.field_type == "YES_NO":
        return BoolField(lambda o: content(o) is True)
    return TextField(content, wildcard=definition.field_type != "LIST_BOX")


def sales_payments(account: KeapAccount) -> ListSpec:
    def of_orders(ids: set[int]) -> set[int]:
        return account.payments_for_orders(ids)

    fields: dict[str, FilterField] = {
        "id": IdField(_id, operators=COMPARISONS),
        "ids": IdListField(_id),
        "amount": NumberField(_major),
        "order_id": ReferenceField(lambda p: p.order_id, index=of_orders),
        "order_ids": ReferenceField(lambda p: p.order_id, many=True, index=of_orders),
        "contact_id": ReferenceField(lambda p: p.contact_id),
        "since_time": TimeBoundField(_paid, since=True, view="payment_time"),
        "until_time": TimeBoundField(_paid, since=False, view="payment_time"),
        "merchant_account_id": TextField(lambda p: p.merchant_account_id),
        "merchant_account_type": ChoiceField(
            lambda p: p.merchant_account_type, MERCHANT_ACCOUNT_TYPES
        ),
    }
    return ListSpec(fields, ("id", "amount", "payment_time", "contact_id"))


def order_payments() -> ListSpec:
    fields: dict[str, FilterField] = {
        "invoice_id": ReferenceField(lambda r: r.invoice_id),
        "payment_id": ReferenceField(lambda r: r.payment_id),
        "amount": NumberField(lambda r: from_minor_units(r.amount, r.currency), operators=("==",)),
        "pay_status": ChoiceField(lambda r: r.pay_status, PAY_STATUSES),
        "skip_commission": BoolField(lambda r: r.skip_commission),
    }
    sorts = (
        "invoice_id",
        "payment_id",
        "amount",
        "pay_time",
        "pay_status",
        "skip_commission",
        "last_updated_time",
    )
    return ListSpec(fields, sorts)


ORDER_PAYMENT_VIEWS: dict[str, Callable[[InvoicePayment], Any]] = {
    "id": lambda r: r.id,
    "invoice_id": lambda r: r.invoice_id,
    "payment_id": lambda r: r.payment_id,
    "amount": lambda r: r.amount,
    "pay_time": lambda r: int(r.pay_time.timestamp() * 1000),
    "pay_status": lambda r: r.pay_status,
    "skip_commission": lambda r: int(r.skip_commission),
    "last_updated_time": lambda r: int(r.last_updated_time.timestamp() * 1000),
}


def contacts(account: KeapAccount) -> ListSpec:
    fields: dict[str, FilterField] = {
        "email": TextField(lambda c: [e["email"] for e in c.email_addresses], wildcard=True),
        "given_name": TextField(lambda c: c.given_name, wildcard=True),
        "family_name": TextField(lambda c: c.family_name, wildcard=True),
        "middle_name": TextField(lambda c: c.middle_name, wildcard=True),
        "company_id": ReferenceField(lambda c: c.company_id),
        "ids": IdListField(_id),
        "contact_ids": IdListField(_id),
        "contact_id": IdField(_id, operators=COMPARISONS),
        "start_update_time": TimeBoundField(_updated, since=True, view="update_time"),
        "end_update_time": TimeBoundField(_updated, since=False, view="update_time"),
    }
    return ListSpec(fields, ("id", "create_time", "email", "update_time"))


def products() -> ListSpec:
    fields: dict[str, FilterField] = {
        "name": TextField(lambda p: p.name, wildcard=True),
        "sku": TextField(lambda p: p.sku, wildcard=True),
        "description": TextField(lambda p: p.description, wildcard=True),
        "short_description": TextField(lambda p: p.short_description, wildcard=True),
        "product_id": IdField(_id, operators=COMPARISONS),
        "product_ids": IdListField(_id),
    }
    return ListSpec(fields, ("name", "sku", "last_updated_time"))


def _id(record: Order | Payment | Contact | Product) -> int:
    return record.id


def _created(order: Order) -> dt.datetime:
    return order.creation_time


def _modified(order: Order) -> dt.datetime:
    return order.modification_time


def _paid(payment: Payment) -> dt.datetime:
    return payment.payment_time


def _updated(contact: Contact) -> dt.datetime:
    return contact.update_time


def _major(payment: Payment) -> Decimal:
    return from_minor_units(payment.amount, payment.currency)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return Decimal(repr(value))


def _moment(value: Any) -> dt.datetime | None:
    try:
        return parse_datetime(value) if isinstance(value, str) else None
    except DateParseError:
        return None
