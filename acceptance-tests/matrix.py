"""The four sync modes by three start points: one Keap account built through Keap's API, the
connection of each cell, and what Xero must hold after each sync, worked out from Keap's own
state and the product's rules — never from what the connectors emitted.

- `Story` builds the account as a business would have filled it over ten days of March 2025
  (America/New_York, whose clocks went forward on the 9th): five currencies, subscriptions whose
  invoices push invoice IDs away from order IDs, back- and post-dated orders, orders either side
  of midnight in the account's time zone, two orders created in the same second, partial
  payments, refunds and a voided payment. `change()` is what happens before the second sync:
  new orders, partial and final payments, edits (lines and a date), refunds and a void.
- `connection()` opens a cell: a fresh Xero organisation with its own custom connection, a
  Keap refresh token of its own, the mode's configured catalog (none in mode 4) and the start
  point's config.
- `expected_books()` says which invoices and payments the cell's organisation must hold, with
  totals, amounts paid and amounts due to the cent; `assert_books()` compares.

Used by `test_modes_and_start_points.py` (the console scripts joined by a pipe); the same
account and expectations serve any other way of running the sync.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import requests

from invoice_model import Money
from invoice_model.dates import format_datetime, parse_datetime
from keap_xero_sandbox.sandbox import Sandbox

from .books import keap_kept, keap_total, live_xero_payments, money, paid_in_full
from .pipeline import CATALOG

UTC = dt.UTC
TIME_ZONE = "America/New_York"  # the sandbox account's
# The sandbox clock starts here; the account's history runs to the first sync.
STORY_START = dt.datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
FIRST_SYNC = dt.datetime(2025, 3, 12, 9, 0, tzinfo=UTC)
SECOND_SYNC = dt.datetime(2025, 3, 12, 18, 0, tzinfo=UTC)
START_DAY = dt.date(2025, 3, 10)  # begins at 2025-03-10T04:00:00Z (EDT)

# Sync mode -> the `invoices` cursor field; mode 4 has no Keap → Xero connection.
MODES: dict[int, str | None] = {1: "created_at", 2: "updated_at", 3: "paid_at", 4: None}
START_POINTS = ("beginning", "invoice_id", "invoice_date")


def configured_catalog(mode: int) -> dict[str, Any] | None:
    """The configured catalog of a sync mode: `invoices` on the mode's cursor, with `payments`
    in modes 2 and 3; None in mode 4, which runs nothing."""
    cursor = MODES[mode]
    if cursor is None:
        return None
    catalog = json.loads(CATALOG.read_text())
    streams = [s for s in catalog["streams"] if mode != 1 or s["stream"]["name"] == "invoices"]
    for configured in streams:
        if configured["stream"]["name"] == "invoices":
            configured["cursor_field"] = [cursor]
    return {"streams": streams}


class KeapApi:
    """Keap's REST v2 with the account's Personal Access Token, and the sandbox's Keap controls
    for what a user does in Keap's app (refunds, voids, subscriptions, settings)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.url = sandbox.url
        self.session = requests.Session()
        key = sandbox.keap.credentials()["personal_access_token"]
        self.session.headers["X-Keap-API-Key"] = key

    def rest(self, method: str, path: str, body: Any = None, **params: Any) -> dict[str, Any]:
        return self._call(method, f"/crm/rest/v2{path}", body, params)

    def app(self, path: str, body: Any = None) -> dict[str, Any]:
        return self._call("POST", f"/_sandbox/keap{path}", body or {}, {})

    def _call(self, method: str, path: str, body: Any, params: dict[str, Any]) -> dict[str, Any]:
        response = self.session.request(
            method, self.url + path, json=body, params=params or None, timeout=30
        )
        if not response.ok:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else {}


