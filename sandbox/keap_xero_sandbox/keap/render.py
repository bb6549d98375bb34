"""Records as the Keap v2 API shows them: field names, `CurrencyValue` money, ISO times, string
IDs. Properties without a value are left out (the spec's types are not nullable), except custom
field values, which Keap lists for every field with `content: null` when unset.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable
from typing import Any

from invoice_model.dates import format_datetime
from invoice_model.money import Money, from_minor_units
from keap_xero_sandbox.keap.account import KeapAccount
from keap_xero_sandbox.keap.models import (
    BusinessProfile,
    Contact,
    CustomFieldDefinition,
    InvoicePayment,
    Order,
    OrderItem,
    Payment,
    PaymentPlan,
    Product,
    ShippingAddress,
    SubscriptionPlan,
)

# What `GET /contacts` returns when the client names no `fields` (the rest must be asked for).
DEFAULT_CONTACT_FIELDS = (
    "id",
    "given_name",
    "family_name",
    "email_addresses",
    "phone_numbers",
)
CONTACT_FIELDS = (
    "id",
    "given_name",
    "family_name",
    "middle_name",
    "job_title",
    "company",
    "email_addresses",
    "phone_numbers",
    "addresses",
    "contact_type",
    "owner_id",
    "source_type",
    "tag_ids",
    "create_time",
    "update_time",
)
# Properties the spec lets a client ask for that the emulator keeps no data for: accepted in
# `fields`, never shown.
UNKEPT_CONTACT_FIELDS = frozenset(
    {
        "anniversary_date",
        "birth_date",
        "custom_fields",
        "fax_numbers",
        "leadsource_id",
        "links",
        "notes",
        "origin",
        "preferred_locale",
        "preferred_name",
        "prefix",
        "referral_code",
        "score_value",
        "social_accounts",
        "spouse_name",
        "suffix",
        "time_zone",
        "utm_parameters",
        "website",
        "account_id",
        "assistant_name",
        "assistant_phone",
        "billing_information",
        "created_by",
        "groups",
        "last_updated_by",
    }
)


def compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def time(moment: dt.datetime | None) -> str | None:
    return None if moment is None else format_datetime(moment)


def money(amount: int, currency: str) -> dict[str, Any]:
    """A `CurrencyValue` (a copy: callers in-process may change what they are given)."""
    return dict(_currency_value(amount, currency))


@functools.lru_cache(maxsize=65_536)
def _currency_value(amount: int, currency: str) -> dict[str, Any]:
    """The same amounts recur on every page of orders: each is worked out once."""
    return Money.from_minor(amount, currency).to_currency_value()


def major(amount: int, currency: str) -> float | int:
    """A plain JSON number in major units, where the spec has a double (payments)."""
    value = from_minor_units(amount, currency)
    return int(value) if value == value.to_integral_value() else float(value)


def text_id(value: int | None) -> str | None:
    return None if value is None else str(value)


def to_json(value: Any) -> str:
    """JSON text as the app serialises it (compact, UTF-8, keys in the vendor's order)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def envelope(items_name: str, items_json: Iterable[str], next_page_token: str) -> str:
    """A list page, `{"<items>": [...], "next_page_token": "..."}`, from items' JSON text."""
    return (
        f'{{"{items_name}":[{",".join(items_json)}],"next_page_token":{to_json(next_page_token)}}}'
    )


class Renderer:
    """Renders one account's records; orders are cached until they or their contact change, so
    reading 50,000 orders page by page renders each once."""

    def __init__(self, account: KeapAccount) -> None:
        self.account = account
        self._orders: dict[int, tuple[tuple[int, int, int], str]] = {}

    def order(self, order: Order) -> dict[str, Any]:
        return self._order(order, self.account.contacts.get(order.contact_id))

    def order_json(self, order: Order) -> str:
        """The order as JSON text, kept until the order or its contact changes: list pages are
        joined from it. Only text is kept, which the garbage collector need not scan."""
        contact = self.account.contacts.get(order.contact_id)
        stamp = (order.version, contact.version if contact else -1, len(self.account.custom_fields))
        cached = self._orders.get(order.id)
        if cached is None or cached[0] != stamp:
            cached = (stamp, to_json(self._order(order, contact)))
            self._orders[order.id] = cached
        return cached[1]

    def _order(self, order: Order, contact: Contact | None) -> dict[str, Any]:
        currency = order.currency
        return compact(
            {
                "id": str(order.id),
                "title": order.order_title,
                "status": order.status,
                "total": money(order.total, currency),
                "contact": basic_contact(contact) if contact else {"id": str(order.contact_id)},
                "notes": order.notes,
                "terms": order.terms,
                "order_type": order.order_type,
                "source_type": order.source_type,
                "creation_time": time(order.creation_time),
                "modification_time": time(order.modification_time),
                "order_time": time(order.order_time),
                "lead_affiliate_id": order.lead_affiliate_id,
                "sales_affiliate_id": order.sales_affiliate_id,
                "total_paid": money(order.total_paid, currency),
                "total_due": money(order.total_due, currency),
                "shipping_information": shipping(order.shipping) if order.shipping else None,
                "refund_total": money(order.refund_total, currency),
                "allow_payment": True,
                "allow_paypal": False,
                "order_items": [order_item(item, currency) for item in order.items],
                "payment_plan": payment_plan(order.payment_plan, currency)
                if order.payment_plan
                else None,
                "invoice_number": order.invoice_number,
                "files": [],
                "promo_code": ",".join(order.promo_codes) or None,
                "refund_status": order.refund_status,
                "synced": False,
                "invoice_id": str(order.invoice_id),
                "custom_fields": self.custom_values(order),
                "sent_time": time(order.sent_time),
                "due_time": time(order.due_time),
                "external_create_user": order.external_create_user,
                "external_create_time": time(order.external_create_time),
                "external_update_time": time(order.external_update_time),
            }
        )

    def custom_values(self, order: Order) -> list[dict[str, Any]]:
        return [
            {"id": str(field_id), "content": order.custom_fields.get(field_id)}
            for field_id in self.account.custom_fields
        ]

    def contact(self, contact: Contact, fields: Iterable[str] = DEFAULT_CONTACT_FIELDS) -> dict:
        wanted = set(fields) | {"id"}
        values = {
            "id": str(contact.id),
            "given_name": contact.given_name,
            "family_name": contact.family_name,
            "middle_name": contact.middle_name,
            "job_title": contact.job_title,
            "company": self._company(contact),
            "email_addresses": [dict(e) for e in contact.email_addresses],
            "phone_numbers": [dict(p) for p in contact.phone_numbers],
            "addresses": [dict(a) for a in contact.addresses],
            "contact_type": contact.contact_type,
            "owner_id": text_id(contact.owner_id),
            "source_type": contact.source_type,
            "tag_ids": [str(t) for t in contact.tag_ids],
            "create_time": time(contact.create_time),
            "update_time": time(contact.update_time),
        }
        return compact({k: v for k, v in values.items() if k in wanted})

    def _company(self, contact: Contact) -> dict[str, str] | None:
        name = self.account.company_name(contact)
        if name is None:
            return None
        return {"id": str(contact.company_id), "company_name": name}


def basic_contact(contact: Contact) -> dict[str, Any]:
    return compact(
        {
            "id": str(contact.id),
            "email": contact.email,
            "given_name": contact.given_name,
            "family_name": contact.family_name,
        }
    )


def order_item(item: OrderItem, currency: str) -> dict[str, Any]:
    product = None
    if item.product_id is not None:
        product = compact(
            {
                "id": str(item.product_id),
                "name": item.product_name,
                "sku": item.product_sku,
                "description": item.product_description,
                "shippable": item.product_shippable,
                "taxable": item.product_taxable,
            }
        )
    return compact(
        {
            "id": str(item.id),
            "name": item.name,
            "description": item.description,
            "notes": item.notes,
            "quantity": item.quantity,
            "discount": money(item.discount, currency),
            "product": product,
            "subscription_id": text_id(item.subscription_id),
            "item_type": item.item_type,
            "cost_per_unit": money(item.cost_per_unit, currency),
            "price_per_unit": money(item.price_per_unit, currency),
            "subscription_plan": subscription_plan(item.subscription_plan, currency)
            if item.subscription_plan
            else None,
        }
    )


def subscription_plan(plan: SubscriptionPlan, currency: str) -> dict[str, Any]:
    return {
        "id": str(plan.id),
        "frequency": plan.frequency,
        "active": plan.active,
        "subscription_plan_name": plan.name,
        "cycle_type": plan.cycle_type,
        "total_cycles": 0,
        "plan_price": money(plan.price, currency),
    }


def shipping(address: ShippingAddress) -> dict[str, Any]:
    return compact(
        {
            "id": str(address.id),
            "address": compact(
                {
                    "line1": address.line1,
                    "line2": address.line2,
                    "locality": address.locality,
                    "region": address.region,
                    "zip_code": address.zip_code,
                    "zip_four": address.zip_four,
                    "country_code": address.country_code,
                    "field": "SHIPPING",
                }
            ),
            "company": address.company,
            "given_name": address.first_name,
            "family_name": address.last_name,
            "phone_number": address.phone,
            "invoice_to_company": address.is_invoice_to_company,
        }
    )


def payment_plan(plan: PaymentPlan, currency: str) -> dict[str, Any]:
    return compact(
        {
            "auto_charge": plan.auto_charge,
            "initial_payment_amount": money(plan.initial_payment_amount, currency),
            "initial_payment_date": plan.initial_payment_date.isoformat()
            if plan.initial_payment_date
            else None,
            "plan_start_date": plan.plan_start_date.isoformat(),
            "number_of_payments": plan.number_of_payments,
            "days_between_payments": plan.days_between_payments,
            "payment_plan_items": [
                {
                    "status": item.status,
                    "due_date": item.due_date.isoformat(),
                    "amount_due": money(item.amount_due, currency),
                    "amount_paid": money(item.amount_paid, currency),
                }
                for item in plan.items
            ],
        }
    )


def payment(payment: Payment) -> dict[str, Any]:
    """A `Payment` of `GET /sales/payments`: amounts are plain numbers in major units there."""
    return compact(
        {
            "id": str(payment.id),
            "type": payment.type,
            "amount": major(payment.amount, payment.currency),
            "note": payment.note,
            "status": payment.status,
            "commissioned": payment.commissioned,
            "synced": False,
            "payment_time": time(payment.payment_time),
            "refund_payment_id": text_id(payment.refund_payment_id),
            "contact_id": str(payment.contact_id),
            "order_ids": [str(payment.order_id)],
            "update_time": time(payment.update_time),
            "merchant_account_id": payment.merchant_account_id,
            "merchant_account_type": payment.merchant_account_type,
        }
    )


def invoice_payment(row: InvoicePayment) -> dict[str, Any]:
    """An `InvoiceOrderPayment` of `GET /orders/{id}/payments`."""
    return compact(
        {
            "id": str(row.id),
            "amount": major(row.amount, row.currency),
            "note": row.note,
            "invoice_id": str(row.invoice_id),
            "payment_id": str(row.payment_id),
            "pay_time": time(row.pay_time),
            "pay_status": row.pay_status,
            "last_updated_time": time(row.last_updated_time),
            "skip_commission": row.skip_commission,
            "refund_invoice_payment_id": text_id(row.refund_invoice_payment_id),
        }
    )


def payment_result(payment: Payment, invoice_id: int) -> dict[str, Any]:
    """The answer to `POST /orders/{id}/payments`."""
    return {
        "id": str(payment.id),
        "invoice_id": str(invoice_id),
        "payment_amount": major(payment.amount, payment.currency),
        "payment_status_message": "Payment recorded",
    }


def product(product: Product, currency: str) -> dict[str, Any]:
    return compact(
        {
            "id": str(product.id),
            "name": product.name,
            "price": money(product.price, currency),
            "active": product.active,
            "description": product.description,
            "sku": product.sku,
            "shippable": product.shippable,
            "weight": product.weight,
            "taxable": product.taxable,
            "categories": [],
            "options": [],
            "short_description": product.short_description,
            "subscription_only": product.subscription_only,
            "storefront_hidden": False,
            "subscription_plans": [
                {
                    "id": str(plan.id),
                    "active": plan.active,
                    "prorate": False,
                    "billing_cycle": plan.cycle_type,
                    "billing_frequency": plan.frequency,
                    "number_of_cycles": 0,
                    "plan_price": money(plan.price, currency),
                    "order_index": index,
                }
                for index, plan in enumerate(product.plans)
            ],
            "create_time": time(product.create_time),
            "update_time": time(product.update_time),
        }
    )


def custom_field(definition: CustomFieldDefinition) -> dict[str, Any]:
    return {
        "id": str(definition.id),
        "label": definition.label,
        "options": [
            {"id": f"{definition.id}-{index}", "label": label}
            for index, label in enumerate(definition.options)
        ],
        "record_type": definition.record_type,
        "field_type": definition.field_type,
        "field_name": definition.field_name,
    }


def application_configuration(account: KeapAccount, modules: Iterable[str]) -> dict[str, Any]:
    """A `GetSettingsResponse`: the application's own settings, and the modules asked for.

    Only the e-commerce module carries data the emulator keeps (`currency`, and the manual
    payment types as one comma-separated `payment_types` string, which the spec types as a
    string without saying more); the others are present and empty.
    """
    profile = account.profile
    address = profile.address
    body: dict[str, Any] = {
        "application": {
            "company": compact(
                {
                    "name": profile.name,
                    "email": profile.email,
                    "phone": profile.phone,
                    "website": profile.website,
                    "street_address_1": address.get("line1"),
                    "city": address.get("locality"),
                    "state": address.get("region"),
                    "zip": address.get("postal_code"),
                    "country": address.get("country_code"),
                }
            ),
            "time_zone": profile.time_zone,
            "default_view_locale": profile.language_tag,
            "features_enabled": {"marketing": True},
        }
    }
    for module in modules:
        body[module.lower()] = {}
    if "ECOMMERCE" in modules:
        body["ecommerce"] = {
            "currency": profile.currency_code,
            "default_country": address.get("country_code"),
            "payment_types": ",".join(account.manual_payment_types),
            "track_cost_per_unit": False,
            "track_inventory": False,
        }
    return body


def business_profile(profile: BusinessProfile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "email": profile.email,
        "website": profile.website,
        "phone": profile.phone,
        "address": dict(profile.address),
        "time_zone": profile.time_zone,
        "currency_code": profile.currency_code,
        "language_tag": profile.language_tag,
    }
