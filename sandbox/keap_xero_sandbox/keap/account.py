"""One Keap account: its records and the rules that change them. No HTTP here.

The rules, as Keap documents or shows them:
- orders and invoices take IDs from separate sequences; every order has one invoice, and every
  subscription takes an invoice ID of its own for its recurring order, so the two IDs drift apart;
- an order's total is the sum of its lines (quantity x price - discount, discount lines
  negative); `total_due` is what payments have not covered; it is PAID when nothing is due,
  else VIEWED, SENT (it has a `sent_time`) or DRAFT;
- a payment is recorded against one order, with a configured manual payment type, for no more
  than the balance due; it raises `total_paid`, may make the order PAID, and bumps the order's
  `modification_time`. So does every other change to an order, refunds and voids included;
- a refund gives money back on a payment: a negative `Refund` payment, `refund_total` and the
  refund status go up, `total_paid` and the status stay (the invoice was paid). A void cancels a
  payment recorded by mistake: it no longer counts, so `total_paid` goes down;
- an order with payments (voided or refunded ones included) cannot be deleted.

Every action happens at a moment: the sandbox clock's now for API calls, an earlier one when
seeding builds an account's history.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import re
import threading
from collections import defaultdict
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from invoice_model.money import MoneyError, from_minor_units, to_minor_units
from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.keap.errors import BadRequestError, NotFoundError
from keap_xero_sandbox.keap.inputs import date_time
from keap_xero_sandbox.keap.models import (
    BusinessProfile,
    Company,
    Contact,
    CustomFieldDefinition,
    Invoice,
    InvoicePayment,
    Order,
    OrderItem,
    Payment,
    PaymentPlan,
    PaymentPlanItem,
    Product,
    ShippingAddress,
    Subscription,
    SubscriptionPlan,
    epoch_millis,
    is_discount,
    to_millis,
)
from keap_xero_sandbox.keap.tables import Table

TENANT = "sandbox.infusionsoft.com"
MANUAL_PAYMENT_TYPES = ("Credit Card (Manual)", "Check", "Cash", "Money Order", "Adjustment")
# The order custom field in which an integration records the Xero invoice an order came from.
XERO_INVOICE_FIELD_LABEL = "Xero Invoice ID"
# Where the ID sequences of a new account start: its invoices were numbered before its orders.
FIRST_INVOICE_ID = 101

NUMERIC_FIELD_TYPES = frozenset({"WHOLE_NUMBER", "DECIMAL_NUMBER", "CURRENCY", "PERCENT", "YEAR"})
DATE_FIELD_TYPES = frozenset({"DATE", "DATE_TIME"})


class KeapAccount:
    """The state of one Keap app (tenant) and its business rules; thread-safe via `lock`."""

    def __init__(self, clock: Clock, tenant: str = TENANT) -> None:
        self.clock = clock
        self.tenant = tenant
        self.lock = threading.RLock()
        self.profile = BusinessProfile()
        self.manual_payment_types: list[str] = list(MANUAL_PAYMENT_TYPES)
        self._ids: dict[str, Iterator[int]] = defaultdict(lambda: itertools.count(1))
        self._ids["invoice"] = itertools.count(FIRST_INVOICE_ID)
        self.contacts: Table[Contact] = Table(
            {
                "id": lambda c: c.id,
                "create_time": lambda c: epoch_millis(c.create_time),
                "update_time": lambda c: epoch_millis(c.update_time),
                "email": lambda c: (c.email or "").lower(),
            }
        )
        self.products: Table[Product] = Table(
            {
                "id": lambda p: p.id,
                "name": lambda p: p.name.lower(),
                "sku": lambda p: (p.sku or "").lower(),
                "last_updated_time": lambda p: epoch_millis(p.update_time),
            }
        )
        self.orders: Table[Order] = Table(
            {
                "id": lambda o: o.id,
                "order_time": lambda o: epoch_millis(o.order_time),
                "modification_time": lambda o: epoch_millis(o.modification_time),
            }
        )
        self.payments: Table[Payment] = Table(
            {
                "id": lambda p: p.id,
                "amount": lambda p: float(from_minor_units(p.amount, p.currency)),
                "payment_time": lambda p: epoch_millis(p.payment_time),
                "contact_id": lambda p: p.contact_id,
            }
        )
        self.companies: dict[int, Company] = {}
        self.invoices: dict[int, Invoice] = {}
        self.invoice_payments: dict[int, InvoicePayment] = {}
        self.subscriptions: dict[int, Subscription] = {}
        self.custom_fields: dict[int, CustomFieldDefinition] = {}
        self.order_of_invoice: dict[int, int] = {}
        self.payments_of_order: dict[int, list[int]] = defaultdict(list)
        self.invoice_payments_of_order: dict[int, list[int]] = defaultdict(list)
        self.xero_invoice_field: CustomFieldDefinition | None = self.define_order_field(
            XERO_INVOICE_FIELD_LABEL, "TEXT"
        )

    # --- time and identity -----------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return to_millis(self.clock.now())

    def _moment(self, at: dt.datetime | None) -> dt.datetime:
        return self.now() if at is None else to_millis(at)

    def next_id(self, sequence: str) -> int:
        return next(self._ids[sequence])

    @contextlib.contextmanager
    def bulk(self) -> Iterator[None]:
        """Many inserts at once (seeding): sorted views are rebuilt once afterwards."""
        with self.lock, contextlib.ExitStack() as stack:
            for table in (self.contacts, self.products, self.orders, self.payments):
                stack.enter_context(table.deferred())
            yield

    # --- contacts --------------------------------------------------------------------------------

    def contact(self, contact_id: int) -> Contact:
        found = self.contacts.get(contact_id)
        if found is None:
            raise NotFoundError(f"Contact with ID {contact_id} not found")
        return found

    def create_contact(self, values: Mapping[str, Any], at: dt.datetime | None = None) -> Contact:
        if not any(values.get(k) for k in ("email_addresses", "phone_numbers", "addresses")):
            raise BadRequestError(
                "A contact must have at least one of email_addresses, phone_numbers or addresses"
            )
        moment = self._moment(at)
        contact = Contact(id=self.next_id("contact"), create_time=moment, update_time=moment)
        self._apply_contact(contact, values)
        self.contacts.put(contact.id, contact)
        return contact

    def upsert_contact(
        self, values: Mapping[str, Any], duplicate_option: str, at: dt.datetime | None = None
    ) -> tuple[Contact, bool]:
        """Update the oldest contact matching on the `duplicate_option`, else create one;
        returns the contact and whether it was created."""
        match = self._duplicate_of(values, duplicate_option)
        if match is None:
            return self.create_contact(values, at), True
        return self.update_contact(match.id, values, at), False

    def update_contact(
        self, contact_id: int, values: Mapping[str, Any], at: dt.datetime | None = None
    ) -> Contact:
        contact = self.contact(contact_id)
        self._apply_contact(contact, values)
        contact.update_time = self._moment(at)
        contact.version += 1
        self.contacts.put(contact.id, contact)
        return contact

    def _apply_contact(self, contact: Contact, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            if name == "company":
                contact.company_id = None if value is None else self._company_for(value).id
            elif name in ("email_addresses", "phone_numbers", "addresses"):
                setattr(contact, name, list(value or []))
            else:
                setattr(contact, name, value)

    def _duplicate_of(self, values: Mapping[str, Any], option: str) -> Contact | None:
        emails = [e["email"].lower() for e in values.get("email_addresses") or []]
        primary = next(
            (
                e["email"].lower()
                for e in values.get("email_addresses") or []
                if e["field"] == "EMAIL1"
            ),
            emails[0] if emails else None,
        )
        if primary is None:
            return None
        company = values.get("company") or {}
        company_name = company.get("company_name") or (
            self.companies[company["id"]].company_name
            if company.get("id") in self.companies
            else None
        )
        for contact in sorted(self.contacts, key=lambda c: c.id):
            if (contact.email or "").lower() != primary:
                continue
            if option != "Email" and (
                _folded(contact.given_name) != _folded(values.get("given_name"))
                or _folded(contact.family_name) != _folded(values.get("family_name"))
            ):
                continue
            if option == "EmailAndNameAndCompany" and _folded(
                self.company_name(contact)
            ) != _folded(company_name):
                continue
            return contact
        return None

    def _company_for(self, value: Mapping[str, Any]) -> Company:
        if "id" in value:
            found = self.companies.get(value["id"])
            if found is None:
                raise BadRequestError(f"Company with ID {value['id']} not found")
            return found
        name = value["company_name"]
        existing = next((c for c in self.companies.values() if c.company_name == name), None)
        if existing is not None:
            return existing
        company = Company(self.next_id("company"), name)
        self.companies[company.id] = company
        return company

    def company_name(self, contact: Contact) -> str | None:
        company = self.companies.get(contact.company_id) if contact.company_id else None
        return company.company_name if company else None

    # --- products --------------------------------------------------------------------------------

    def product(self, product_id: int) -> Product:
        found = self.products.get(product_id)
        if found is None:
            raise NotFoundError(f"Product with ID {product_id} not found")
        return found

    def create_product(self, values: Mapping[str, Any], at: dt.datetime | None = None) -> Product:
        moment = self._moment(at)
        weight = values.get("weight")
        product = Product(
            id=self.next_id("product"),
            name=values["name"],
            price=values["price"],
            create_time=moment,
            update_time=moment,
            sku=values.get("sku"),
            description=values.get("description"),
            short_description=values.get("short_description"),
            active=values.get("active", True),
            shippable=values.get("shippable", False),
            taxable=values.get("taxable", True),
            weight=None if weight is None else float(weight),
            subscription_only=values.get("subscription_only", False),
        )
        self.products.put(product.id, product)
        return product

    def add_subscription_plan(
        self, product_id: int, name: str, cycle_type: str, frequency: int, price: int
    ) -> SubscriptionPlan:
        product = self.product(product_id)
        plan = SubscriptionPlan(
            self.next_id("plan"),
            product_id,
            name,
            cycle_type,
            frequency,
            price,  # type: ignore[arg-type]
        )
        product.plans.append(plan)
        return plan

    def subscription_plan(self, plan_id: int) -> SubscriptionPlan:
        for product in self.products:
            for plan in product.plans:
                if plan.id == plan_id:
                    return plan
        raise BadRequestError(f"Subscription plan with ID {plan_id} not found")

    # --- order custom fields ---------------------------------------------------------------------

    def define_order_field(
        self, label: str, field_type: str, options: list[str] | None = None
    ) -> CustomFieldDefinition:
        """A new order custom field; its `field_name` is the label's words run together, each
        capitalised ("Xero Invoice ID" -> XeroInvoiceID), numbered when that name is taken."""
        if any(f.label.lower() == label.lower() for f in self.custom_fields.values()):
            raise BadRequestError(f"An order custom field labelled '{label}' already exists")
        base = "".join(w[:1].upper() + w[1:] for w in re.split(r"[^0-9A-Za-z]+", label)) or "Field"
        taken = {f.field_name.lower() for f in self.custom_fields.values()}
        name = base
        for suffix in itertools.count(1):
            if name.lower() not in taken:
                break
            name = f"{base}{suffix}"
        definition = CustomFieldDefinition(
            self.next_id("custom_field"), label, name, field_type, list(options or [])
        )
        self.custom_fields[definition.id] = definition
        return definition

    def remove_order_field(self, field_id: int) -> None:
        """Delete an order custom field and every order's value of it (done in Keap's app)."""
        if self.custom_fields.pop(field_id, None) is None:
            raise NotFoundError(f"Order custom field with ID {field_id} not found")
        for order in self.orders:
            if order.custom_fields.pop(field_id, None) is not None:
                order.version += 1
        if self.xero_invoice_field is not None and self.xero_invoice_field.id == field_id:
            self.xero_invoice_field = None

    def order_field_named(self, name: str) -> CustomFieldDefinition | None:
        """By `field_name`, case-insensitive, with or without the leading `_` of Keap's
        database names."""
        wanted = name.lstrip("_").lower()
        return next(
            (f for f in self.custom_fields.values() if f.field_name.lower() == wanted), None
        )

    def _custom_values(self, values: Mapping[int, Any]) -> dict[int, Any]:
        checked = {}
        for field_id, content in values.items():
            definition = self.custom_fields.get(field_id)
            if definition is None:
                raise BadRequestError(f"Order custom field with ID {field_id} not found")
            checked[field_id] = _custom_content(definition, content)
        return checked

    # --- orders ----------------------------------------------------------------------------------

    def order(self, order_id: int) -> Order:
        found = self.orders.get(order_id)
        if found is None:
            raise NotFoundError(f"Order with ID {order_id} not found")
        return found

    def create_order(
        self,
        values: Mapping[str, Any],
        at: dt.datetime | None = None,
        *,
        source_type: str = "API",
        currency: str | None = None,
    ) -> Order:
        """A one-time order with its invoice. Orders take the account's currency (`currency`
        is for seeding accounts whose merchant settings allow others)."""
        moment = self._moment(at)
        currency = (currency or self.profile.currency_code).upper()
        changes = self._checked(values, currency, [])
        order = Order(
            id=self.next_id("order"),
            invoice_id=0,
            contact_id=changes["contact_id"],
            currency=currency,
            order_title=changes["order_title"],
            order_type=changes["order_type"],
            source_type=source_type,
            creation_time=moment,
            modification_time=moment,
            order_time=to_millis(changes["order_time"]),
        )
        self._apply_order(order, changes)
        order.invoice_id = self._new_invoice(order.id, None, moment).id
        self.orders.put(order.id, order)
        return order

    def update_order(
        self, order_id: int, values: Mapping[str, Any], at: dt.datetime | None = None
    ) -> Order:
        order = self.order(order_id)
        if "order_items" in values and self.payments_of_order.get(order.id):
            raise BadRequestError(
                f"The items of order {order.id} cannot be replaced: it has payments"
            )
        self._apply_order(order, self._checked(values, order.currency, order.items))
        self._allocate_plan(order)
        self._touch(order, self._moment(at))
        return order

    def delete_order(self, order_id: int) -> None:
        order = self.order(order_id)
        if self.payments_of_order.get(order.id):
            raise BadRequestError(f"Order {order.id} has payments recorded and cannot be deleted")
        self.orders.remove(order.id)
        self.invoices.pop(order.invoice_id, None)
        self.order_of_invoice.pop(order.invoice_id, None)

    def mark_sent(self, order_id: int, at: dt.datetime | None = None) -> Order:
        order = self.order(order_id)
        moment = self._moment(at)
        order.sent_time = order.sent_time or moment
        self._touch(order, moment)
        return order

    def mark_viewed(self, order_id: int, at: dt.datetime | None = None) -> Order:
        """The customer opened the invoice (Keap learns it from its invoice page)."""
        order = self.order(order_id)
        moment = self._moment(at)
        order.sent_time = order.sent_time or moment
        order.viewed = True
        self._touch(order, moment)
        return order

    def _order_contact(self, contact_id: int) -> Contact:
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise BadRequestError(f"Contact with ID {contact_id} not found")
        return contact

    def _order_item(self, currency: str, values: Mapping[str, Any]) -> OrderItem:
        item_type = values["item_type"]
        product = None
        if values.get("product_id") is not None:
            product = self.products.get(values["product_id"])
            if product is None:
                raise BadRequestError(f"Product with ID {values['product_id']} not found")
        plan = None
        if values.get("subscription_plan_id") is not None:
            plan = self.subscription_plan(values["subscription_plan_id"])
        price = values.get("price_per_unit")
        if price is None:
            price_minor = self._product_price(product, plan, currency)
        else:
            price_minor = self._minor(price, currency, "price_per_unit")
        if is_discount(item_type):
            price_minor = -abs(price_minor)
        elif price_minor < 0:
            raise BadRequestError(f"price_per_unit of a {item_type} item must not be negative")
        cost = values.get("cost_per_unit")
        return OrderItem(
            id=self.next_id("order_item"),
            item_type=item_type,
            quantity=values["quantity"],
            price_per_unit=price_minor,
            cost_per_unit=0 if cost is None else self._minor(cost, currency, "cost_per_unit"),
            name=values.get("name") or (product.name if product else None),
            description=values.get("description"),
            notes=values.get("notes"),
            product_id=product.id if product else None,
            product_name=product.name if product else None,
            product_sku=product.sku if product else None,
            product_description=product.description if product else None,
            product_shippable=product.shippable if product else False,
            product_taxable=product.taxable if product else False,
            subscription_id=values.get("subscription_id"),
            subscription_plan=plan,
        )

    def _product_price(
        self, product: Product | None, plan: SubscriptionPlan | None, currency: str
    ) -> int:
        """A product's (or plan's) price: kept in the account currency, so another currency
        must be priced by the caller."""
        if product is None:
            return 0
        if currency != self.profile.currency_code:
            raise BadRequestError(
                f"price_per_unit is required for a {currency} order: product prices are in "
                f"{self.profile.currency_code}"
            )
        return plan.price if plan else product.price

    def _minor(self, amount: Decimal, currency: str, name: str) -> int:
        try:
            return _minor_units(amount, currency)
        except MoneyError as error:
            raise BadRequestError(f"'{name}': {error}") from error

    def _checked(
        self, values: Mapping[str, Any], currency: str, items: list[OrderItem]
    ) -> dict[str, Any]:
        """The changes to an order, each checked against the account before any is made (an
        order changes entirely or not at all); references resolved, lines built."""
        changes = dict(values)
        if "contact_id" in changes:
            changes["contact_id"] = self._order_contact(changes["contact_id"]).id
        if "order_items" in changes:
            items = [self._order_item(currency, item) for item in changes["order_items"] or []]
            changes["order_items"] = items
        if changes.get("custom_fields") is not None:
            changes["custom_fields"] = self._custom_values(changes["custom_fields"])
        if changes.get("payment_plan") is not None:
            total = sum(item.amount for item in items)
            changes["payment_plan"] = self._payment_plan(currency, total, changes["payment_plan"])
        if changes.get("shipping_address") is not None:
            address = changes["shipping_address"]
            changes["shipping_address"] = ShippingAddress(self.next_id("shipping"), **address)
        return changes

    def _apply_order(self, order: Order, changes: Mapping[str, Any]) -> None:
        """Changes made by `_checked`, which cannot fail."""
        for name, value in changes.items():
            if name == "order_items":
                order.items = value
            elif name == "shipping_address":
                order.shipping = value
            elif name == "custom_fields":
                for field_id, content in (value or {}).items():
                    if content is None:
                        order.custom_fields.pop(field_id, None)
                    else:
                        order.custom_fields[field_id] = content
            elif name in ("lead_affiliate_id", "sales_affiliate_id"):
                setattr(order, name, None if value is None else str(value))
            elif name == "promo_codes":
                order.promo_codes = list(value or [])
            elif name.endswith("_time") and value is not None:
                setattr(order, name, to_millis(value))
            else:
                setattr(order, name, value)

    def _payment_plan(self, currency: str, total: int, values: Mapping[str, Any]) -> PaymentPlan:
        initial = values.get("initial_payment_amount")
        plan = PaymentPlan(
            plan_start_date=values["plan_start_date"],
            number_of_payments=values["number_of_payments"],
            days_between_payments=values["days_between_payments"],
            initial_payment_amount=0
            if initial is None
            else self._minor(initial, currency, "initial_payment_amount"),
            initial_payment_date=values.get("initial_payment_date"),
            auto_charge=bool(values.get("auto_charge", False)),
        )
        if plan.initial_payment_amount > total:
            raise BadRequestError("initial_payment_amount must not exceed the order total")
        plan.items = schedule(total, plan)
        return plan

    def _allocate_plan(self, order: Order) -> None:
        """Payments pay the plan's instalments in due-date order."""
        plan = order.payment_plan
        if plan is None:
            return
        if sum(item.amount_due for item in plan.items) != order.total:
            plan.items = schedule(order.total, plan)
        paid = order.total_paid
        for item in plan.items:
            item.amount_paid = min(item.amount_due, paid)
            paid -= item.amount_paid

    def _touch(self, order: Order, moment: dt.datetime) -> None:
        order.modification_time = max(order.modification_time, moment)
        order.version += 1
        self.orders.put(order.id, order)

    def _new_invoice(
        self, order_id: int | None, subscription_id: int | None, moment: dt.datetime
    ) -> Invoice:
        invoice = Invoice(self.next_id("invoice"), order_id, subscription_id, moment)
        self.invoices[invoice.id] = invoice
        if order_id is not None:
            self.order_of_invoice[invoice.id] = order_id
        return invoice

    # --- payments --------------------------------------------------------------------------------

    def payment(self, payment_id: int) -> Payment:
        found = self.payments.get(payment_id)
        if found is None:
            raise NotFoundError(f"Payment with ID {payment_id} not found")
        return found

    def record_payment(
        self, order_id: int, values: Mapping[str, Any], at: dt.datetime | None = None
    ) -> Payment:
        """A manual payment (`POST /orders/{id}/payments`); charging a stored payment method
        is not emulated."""
        order = self.order(order_id)
        if values.get("payment_method_id"):
            raise BadRequestError(
                f"Payment method with ID {values['payment_method_id']} not found for this contact"
            )
        method = values.get("payment_method_type")
        if method not in self.manual_payment_types:
            raise BadRequestError(
                f"Invalid payment_method_type '{method}': it must be one of the manual payment "
                f"types configured for this app ({', '.join(self.manual_payment_types)})"
            )
        amount = self._minor(values["payment_amount"], order.currency, "payment_amount")
        if amount < 0:
            raise BadRequestError("payment_amount must not be negative")
        if amount > order.total_due:
            raise BadRequestError(
                f"payment_amount {from_minor_units(amount, order.currency)} exceeds the balance "
                f"due of order {order.id} ({from_minor_units(order.total_due, order.currency)})"
            )
        return self._receive(
            order,
            amount,
            method,
            self._moment(at),
            pay_time=values.get("payment_time"),
            note=values.get("notes"),
            skip_commission=not values.get("apply_to_commissions", False),
            external={k: v for k, v in values.items() if k.startswith("external_")},
        )

    def charge(
        self, order: Order, amount: int, at: dt.datetime, merchant_account_type: str = "KEAP_PAY"
    ) -> Payment:
        """A card payment taken by Keap itself (checkout, subscription billing)."""
        return self._receive(
            order,
            amount,
            "Credit Card",
            at,
            merchant=("1", merchant_account_type),
            pay_status="APPROVED",
        )

    def _receive(
        self,
        order: Order,
        amount: int,
        method: str,
        moment: dt.datetime,
        *,
        pay_time: dt.datetime | None = None,
        note: str | None = None,
        skip_commission: bool = True,
        external: Mapping[str, Any] | None = None,
        merchant: tuple[str, str] | None = None,
        pay_status: str = "MANUAL_PAID",
    ) -> Payment:
        paid_at = to_millis(pay_time) if pay_time else moment
        payment = Payment(
            id=self.next_id("payment"),
            contact_id=order.contact_id,
            order_id=order.id,
            currency=order.currency,
            amount=amount,
            type=method,
            status="COMPLETED",
            payment_time=paid_at,
            update_time=moment,
            note=note,
            merchant_account_id=merchant[0] if merchant else None,
            merchant_account_type=merchant[1] if merchant else None,
            commissioned=not skip_commission,
            **{
                k: to_millis(v) if isinstance(v, dt.datetime) else v
                for k, v in (external or {}).items()
            },
        )
        self.payments.put(payment.id, payment)
        self.payments_of_order[order.id].append(payment.id)
        self._invoice_payment(
            order,
            payment,
            amount=amount,
            pay_time=paid_at,
            moment=moment,
            pay_status=pay_status,
            skip_commission=skip_commission,
        )
        order.total_paid += amount
        self._allocate_plan(order)
        self._touch(order, moment)
        return payment

    def _invoice_payment(
        self,
        order: Order,
        payment: Payment,
        *,
        amount: int,
        pay_time: dt.datetime,
        moment: dt.datetime,
        pay_status: str,
        skip_commission: bool = True,
    ) -> InvoicePayment:
        row = InvoicePayment(
            id=self.next_id("invoice_payment"),
            invoice_id=order.invoice_id,
            order_id=order.id,
            payment_id=payment.id,
            currency=order.currency,
            amount=amount,
            pay_time=pay_time,
            last_updated_time=moment,
            pay_status=pay_status,
            note=payment.note,
            skip_commission=skip_commission,
        )
        self.invoice_payments[row.id] = row
        self.invoice_payments_of_order[order.id].append(row.id)
        return row

    def refund_payment(
        self,
        payment_id: int,
        amount: int | None = None,
        note: str | None = None,
        at: dt.datetime | None = None,
    ) -> Payment:
        """Give back `amount` (minor units; default: all not yet refunded) of a payment; returns
        the refund, a negative payment."""
        original = self.payment(payment_id)
        if not original.counts:
            raise BadRequestError(
                f"Payment {payment_id} is a refund or voided: it cannot be refunded"
            )
        refundable = original.amount - original.refunded_amount
        amount = refundable if amount is None else amount
        if not 0 < amount <= refundable:
            raise BadRequestError(
                f"A refund of payment {payment_id} must be more than 0 and at most "
                f"{from_minor_units(refundable, original.currency)}"
            )
        order = self.order(original.order_id)
        moment = self._moment(at)
        refund = Payment(
            id=self.next_id("payment"),
            contact_id=original.contact_id,
            order_id=order.id,
            currency=original.currency,
            amount=-amount,
            type="Refund",
            status="COMPLETED",
            payment_time=moment,
            update_time=moment,
            note=note,
        )
        self.payments.put(refund.id, refund)
        self.payments_of_order[order.id].append(refund.id)
        row = self._invoice_payment(
            order, refund, amount=-amount, pay_time=moment, moment=moment, pay_status="REFUNDED"
        )
        original.refund_payment_id = refund.id
        original.refunded_amount += amount
        original.update_time = moment
        self.payments.put(original.id, original)
        for source in self._rows_of(original):
            source.refund_invoice_payment_id = row.id
            source.last_updated_time = moment
            if original.refunded_amount == original.amount:
                source.pay_status = "REFUNDED"
        order.refund_total += amount
        self._touch(order, moment)
        return refund

    def void_payment(self, payment_id: int, at: dt.datetime | None = None) -> Payment:
        """Cancel a payment recorded by mistake: it stops counting toward its order."""
        payment = self.payment(payment_id)
        if not payment.counts:
            raise BadRequestError(f"Payment {payment_id} is a refund or already voided")
        if payment.refunded_amount:
            raise BadRequestError(f"Payment {payment_id} has been refunded: it cannot be voided")
        order = self.order(payment.order_id)
        moment = self._moment(at)
        payment.voided = True
        payment.status = "NONE"
        payment.update_time = moment
        self.payments.put(payment.id, payment)
        for row in self._rows_of(payment):
            row.pay_status = "VOIDED"
            row.last_updated_time = moment
        order.total_paid -= payment.amount
        self._allocate_plan(order)
        self._touch(order, moment)
        return payment

    def _rows_of(self, payment: Payment) -> list[InvoicePayment]:
        return [
            self.invoice_payments[row_id]
            for row_id in self.invoice_payments_of_order.get(payment.order_id, [])
            if self.invoice_payments[row_id].payment_id == payment.id
        ]

    def invoice_payments_of(self, order_id: int) -> list[InvoicePayment]:
        self.order(order_id)
        return [self.invoice_payments[i] for i in self.invoice_payments_of_order.get(order_id, [])]

    def payments_for_orders(self, order_ids: set[int]) -> set[int]:
        return {p for order_id in order_ids for p in self.payments_of_order.get(order_id, [])}

    # --- subscriptions ---------------------------------------------------------------------------

    def create_subscription(
        self,
        contact_id: int,
        plan_id: int,
        at: dt.datetime | None = None,
        currency: str | None = None,
    ) -> Subscription:
        """A recurring order; it takes an invoice ID of its own, with no order behind it."""
        contact = self._order_contact(contact_id)
        plan = self.subscription_plan(plan_id)
        moment = self._moment(at)
        subscription = Subscription(
            id=self.next_id("subscription"),
            contact_id=contact.id,
            product_id=plan.product_id,
            plan=plan,
            currency=(currency or self.profile.currency_code).upper(),
            start_time=moment,
            invoice_id=0,
        )
        subscription.invoice_id = self._new_invoice(None, subscription.id, moment).id
        self.subscriptions[subscription.id] = subscription
        return subscription

    def bill_subscription(
        self,
        subscription_id: int,
        at: dt.datetime | None = None,
        *,
        price: int | None = None,
        charge: bool = True,
    ) -> Order:
        """One billing cycle: an order (and invoice) with the subscription's line, charged to the
        card on file unless `charge` is False (a failed charge leaves it unpaid)."""
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            raise NotFoundError(f"Subscription with ID {subscription_id} not found")
        if not subscription.active:
            raise BadRequestError(f"Subscription {subscription_id} is not active")
        moment = self._moment(at)
        plan = subscription.plan
        product = self.product(plan.product_id)
        unit_price = plan.price if price is None else price
        order = self.create_order(
            {
                "contact_id": subscription.contact_id,
                "order_title": f"{product.name} - {plan.name}",
                "order_type": "ONLINE",
                "order_time": moment,
                "sent_time": moment,
                "order_items": [
                    {
                        "item_type": "SUBSCRIPTION",
                        "quantity": 1,
                        "product_id": product.id,
                        "subscription_plan_id": plan.id,
                        "subscription_id": subscription.id,
                        "price_per_unit": from_minor_units(unit_price, subscription.currency),
                    }
                ],
            },
            moment,
            source_type="UNKNOWN",
            currency=subscription.currency,
        )
        subscription.cycles_billed += 1
        if charge and order.total > 0:
            self.charge(order, order.total, moment)
        return order

    # --- settings --------------------------------------------------------------------------------

    def configure(self, values: Mapping[str, Any]) -> None:
        """Account settings a Keap admin changes in the app: currency, time zone, name,
        manual payment types."""
        for name in ("currency_code", "time_zone", "name", "email"):
            if values.get(name) is not None:
                setattr(self.profile, name, str(values[name]))
        if values.get("manual_payment_types") is not None:
            types = values["manual_payment_types"]
            if not isinstance(types, list) or not all(isinstance(t, str) and t for t in types):
                raise BadRequestError("manual_payment_types must be a list of names")
            self.manual_payment_types = list(types)