class Story:
    """The account, named by role: `orders["start"]` is the invoice-ID start point's order."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.api = KeapApi(sandbox)
        self.contacts: dict[str, str] = {}
        self.products: dict[str, str] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, list[str]] = {}  # role -> its payment IDs, in order
        self.subscriptions: dict[str, str] = {}
        self.plan_id: int | None = None
        self._currency = "USD"

    # --- the start points --------------------------------------------------------------------

    def start_from(self, start: str) -> dict[str, Any]:
        """source-keap's `start_from` for a start point."""
        if start == "invoice_id":
            return {"start_type": "invoice_id", "invoice_id": self.orders["start"]["invoice_id"]}
        if start == "invoice_date":
            return {"start_type": "invoice_date", "invoice_date": START_DAY.isoformat()}
        return {"start_type": "beginning"}

    def admits(self, start: str, order: dict[str, Any]) -> bool:
        """The product's rule for each start point, applied to an order as Keap shows it."""
        if start == "invoice_id":
            first = self.orders["start"]
            return (parse_datetime(order["creation_time"]), int(order["invoice_id"])) >= (
                parse_datetime(first["creation_time"]),
                int(first["invoice_id"]),
            )
        if start == "invoice_date":
            dated = parse_datetime(order["order_time"]).astimezone(ZoneInfo(TIME_ZONE))
            return dated.date() >= START_DAY
        return True

    # --- the history -------------------------------------------------------------------------

    def build(self) -> None:
        """Ten days of sales, up to the first sync."""
        with self._history(until=FIRST_SYNC):
            self._at("2025-03-03T14:00:00Z")
            self._people()
            self._catalogue()
            self._first_days()
            self._days_before_the_day()
            self._the_day_and_after()

    def _first_days(self) -> None:
        """March 3 to the morning of the 6th: sales in four currencies, a subscription, a partial
        payment, a refund and a voided payment; an order post-dated to after the day."""
        self._at("2025-03-03T15:00:00Z")
        self._order("unpaid", "ana", self._item("workshop", 2, 49.99), self._tax(8.25))
        self._at("2025-03-03T16:00:00Z")
        self._order(
            "paid_eur",
            "bruno",
            self._item("consulting", 2, 138),
            self._line("DISCOUNT_ORDER_TOTAL", "Loyalty 10%", 27.60),
            currency="EUR",
        )
        self._at("2025-03-04T09:00:00Z")
        self._subscribe("monthly", "femi")
        self._at("2025-03-04T09:05:00Z")
        self._bill("monthly")
        self._at("2025-03-04T10:00:00Z")
        self._pay("paid_eur", 248.40, "Credit Card (Manual)")
        self._at("2025-03-04T12:00:00Z")
        self._order(
            "part_gbp",
            "chloe",
            self._item("mat", 1, 27.65),
            self._line("SHIPPING", "Shipping", 5.90),
            currency="GBP",
        )
        self._at("2025-03-05T09:00:00Z")
        self._pay("part_gbp", 10)
        # Paid in full, then refunded in part before the first sync (and again after it).
        self._at("2025-03-05T10:00:00Z")
        self._order("refunded_part", "ana", self._item("consulting", 1, 150))
        self._at("2025-03-05T11:00:00Z")
        self._pay("refunded_part", 150)
        # Paid by mistake, voided, paid again.
        self._at("2025-03-05T13:00:00Z")
        self._order("voided_cad", "dev", self._item("consulting", 1, 204), currency="CAD")
        self._at("2025-03-05T13:30:00Z")
        self._pay("voided_cad", 204)
        self._at("2025-03-05T14:00:00Z")
        self._void("voided_cad")
        # Created before the day, dated after it, and paid before it.
        self._at("2025-03-05T16:00:00Z")
        self._order(
            "postdated", "ana", self._item("workshop", 1, 49.99), dated="2025-03-12T16:00:00Z"
        )
        self._at("2025-03-06T08:00:00Z")
        self._refund("refunded_part", 30)
        self._at("2025-03-06T09:00:00Z")
        self._pay("voided_cad", 204, "Cash")
        self._at("2025-03-06T10:00:00Z")
        self._pay("postdated", 49.99)

    def _days_before_the_day(self) -> None:
        """March 6 to 9: yen, a subscription whose card is declined, an order paid in part."""
        self._at("2025-03-06T11:00:00Z")
        self._order("jpy", "emi", self._item("workshop", 3, 7500), self._tax(1856), currency="JPY")
        self._at("2025-03-06T12:00:00Z")
        self._pay("jpy", 24356, "Credit Card (Manual)")
        self._at("2025-03-06T14:00:00Z")
        self._subscribe("declined", "bruno")
        self._at("2025-03-06T14:05:00Z")
        self._bill("declined", charge=False)
        self._at("2025-03-07T10:00:00Z")
        self._order("refund_later", "chloe", self._item("consulting", 2, 150))
        self._at("2025-03-07T11:00:00Z")
        self._pay("refund_later", 300)
        self._at("2025-03-08T10:00:00Z")
        self._order("redated", "femi", self._item("consulting", 1, 150))
        self._at("2025-03-09T10:00:00Z")
        self._order("partly_before_day", "ana", self._item("workshop", 3, 49.99))
        self._at("2025-03-09T11:00:00Z")
        self._pay("partly_before_day", 60)

    def _the_day_and_after(self) -> None:
        """March 10 and 11: either side of midnight, the start point and an order created in the
        same second before it, an order back-dated to before the day, a third subscription."""
        # Either side of midnight in New York: 23:59:30 on the 9th, 00:00:30 on the 10th.
        self._at("2025-03-10T03:59:30Z")
        self._order("evening", "bruno", self._item("mat", 1, 35))
        self._at("2025-03-10T04:00:30Z")
        self._order("midnight", "bruno", self._item("consulting", 1, 138), currency="EUR")
        self._at("2025-03-10T04:10:00Z")
        self._pay("evening", 35)
        # Two orders created in the same second: the start point is the second one.
        self._at("2025-03-10T15:00:00Z")
        self._order("tie", "chloe", self._item("mat", 2, 27.65), currency="GBP")
        self._order(
            "start", "ana", self._item("workshop", 1, 49.99), self._item("consulting", 1, 150)
        )
        self._at("2025-03-10T15:30:00Z")
        self._pay("tie", 55.30)
        self._at("2025-03-10T16:00:00Z")
        self._pay("start", 20)
        # Created after the day, dated before it.
        self._at("2025-03-11T10:00:00Z")
        self._order(
            "backdated", "dev", self._item("consulting", 1, 150), dated="2025-03-07T15:00:00Z"
        )
        self._at("2025-03-11T11:00:00Z")
        self._pay("backdated", 150)
        self._at("2025-03-11T13:00:00Z")
        self._subscribe("late", "emi")
        self._at("2025-03-11T13:05:00Z")
        self._bill("late")
        self._at("2025-03-11T14:00:00Z")
        self._order("after_paid", "dev", self._item("consulting", 1, 250), currency="CAD")
        self._at("2025-03-11T15:00:00Z")
        self._pay("after_paid", 250)
        self._at("2025-03-11T16:00:00Z")
        self._order("after_unpaid", "chloe", self._item("mat", 2, 40), currency="GBP")

    def change(self) -> None:
        """What happens between the first sync and the second."""
        with self._history(until=SECOND_SYNC):
            self._at("2025-03-12T15:00:00Z")
            self._order("new_usd", "ana", self._item("workshop", 1, 49.99))
            self._at("2025-03-12T15:10:00Z")
            self._order("new_gbp", "chloe", self._item("mat", 1, 27.65), currency="GBP")
            self._at("2025-03-12T15:20:00Z")
            self._pay("new_gbp", 27.65)
            self._at("2025-03-12T15:30:00Z")
            self._order(
                "new_backdated",
                "bruno",
                self._item("consulting", 1, 138),
                currency="EUR",
                dated="2025-03-01T12:00:00Z",
            )
            self._at("2025-03-12T15:40:00Z")
            self._pay("new_backdated", 69)
            self._at("2025-03-12T15:50:00Z")
            self._order(
                "new_postdated",
                "emi",
                self._item("workshop", 1, 7500),
                currency="JPY",
                dated="2025-03-20T03:00:00Z",
            )
            self._at("2025-03-12T16:00:00Z")
            self._edit("after_unpaid", order_items=[self._item("mat", 3, 40)])
            self._at("2025-03-12T16:10:00Z")
            self._pay("after_unpaid", 100)
            self._at("2025-03-12T16:20:00Z")
            self._pay("partly_before_day", 89.97)
            self._at("2025-03-12T16:30:00Z")
            self._pay("start", 179.99)
            self._at("2025-03-12T16:40:00Z")
            self._refund("refund_later")
            self._at("2025-03-12T16:50:00Z")
            self._refund("after_paid", 50)
            self._at("2025-03-12T17:00:00Z")
            self._refund("refunded_part", 20)
            self._at("2025-03-12T17:10:00Z")
            self._void("jpy")
            self._at("2025-03-12T17:20:00Z")
            self._edit("redated", order_time="2025-03-11T14:00:00.000Z")
            self._at("2025-03-12T17:30:00Z")
            self._edit(
                "midnight",
                order_items=[self._item("consulting", 1, 138), self._item("mat", 1, 32.20)],
            )
            self._at("2025-03-12T17:40:00Z")
            self._bill("monthly")

    @contextmanager
    def _history(self, until: dt.datetime) -> Iterator[None]:
        """Events at exact moments: the clock stopped, and Keap's limits lifted (a stopped
        clock never starts a new second); then the clock runs on from `until`."""
        self.sandbox.clock.freeze()
        self.sandbox.keap.limits.enabled = False
        try:
            yield
        finally:
            self._switch_currency("USD")
            self.sandbox.keap.limits.enabled = True
            self.sandbox.clock.set(until)
            self.sandbox.clock.set_speed(1)

    def _at(self, moment: str) -> None:
        self.sandbox.clock.set(parse_datetime(moment))

    def _people(self) -> None:
        people = {
            "ana": ("Ana", "Souza", {}),
            "bruno": ("Bruno", "Keller", {"company": {"company_name": "Café Zürich GmbH"}}),
            "chloe": ("Chloé", "Dubois", {}),
            "dev": ("Dev", "Patel", {}),
            "emi": ("Emi", "田中", {}),
            "femi": ("Femi", "Okafor", {}),
        }
        for key, (given, family, extra) in people.items():
            contact = self.api.rest(
                "POST",
                "/contacts",
                {
                    "given_name": given,
                    "family_name": family,
                    "email_addresses": [{"email": f"{key}@example.com", "field": "EMAIL1"}],
                    **extra,
                },
            )
            self.contacts[key] = contact["id"]

    def _catalogue(self) -> None:
        products = {
            "workshop": ("Workshop ticket", "WS-TICKET", 4999),
            "consulting": ("Consulting hour", "CONSULT-1H", 15000),
            "mat": ("Yoga mat", "MAT-01", 3500),
            "membership": ("Monthly membership", "MEMBER-M", 2900),
        }
        for key, (name, sku, price) in products.items():
            product = self.api.rest(
                "POST",
                "/products",
                {"name": name, "sku": sku, "price": price, "short_description": name},
            )
            self.products[key] = product["id"]
        # Subscription plans are set up in Keap's app; REST v2 cannot create them.
        account = self.sandbox.keap.account
        with account.lock:
            plan = account.add_subscription_plan(
                int(self.products["membership"]), "Monthly", "MONTHLY", 1, 2900
            )
        self.plan_id = plan.id

    def _item(self, product: str, quantity: int, price: float) -> dict[str, Any]:
        return {
            "item_type": "PRODUCT",
            "product_id": self.products[product],
            "quantity": quantity,
            "price_per_unit": price,
        }

    def _line(self, kind: str, name: str, price: float) -> dict[str, Any]:
        return {"item_type": kind, "name": name, "quantity": 1, "price_per_unit": price}

    def _tax(self, amount: float) -> dict[str, Any]:
        return self._line("TAX", "Sales tax 8.25%", amount)

    def _order(
        self,
        role: str,
        contact: str,
        *items: dict[str, Any],
        currency: str = "USD",
        dated: str | None = None,
    ) -> None:
        """An order created now in `currency` (the account's currency while it is created),
        dated now unless `dated` says otherwise."""
        self._switch_currency(currency)
        when = parse_datetime(dated) if dated else self.sandbox.clock.now()
        self.orders[role] = self.api.rest(
            "POST",
            "/orders",
            {
                "contact_id": self.contacts[contact],
                "order_title": role.replace("_", " ").capitalize(),
                "order_type": "OFFLINE",
                "order_time": format_datetime(when),
                "order_items": list(items),
            },
        )

    def _switch_currency(self, currency: str) -> None:
        if currency != self._currency:
            self.api.app("/settings", {"currency_code": currency})
            self._currency = currency

    def _edit(self, role: str, **changes: Any) -> None:
        order_id = self.orders[role]["id"]
        self.api.rest("PATCH", f"/orders/{order_id}", changes, update_mask=",".join(changes))

    def _pay(self, role: str, amount: float, method: str = "Check") -> None:
        order_id = self.orders[role]["id"]
        paid = self.api.rest(
            "POST",
            f"/orders/{order_id}/payments",
            {
                "payment_amount": amount,
                "payment_method_type": method,
                "apply_to_commissions": False,
            },
        )
        self.payments.setdefault(role, []).append(paid["id"])

    def _refund(self, role: str, amount: float | None = None) -> None:
        """A refund of the order's first payment (all that is left of it by default)."""
        body = {} if amount is None else {"amount": amount}
        self.api.app(f"/payments/{self.payments[role][0]}/refund", body)

    def _void(self, role: str) -> None:
        self.api.app(f"/payments/{self.payments[role][0]}/void")

    def _subscribe(self, name: str, contact: str, currency: str = "USD") -> None:
        """A subscription in `currency` (the account's while it is created)."""
        self._switch_currency(currency)
        subscription = self.api.app(
            "/subscriptions", {"contact_id": self.contacts[contact], "plan_id": self.plan_id}
        )
        self.subscriptions[name] = subscription["id"]

    def _bill(self, name: str, *, charge: bool = True) -> None:
        self.api.app(f"/subscriptions/{self.subscriptions[name]}/bill", {"charge": charge})


