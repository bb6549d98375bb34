"""Deterministic, realistic Keap accounts: the same options and seed give the same account.

An account is built as its history happened. Every event — a contact signing up, an order, a
payment, a refund, a voided payment, an invoice viewed, a subscription billed — is drafted with
its moment, then all are applied in time order through the account's own rules, so IDs grow with
time, totals and statuses are what the rules make them, and `modification_time` is the moment of
an order's last event. Nothing happens after `end`: a payment due later has not been made yet.

What an account holds (options in `SeedOptions`, documented in KEAP.md): contacts with and
without emails and companies, with names in many scripts; products, two with subscription
plans; one-time orders with discounts, tax, shipping and fees in several currencies, paid,
partly paid, unpaid, refunded or with a voided payment, some on payment plans; subscriptions
whose every billed cycle is an order, each subscription holding an invoice ID of its own; and
optionally orders written by the Xero sync, marked with the Xero Invoice ID custom field.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import itertools
import random
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from invoice_model.dates import DateParseError, parse_datetime
from invoice_model.money import MoneyError, from_minor_units, minor_units, quantize
from keap_xero_sandbox.keap.account import KeapAccount
from keap_xero_sandbox.keap.models import Contact, Order, Product

UTC = dt.UTC

GIVEN_NAMES = (
    "Zoë", "José", "Björk", "Łukasz", "Siobhán", "Anaïs", "Mei", "Olúwaseun", "Sven", "Ayşe",
    "Dmitri", "Priya", "Amélie", "Kwame", "Hana", "Mateo", "Noor", "Liam", "Chloé", "Ngozi",
    "Søren", "Renée", "Ümit", "Jürgen", "Ines", "Tomás", "Grace", "Yuki", "Ahmed", "Freya",
)  # fmt: skip
FAMILY_NAMES = (
    "Fernández", "Núñez", "Guðmundsdóttir", "Żółć", "O'Brien", "Dubois", "王", "Adébáyọ̀",
    "Ødegaard", "Yılmaz", "Иванов", "Patel", "Lefèvre", "Mensah", "田中", "García", "Haddad",  # noqa: RUF001
    "Smith", "Müller", "Okafor", "Kowalski", "Nguyễn", "Schäfer", "Costa", "MacDonald",
    "van der Berg", "Da Silva", "Johansson", "Kim", "Rossi",
)  # fmt: skip
COMPANIES = (
    "Acme Trading Co.", "Café Zürich GmbH", "Ørsted Design ApS", "Northwind Traders",
    "Blue Lotus Yoga", "São Paulo Importações Ltda", "Maple & Oak Ltd", "Kyōto Tea House",
)  # fmt: skip
CITIES = (
    ("Phoenix", "Arizona", "US-AZ", "USA", "85001"),
    ("Springfield", "Illinois", "US-IL", "USA", "62701"),
    ("Toronto", "Ontario", "CA-ON", "CAN", "M5H 2N2"),
    ("London", "Greater London", "GB-LND", "GBR", "SW1A 1AA"),
    ("München", "Bayern", "DE-BY", "DEU", "80331"),
    ("Sydney", "New South Wales", "AU-NSW", "AUS", "2000"),
)
# name, sku, price in the account currency, shippable, taxable
PRODUCTS = (
    ("Workshop ticket", "WS-TICKET", 4999, False, True),
    ("Consulting hour", "CONSULT-1H", 15000, False, False),
    ("Yoga mat", "MAT-01", 3500, True, True),
    ("E-book: Bookkeeping basics", "EBOOK-BK", 1900, False, True),
    ("Gift card", "GIFT-50", 5000, False, False),
    ("Coaching package (5 sessions)", "COACH-5", 60000, False, False),
    ("Monthly membership", "MEMBER-M", 2900, False, True),
    ("Annual membership", "MEMBER-Y", 29000, False, True),
)
SUBSCRIPTION_PRODUCTS = {"MEMBER-M": ("Monthly", "MONTHLY"), "MEMBER-Y": ("Yearly", "YEARLY")}
# Units of each currency per unit of the account currency (fixed, fictional rates).
RATES = {"USD": "1", "EUR": "0.92", "GBP": "0.79", "JPY": "151", "CAD": "1.36", "AUD": "1.52"}
TAX_RATE = Decimal("0.0825")
SAMPLE_KINDS = (
    "synced",
    "subscription",
    "payment_plan",
    "refunded",
    "voided",
    "paid",
    "partially_paid",
    "unpaid",
    "foreign_currency",
)


class SeedOptionError(ValueError):
    """Seed options that make no sense; a 400 on the control surface."""


@dataclass(frozen=True)
class SeedOptions:
    """How big and how mixed the account is. Ratios are of one-time orders; what is neither
    paid, partly paid, refunded nor voided stays unpaid."""

    seed: int = 1
    contacts: int = 20
    products: int = 8
    orders: int = 50
    currencies: Mapping[str, float] = field(
        default_factory=lambda: {"USD": 0.85, "EUR": 0.05, "GBP": 0.05, "JPY": 0.05}
    )
    paid: float = 0.55
    partially_paid: float = 0.15
    refunded: float = 0.05
    voided: float = 0.03
    payment_plans: float = 0.08
    backdated: float = 0.0
    postdated: float = 0.0
    subscriptions: int = 3
    synced_orders: int = 0
    days: int = 180
    end: dt.datetime | None = None  # default: 00:00 UTC today on the sandbox clock

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> SeedOptions:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise SeedOptionError(f"unknown Keap seed options {unknown}; options: {sorted(known)}")
        values = dict(options)
        try:
            if values.get("end") is not None:
                values["end"] = parse_datetime(values["end"])
            if isinstance(values.get("currencies"), list):
                values["currencies"] = dict.fromkeys(values["currencies"], 1.0)
            parsed = cls(**values)
            parsed.check()
        except (TypeError, DateParseError, MoneyError) as error:
            raise SeedOptionError(str(error)) from error
        return parsed

    def check(self) -> None:
        counts = ("contacts", "products", "orders", "subscriptions", "synced_orders", "days")
        for name in counts:
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise SeedOptionError(f"{name} must be a whole number >= 0")
        ratios = (self.paid, self.partially_paid, self.refunded, self.voided)
        if any(r < 0 for r in (*ratios, self.payment_plans)) or sum(ratios) > 1:
            raise SeedOptionError("paid, partially_paid, refunded and voided must add up to <= 1")
        dating = (self.backdated, self.postdated)
        if any(r < 0 for r in dating) or sum(dating) > 1:
            raise SeedOptionError("backdated and postdated must be >= 0 and add up to <= 1")
        if (self.orders or self.subscriptions or self.synced_orders) and not self.contacts:
            raise SeedOptionError("orders need contacts: set contacts >= 1")
        if (self.orders or self.synced_orders) and not self.products:
            raise SeedOptionError("orders need products: set products >= 1")
        if not self.currencies or any(w < 0 for w in self.currencies.values()):
            raise SeedOptionError("currencies must map currency codes to weights >= 0")
        for code in self.currencies:
            if code.upper() not in RATES:
                raise SeedOptionError(f"currency {code!r} is not one of {sorted(RATES)}")
            minor_units(code)


@dataclass
class Summary:
    orders: int = 0
    subscription_orders: int = 0
    synced_orders: int = 0
    backdated_orders: int = 0
    postdated_orders: int = 0
    payments: int = 0
    refunds: int = 0
    voided_payments: int = 0


class History:
    """Events drafted in any order and applied in time order (ties in drafting order)."""

    def __init__(self) -> None:
        self._events: list[tuple[dt.datetime, int, Callable[[], object]]] = []

    def at(self, moment: dt.datetime, action: Callable[[], object]) -> None:
        self._events.append((moment, len(self._events), action))

    def play(self) -> None:
        self._events.sort(key=lambda event: event[:2])
        for _, _, action in self._events:
            action()
        self._events.clear()


def seed_account(account: KeapAccount, options: SeedOptions) -> dict[str, Any]:
    """Fill `account` as `options` say; returns what was made, with sample IDs for tests."""
    builder = _Builder(account, options)
    with account.bulk(), _collector_paused():
        builder.build()
        gc.freeze()
    return builder.report()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Building an account allocates millions of long-lived objects and no garbage. The cyclic
    collector would scan the growing heap again and again (half the time of a 50,000-order
    account), and afterwards on every full collection while the account is served: so it is
    paused while the account is built, and the account is then frozen out of its scans
    (`KeapEmulator.reset` thaws it when the account is thrown away)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Builder:
    def __init__(self, account: KeapAccount, options: SeedOptions) -> None:
        self.account = account
        self.options = options
        self.rng = random.Random(options.seed)
        end = options.end or dt.datetime.combine(account.now().date(), dt.time(), tzinfo=UTC)
        self.end = min(end.astimezone(UTC), account.now())
        self.start = self.end - dt.timedelta(days=options.days)
        self.history = History()
        self.summary = Summary()
        self.contacts: list[Contact] = []
        self.products: list[Product] = []
        self.home = account.profile.currency_code
        self.currencies = sorted(code.upper() for code in options.currencies)
        self.currency_weights = list(
            itertools.accumulate(options.currencies[code] for code in sorted(options.currencies))
        )

    def build(self) -> None:
        self.products = [self._product(i) for i in range(self.options.products)]
        joined = sorted(
            self.start - dt.timedelta(seconds=self.rng.uniform(3600, 365 * 86400))
            for _ in range(self.options.contacts)
        )
        self.contacts = [self._contact(i, moment) for i, moment in enumerate(joined)]
        synced = set(self.rng.sample(range(self.options.orders + self.options.synced_orders),
                                     self.options.synced_orders))  # fmt: skip
        total = self.options.orders + self.options.synced_orders
        for index, moment in enumerate(self._moments(total)):
            self._draft_order(moment, synced=index in synced)
        for _ in range(self.options.subscriptions):
            self._draft_subscription()
        self.history.play()

    def report(self) -> dict[str, Any]:
        account = self.account
        first = account.orders.get(min(account.orders.rows)) if len(account.orders) else None
        return {
            "contacts": len(account.contacts),
            "products": len(account.products),
            "orders": len(account.orders),
            "one_time_orders": self.summary.orders,
            "subscription_orders": self.summary.subscription_orders,
            "synced_orders": self.summary.synced_orders,
            "backdated_orders": self.summary.backdated_orders,
            "postdated_orders": self.summary.postdated_orders,
            "subscriptions": len(account.subscriptions),
            "invoices": len(account.invoices),
            "payments": self.summary.payments,
            "refunds": self.summary.refunds,
            "voided_payments": self.summary.voided_payments,
            "first_order_id": _text(first.id if first else None),
            "first_invoice_id": _text(first.invoice_id if first else None),
            "samples": self._samples(),
            "xero_invoice_field": {
                "id": str(account.xero_invoice_field.id),
                "field_name": account.xero_invoice_field.field_name,
            }
            if account.xero_invoice_field
            else None,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }

    def _samples(self) -> dict[str, str]:
        """One order of each kind the account ended up with, for tests to pick from."""
        account, samples = self.account, {}
        marker = account.xero_invoice_field.id if account.xero_invoice_field else None
        voided = {p.order_id for p in account.payments if p.voided}
        for order in account.orders:
            kinds = []
            if marker in order.custom_fields:
                kinds.append("synced")
            if any(item.subscription_id for item in order.items):
                kinds.append("subscription")
            if order.payment_plan is not None and order.total_paid:
                kinds.append("payment_plan")
            if order.refund_total:
                kinds.append("refunded")
            if order.id in voided:
                kinds.append("voided")
            if order.status == "PAID" and not order.refund_total and order.total:
                kinds.append("paid")
            elif 0 < order.total_paid < order.total:
                kinds.append("partially_paid")
            elif not order.total_paid and order.total:
                kinds.append("unpaid")
            if order.currency != account.profile.currency_code:
                kinds.append("foreign_currency")
            for kind in kinds:
                samples.setdefault(f"{kind}_order_id", str(order.id))
            if len(samples) == len(SAMPLE_KINDS):
                break
        return dict(sorted(samples.items()))

    # --- catalogue and people ------------------------------------------------------------------

    def _product(self, index: int) -> Product:
        name, sku, price, shippable, taxable = PRODUCTS[index % len(PRODUCTS)]
        if index >= len(PRODUCTS):
            name, sku = f"{name} ({index // len(PRODUCTS) + 1})", f"{sku}-{index}"
        product = self.account.create_product(
            {
                "name": name,
                "sku": sku,
                "price": price,
                "short_description": name,
                "shippable": shippable,
                "taxable": taxable,
                "subscription_only": sku in SUBSCRIPTION_PRODUCTS,
            },
            at=self.start - dt.timedelta(days=60),
        )
        if sku in SUBSCRIPTION_PRODUCTS:
            label, cycle = SUBSCRIPTION_PRODUCTS[sku]
            self.account.add_subscription_plan(product.id, label, cycle, 1, price)
        return product

    def _contact(self, index: int, joined: dt.datetime) -> Contact:
        rng = self.rng
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        values: dict[str, Any] = {"given_name": given, "family_name": family}
        if rng.random() < 0.85:
            local = f"{_ascii(given)}.{_ascii(family)}{index + 1}".lower()
            values["email_addresses"] = [{"email": f"{local}@example.com", "field": "EMAIL1"}]
        if rng.random() < 0.6 or "email_addresses" not in values:
            values["phone_numbers"] = [
                {"number": f"+1 555 01{index % 100:02d}", "field": "PHONE1", "type": "Work"}
            ]
        if rng.random() < 0.35:
            values["company"] = {"company_name": rng.choice(COMPANIES)}
        if rng.random() < 0.7:
            city, region, region_code, country, postal = rng.choice(CITIES)
            values["addresses"] = [
                {
                    "field": "BILLING",
                    "line1": f"{rng.randint(1, 999)} Market Street",
                    "locality": city,
                    "region": region,
                    "region_code": region_code,
                    "country_code": country,
                    "postal_code": postal,
                }
            ]
        return self.account.create_contact(values, at=joined)

    # --- one-time orders -----------------------------------------------------------------------

    def _moments(self, count: int) -> list[dt.datetime]:
        span = (self.end - self.start).total_seconds()
        millis = sorted(self.rng.randrange(int(span * 980)) for _ in range(count))
        return [self.start + dt.timedelta(milliseconds=ms) for ms in millis]

    def _draft_order(self, created: dt.datetime, *, synced: bool) -> None:
        rng = self.rng
        contact = rng.choice(self.contacts)
        currency = rng.choices(self.currencies, cum_weights=self.currency_weights)[0]
        items = self._items(currency)
        values: dict[str, Any] = {
            "contact_id": contact.id,
            "order_title": f"Order for {contact.given_name} {contact.family_name}",
            "order_type": "OFFLINE" if synced or rng.random() < 0.4 else "ONLINE",
            "order_time": self._dated(created, created - dt.timedelta(minutes=rng.randint(0, 600))),
            "order_items": items,
        }
        values["due_time"] = max(created, values["order_time"]) + dt.timedelta(days=30)
        sent = rng.random() < 0.85
        if sent:
            values["sent_time"] = created + dt.timedelta(minutes=rng.randint(1, 120))
        if synced:
            xero_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            field = self.account.xero_invoice_field
            if field is None:
                raise ValueError("synced_orders needs the account's Xero Invoice ID order field")
            values["custom_fields"] = {field.id: str(xero_id)}
            values["invoice_number"] = f"INV-{rng.randint(1000, 9999)}"
            values["external_create_user"] = "xero-sync"
            values["external_create_time"] = created
        fate = "unpaid" if synced else self._fate()
        plan = fate != "unpaid" and rng.random() < self.options.payment_plans
        viewed = sent and rng.random() < 0.15
        holder: dict[str, Order] = {}

        def create() -> None:
            source = "API" if synced else rng.choice(("INVOICE", "CHECKOUT_FORM", "MANUAL_PAYMENT"))
            order = self.account.create_order(
                values, created, source_type=source, currency=currency
            )
            if plan:
                self._plan(order, created)
            holder["order"] = order
            if synced:
                self.summary.synced_orders += 1
            else:
                self.summary.orders += 1

        self.history.at(created, create)
        if viewed:
            moment = created + dt.timedelta(hours=rng.randint(3, 72))
            self._later(moment, lambda: self.account.mark_viewed(holder["order"].id, moment))
        self._draft_payments(holder, created, fate, plan)

    def _dated(self, created: dt.datetime, order_time: dt.datetime) -> dt.datetime:
        """The invoice date of an order: `order_time`, or, for the `backdated` share, 1 to 60
        days before it was created, and for the `postdated` share 1 to 30 days after."""
        options = self.options
        if not (options.backdated or options.postdated):
            return order_time  # no draw: accounts seeded without them stay as they were
        roll = self.rng.random()
        if roll < options.backdated:
            self.summary.backdated_orders += 1
            return created - dt.timedelta(days=self.rng.uniform(1, 60))
        if roll < options.backdated + options.postdated:
            self.summary.postdated_orders += 1
            return created + dt.timedelta(days=self.rng.uniform(1, 30))
        return order_time

    def _fate(self) -> str:
        roll, options = self.rng.random(), self.options
        for fate, ratio in (
            ("paid", options.paid),
            ("partially_paid", options.partially_paid),
            ("refunded", options.refunded),
            ("voided", options.voided),
        ):
            if roll < ratio:
                return fate
            roll -= ratio
        return "unpaid"

    def _items(self, currency: str) -> list[dict[str, Any]]:
        rng = self.rng
        lines, subtotal, taxable = [], Decimal(0), Decimal(0)
        sellable = [p for p in self.products if not p.subscription_only] or self.products
        for product in rng.sample(sellable, k=min(len(sellable), rng.randint(1, 3))):
            quantity = rng.choice((1, 1, 1, 2, 3))
            price = _convert(product.price, self.home, currency)
            lines.append(
                {
                    "item_type": "PRODUCT",
                    "product_id": product.id,
                    "quantity": quantity,
                    "price_per_unit": price,
                }
            )
            subtotal += price * quantity
            taxable += price * quantity if product.taxable else 0
        if rng.random() < 0.2:
            discount = quantize(subtotal * Decimal("0.1"), currency)
            if discount:
                lines.append(_line("DISCOUNT_ORDER_TOTAL", "Loyalty discount 10%", discount))
                taxable = max(Decimal(0), taxable - discount)
        if any(p.shippable for p in self.products) and rng.random() < 0.4:
            lines.append(_line("SHIPPING", "Shipping", _convert(750, self.home, currency)))
        if rng.random() < 0.05:
            lines.append(_line("FEE", "Processing fee", _convert(200, self.home, currency)))
        if taxable and rng.random() < 0.5:
            lines.append(_line("TAX", "Sales tax 8.25%", quantize(taxable * TAX_RATE, currency)))
        return lines

    def _plan(self, order: Order, created: dt.datetime) -> None:
        start = (created + dt.timedelta(days=1)).date()
        count = self.rng.choice((3, 4, 6))
        self.account.update_order(
            order.id,
            {
                "payment_plan": {
                    "plan_start_date": start,
                    "number_of_payments": count,
                    "days_between_payments": 30,
                }
            },
            at=created,
        )

    def _draft_payments(
        self, holder: dict[str, Order], created: dt.datetime, fate: str, plan: bool
    ) -> None:
        rng = self.rng
        paid_at = created + dt.timedelta(days=rng.uniform(0, 20))
        if plan:
            self._draft_instalments(holder, created)
            return
        if fate == "paid":
            self._later(paid_at, lambda: self._pay(holder["order"], None, paid_at))
        elif fate == "partially_paid":
            share = rng.choice((Decimal("0.25"), Decimal("0.5"), Decimal("0.6")))
            self._later(paid_at, lambda: self._pay(holder["order"], share, paid_at))
        elif fate == "refunded":
            refunded_at = paid_at + dt.timedelta(days=rng.uniform(1, 30))
            whole = rng.random() < 0.7
            payments: dict[str, int] = {}

            def pay() -> None:
                payments["id"] = self._pay(holder["order"], None, paid_at)

            def refund() -> None:
                self._refund(payments.get("id"), whole, refunded_at)

            self._later(paid_at, pay)
            self._later(refunded_at, refund)
        elif fate == "voided":
            voided_at = paid_at + dt.timedelta(days=rng.uniform(0.1, 5))
            repaid_at = voided_at + dt.timedelta(days=rng.uniform(0.1, 10))
            payments = {}

            def pay_wrongly() -> None:
                payments["id"] = self._pay(holder["order"], None, paid_at)

            def void() -> None:
                if payments.get("id"):
                    self.account.void_payment(payments["id"], voided_at)
                    self.summary.voided_payments += 1

            self._later(paid_at, pay_wrongly)
            self._later(voided_at, void)
            if rng.random() < 0.5:
                self._later(repaid_at, lambda: self._pay(holder["order"], None, repaid_at))

    def _draft_instalments(self, holder: dict[str, Order], created: dt.datetime) -> None:
        """Instalments are paid on their due dates, up to today: a plan is partly paid."""
        for index in range(6):
            due = created + dt.timedelta(days=1 + 30 * index, hours=self.rng.randint(8, 18))

            def pay_instalment(index: int = index, due: dt.datetime = due) -> None:
                order = holder["order"]
                plan = order.payment_plan
                if plan is None or index >= len(plan.items):
                    return
                self._pay(order, None, due, amount=plan.items[index].amount_due)

            self._later(due, pay_instalment)

    # --- subscriptions -------------------------------------------------------------------------

    def _draft_subscription(self) -> None:
        plans = [plan for product in self.products for plan in product.plans]
        if not plans or not self.contacts:
            return
        rng = self.rng
        plan = rng.choice(plans)
        contact = rng.choice(self.contacts)
        started = self.start + dt.timedelta(days=rng.uniform(0, self.options.days / 3))
        step = {"MONTHLY": 30, "YEARLY": 365, "WEEKLY": 7, "DAILY": 1}[plan.cycle_type]
        holder: dict[str, int] = {}

        def subscribe() -> None:
            holder["id"] = self.account.create_subscription(contact.id, plan.id, started).id

        self._later(started, subscribe)
        for cycle in itertools.count():
            billed = started + dt.timedelta(days=step * cycle, minutes=5)
            if billed > self.end:
                break
            charge = rng.random() > 0.1

            def bill(billed: dt.datetime = billed, charge: bool = charge) -> None:
                order = self.account.bill_subscription(holder["id"], billed, charge=charge)
                self.summary.subscription_orders += 1
                self.summary.payments += 1 if order.total_paid else 0

            self._later(billed, bill)

    # --- helpers -------------------------------------------------------------------------------

    def _later(self, moment: dt.datetime, action: Callable[[], Any]) -> None:
        """An event, unless it would happen after `end`."""
        if moment <= self.end:
            self.history.at(moment, action)

    def _pay(
        self,
        order: Order,
        share: Decimal | None,
        moment: dt.datetime,
        amount: int | None = None,
    ) -> int | None:
        due = order.total_due
        if amount is None:
            amount = due if share is None else int(due * share)
        amount = min(amount, due)
        if amount <= 0:
            return None
        currency = order.currency
        if order.order_type == "ONLINE" and self.rng.random() < 0.6:
            payment = self.account.charge(order, amount, moment)
        else:
            payment = self.account.record_payment(
                order.id,
                {
                    "payment_amount": Decimal(amount).scaleb(-minor_units(currency)),
                    "payment_method_type": self.rng.choice(self.account.manual_payment_types),
                    "apply_to_commissions": False,
                    "notes": self.rng.choice((None, "Thank you!", "Paid at the door")),
                },
                moment,
            )
        self.summary.payments += 1
        return payment.id

    def _refund(self, payment_id: int | None, whole: bool, moment: dt.datetime) -> None:
        if payment_id is None:
            return
        payment = self.account.payment(payment_id)
        amount = None if whole else max(1, payment.amount // 2)
        self.account.refund_payment(payment_id, amount, "Refund requested", moment)
        self.summary.refunds += 1


def _line(item_type: str, name: str, price: Decimal) -> dict[str, Any]:
    return {"item_type": item_type, "name": name, "quantity": 1, "price_per_unit": price}


@functools.cache
def _convert(minor: int, account_currency: str, currency: str) -> Decimal:
    """A price in the account currency's minor units, in `currency` at the fictional rates."""
    amount = from_minor_units(minor, account_currency)
    rate = Decimal(RATES.get(currency, "1")) / Decimal(RATES.get(account_currency, "1"))
    return quantize(amount * rate, currency)


def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded if ch.isalnum()) or "contact"


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)