def schedule(total: int, plan: PaymentPlan) -> list[PaymentPlanItem]:
    """The instalments of a payment plan: the initial payment, then the rest in equal parts
    (the last one takes the remainder), `days_between_payments` apart."""
    items = []
    remaining = total
    if plan.initial_payment_amount:
        when = plan.initial_payment_date or plan.plan_start_date
        items.append(PaymentPlanItem(when, plan.initial_payment_amount))
        remaining -= plan.initial_payment_amount
    count = plan.number_of_payments
    share = remaining // count
    for index in range(count):
        amount = share if index < count - 1 else remaining - share * (count - 1)
        when = plan.plan_start_date + dt.timedelta(days=plan.days_between_payments * index)
        items.append(PaymentPlanItem(when, amount))
    return items


@functools.lru_cache(maxsize=4096)
def _minor_units(amount: Decimal, currency: str) -> int:
    """An amount rounded into the currency's minor units (prices recur: each is worked out
    once)."""
    return to_minor_units(amount, currency, exact=False)


def _folded(value: str | None) -> str:
    return (value or "").strip().casefold()


def _custom_content(definition: CustomFieldDefinition, content: Any) -> Any:
    """A custom field value of the right type for its field, or a 400."""
    if content is None:
        return None
    kind = definition.field_type
    problem = None
    if kind in NUMERIC_FIELD_TYPES:
        if isinstance(content, bool) or not isinstance(content, (int, float)):
            problem = "a number"
    elif kind == "YES_NO":
        if not isinstance(content, bool):
            problem = "true or false"
    elif kind == "LIST_BOX":
        if not isinstance(content, list) or not set(content) <= set(definition.options):
            problem = f"a list of options from {definition.options}"
    elif not isinstance(content, str):
        problem = "a string"
    elif kind in ("DROPDOWN", "RADIO") and definition.options and content not in definition.options:
        problem = f"one of {definition.options}"
    elif kind in DATE_FIELD_TYPES:
        date_time(definition.label, content if "T" in content else content + "T00:00:00Z")
    if problem:
        raise BadRequestError(
            f"Custom field {definition.id} ('{definition.label}') must be {problem}"
        )
    return content