# --- Keap's state at each sync, and what Xero must then hold ------------------------------------


@dataclass(frozen=True)
class KeapState:
    """Keap as a sync found it: its orders as the API shows them, and for each payment received
    (neither a refund nor voided) its order and the amount kept after refunds."""

    orders: dict[str, dict[str, Any]]
    kept: dict[str, tuple[str, Decimal]]  # payment ID -> (order ID, amount kept)

    @classmethod
    def of(cls, sandbox: Sandbox) -> KeapState:
        orders = {o["id"]: o for o in sandbox.dump("keap")["orders"]}
        account = sandbox.keap.account
        with account.lock:
            kept = {
                str(p.id): (
                    str(p.order_id),
                    Money.from_minor(p.amount - p.refunded_amount, p.currency).amount,
                )
                for p in account.payments
                if p.counts
            }
        return cls(orders, kept)


@dataclass(frozen=True)
class ExpectedInvoice:
    currency: str
    total: Decimal
    paid: Decimal
    # Mode 1: Keap's total changed after the invoice was written, which Xero must not follow.
    edited_since_written: bool = False


@dataclass(frozen=True)
class Books:
    """What an organisation must hold: invoices by Keap invoice ID, and the amount of each
    Keap payment in it (by Keap payment ID)."""

    invoices: dict[str, ExpectedInvoice]
    payments: dict[str, Decimal]


def expected_books(story: Story, mode: int, start: str, states: Sequence[KeapState]) -> Books:
    """What Xero holds after one sync per state, by the product's rules:

    - mode 1: every invoice the start point admits that was new at a sync, as it was then (later
      changes are not read), with no payment;
    - mode 2: every invoice admitted at a sync, as it is now, with every payment kept;
    - mode 3: every invoice admitted and paid in full at a sync, as it is now (a refund or void
      after it landed reopens it), with every payment kept;
    - mode 4: nothing.
    """
    if MODES[mode] is None:
        return Books({}, {})
    written: dict[str, dict[str, Any]] = {}
    earlier: set[str] = set()
    for state in states:
        for order_id, order in state.orders.items():
            if not story.admits(start, order):
                continue
            if mode == 1 and order_id not in earlier:
                written.setdefault(order_id, order)
            elif mode == 2 or (mode == 3 and paid_in_full(order)):
                written[order_id] = order
        earlier |= set(state.orders)
    latest = states[-1]
    if mode != 1:
        written = {order_id: latest.orders[order_id] for order_id in written}
    invoices = {
        order["invoice_id"]: ExpectedInvoice(
            currency=order["total"]["currency_code"],
            total=keap_total(order),
            paid=Decimal(0) if mode == 1 else keap_kept(order),
            edited_since_written=keap_total(order) != keap_total(latest.orders[order["id"]]),
        )
        for order in written.values()
    }
    payments = {
        payment_id: amount
        for payment_id, (order_id, amount) in latest.kept.items()
        if mode != 1 and order_id in written and amount > 0
    }
    return Books(invoices, payments)


def assert_books(xero: dict[str, Any], expected: Books) -> None:
    """The organisation holds exactly the expected invoices, each once, with its currency,
    total, amount paid and amount due to the cent, and exactly the expected payments."""
    numbers = Counter(invoice["InvoiceNumber"] for invoice in xero["invoices"])
    assert set(numbers) == set(expected.invoices), (
        f"invoices in Xero but not expected: {sorted(set(numbers) - set(expected.invoices))}; "
        f"expected but not in Xero: {sorted(set(expected.invoices) - set(numbers))}"
    )
    twice = sorted(number for number, count in numbers.items() if count > 1)
    assert not twice, f"invoices in Xero twice: {twice}"
    for invoice in xero["invoices"]:
        number, want = invoice["InvoiceNumber"], expected.invoices[invoice["InvoiceNumber"]]
        found = (
            invoice["CurrencyCode"],
            money(invoice["Total"]),
            money(invoice["AmountPaid"]),
            money(invoice["AmountDue"]),
        )
        wanted = (want.currency, want.total, want.paid, want.total - want.paid)
        assert found == wanted, (
            f"invoice {number}: (currency, total, paid, due) {found}, not {wanted}"
        )
    live = live_xero_payments(xero)
    wanted_payments = {i: [amount] for i, amount in expected.payments.items()}
    assert live == wanted_payments, f"Keap payments in Xero {live}, expected {wanted_payments}"
    if not expected.payments:
        assert xero["payments"] == [], f"no payment at all: {xero['payments']}"


def assert_written_as_first_read(xero: dict[str, Any], expected: Books) -> None:
    """Mode 1 reads new invoices only: one edited in Keap after it was written stays in Xero as
    it was first read."""
    edited = {n: i.total for n, i in expected.invoices.items() if i.edited_since_written}
    in_xero = {i["InvoiceNumber"]: money(i["Total"]) for i in xero["invoices"]}
    found = {n: in_xero.get(n) for n in edited}
    assert found == edited, f"totals in Xero {found}, as first read {edited}"


# --- a cell's connection -------------------------------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """What a cell's Keap → Xero connection is configured with."""

    catalog: dict[str, Any] | None  # None: no connection (mode 4)
    start_from: dict[str, Any]
    keap_refresh_token: str
    xero: dict[str, str]  # client_id, client_secret, tenant_id of its custom connection


def connection(story: Story, mode: int, start: str) -> Connection:
    """A cell's connection, into a fresh Xero organisation with a custom connection of its own
    (its own rate limits), with a Keap refresh token of its own (each is used once)."""
    url, name = story.sandbox.url, f"mode {mode} from {start.replace('_', ' ')}"
    tenant_id = str(uuid.uuid4())
    client = {"client_id": f"matrix-{mode}-{start}", "client_secret": uuid.uuid4().hex}
    for path, body in (
        ("tenants", {"name": f"Keap sales, {name}", "tenant_id": tenant_id}),
        ("apps", {**client, "kind": "custom", "tenant_id": tenant_id, "name": name}),
    ):
        requests.post(f"{url}/_sandbox/xero/{path}", json=body, timeout=30).raise_for_status()
    token = requests.post(f"{url}/_sandbox/keap/oauth/refresh-token", timeout=30)
    token.raise_for_status()
    return Connection(
        catalog=configured_catalog(mode),
        start_from=story.start_from(start),
        keap_refresh_token=token.json()["refresh_token"],
        xero={**client, "tenant_id": tenant_id},
    )
