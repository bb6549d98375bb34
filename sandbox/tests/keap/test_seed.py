"""Seeded accounts: deterministic, realistic in their mix, consistent with the account's own rules,
and served through the API like any other data."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest

from invoice_model.dates import parse_datetime
from keap_xero_sandbox import Sandbox

END = "2025-06-30T00:00:00Z"


def seeded(sandbox: Sandbox, **options) -> dict:
    return sandbox.seed(keap={"end": END, **options})["keap"]


def test_the_same_options_make_the_same_account(keap_sandbox):
    first = seeded(keap_sandbox, seed=7, orders=40, synced_orders=3)
    first_state = keap_sandbox.dump("keap")
    keap_sandbox.reset()
    keap_sandbox.clock.freeze()
    second = seeded(keap_sandbox, seed=7, orders=40, synced_orders=3)
    second_state = keap_sandbox.dump("keap")
    keap_sandbox.reset()
    keap_sandbox.clock.freeze()
    seeded(keap_sandbox, seed=8, orders=40, synced_orders=3)

    assert first == second
    assert first_state == second_state
    assert keap_sandbox.dump("keap")["orders"] != first_state["orders"]


def test_a_seeded_account_has_the_mix_a_real_one_has(keap_sandbox):
    summary = seeded(keap_sandbox, orders=300, contacts=60, subscriptions=4, synced_orders=5)
    state = keap_sandbox.dump("keap")

    contacts, orders = state["contacts"], state["orders"]
    assert sum(not c["email_addresses"] for c in contacts) > 0
    assert sum("company" in c for c in contacts) > 0
    assert any(not c["given_name"].isascii() for c in contacts)
    assert {o["total"]["currency_code"] for o in orders} >= {"USD", "EUR", "GBP", "JPY"}
    kinds = Counter(item["item_type"] for o in orders for item in o["order_items"])
    assert kinds.keys() >= {"PRODUCT", "SHIPPING", "TAX", "DISCOUNT_ORDER_TOTAL", "SUBSCRIPTION"}
    statuses = Counter(o["status"] for o in orders)
    assert statuses.keys() >= {"DRAFT", "SENT", "VIEWED", "PAID"}
    assert set(summary["samples"]) >= {
        "paid_order_id",
        "partially_paid_order_id",
        "unpaid_order_id",
        "refunded_order_id",
        "voided_order_id",
        "payment_plan_order_id",
        "subscription_order_id",
        "synced_order_id",
        "foreign_currency_order_id",
    }
    assert summary["refunds"] > 0
    assert summary["voided_payments"] > 0
    assert summary["orders"] == 300 + 5 + summary["subscription_orders"]


def test_seeded_history_obeys_the_accounts_rules(keap_sandbox):
    seeded(keap_sandbox, orders=200, subscriptions=3)
    state = keap_sandbox.dump("keap")
    end = parse_datetime(END)

    counted: Counter[str] = Counter()
    for payment in state["payments"]:
        assert parse_datetime(payment["payment_time"]) <= end
        if payment["status"] != "NONE" and payment["amount"] > 0:
            counted[payment["order_ids"][0]] += round(payment["amount"] * 1000)
    for order in state["orders"]:
        lines = sum(
            i["quantity"] * i["price_per_unit"]["amount"] - i["discount"]["amount"]
            for i in order["order_items"]
        )
        assert order["total"]["amount"] == lines
        assert order["total_due"]["amount"] == lines - order["total_paid"]["amount"]
        digits = {"JPY": 0}.get(order["total"]["currency_code"], 2)
        assert order["total_paid"]["amount"] * 10 ** (3 - digits) == counted[order["id"]]
        assert (order["status"] == "PAID") == (order["total_due"]["amount"] == 0)
        assert order["creation_time"] <= order["modification_time"]
        assert parse_datetime(order["modification_time"]) <= end
    # IDs were given as the history happened.
    by_id = sorted(state["orders"], key=lambda o: int(o["id"]))
    assert [o["creation_time"] for o in by_id] == sorted(o["creation_time"] for o in by_id)
    payments = sorted(state["payments"], key=lambda p: int(p["id"]))
    assert [p["payment_time"] for p in payments] == sorted(p["payment_time"] for p in payments)


def test_invoice_ids_drift_from_order_ids(keap_sandbox):
    summary = seeded(keap_sandbox, orders=50, subscriptions=3)
    state = keap_sandbox.dump("keap")

    without_orders = [i for i in state["invoices"] if i["order_id"] is None]
    assert len(without_orders) == 3
    assert all(i["subscription_id"] for i in without_orders)
    assert summary["invoices"] == summary["orders"] + 3
    last = max(state["orders"], key=lambda o: int(o["id"]))
    assert int(last["invoice_id"]) - int(last["id"]) > 100


def test_back_and_post_dated_orders_carry_an_invoice_date_days_from_their_creation(keap_sandbox):
    summary = seeded(keap_sandbox, orders=200, backdated=0.1, postdated=0.1)
    orders = keap_sandbox.dump("keap")["orders"]

    def days_dated_after_creation(order: dict) -> float:
        shift = parse_datetime(order["order_time"]) - parse_datetime(order["creation_time"])
        return shift / dt.timedelta(days=1)

    shifts = [days_dated_after_creation(o) for o in orders]
    assert sum(s <= -1 for s in shifts) == summary["backdated_orders"] > 0
    assert sum(s >= 1 for s in shifts) == summary["postdated_orders"] > 0
    assert all(-60 <= s <= 30 for s in shifts)
    assert all(o["due_time"] > o["order_time"] for o in orders if "due_time" in o)
    plain = seeded(keap_sandbox, orders=20)
    assert (plain["backdated_orders"], plain["postdated_orders"]) == (0, 0)


def test_synced_orders_carry_the_xero_invoice_id_and_can_be_found(keap_sandbox, api):
    summary = seeded(keap_sandbox, orders=30, synced_orders=4)
    field = summary["xero_invoice_field"]

    marked = [
        o
        for o in api.all("/orders", "orders")
        if any(v["id"] == field["id"] and v["content"] for v in o["custom_fields"])
    ]
    one = marked[0]
    value = next(v["content"] for v in one["custom_fields"] if v["id"] == field["id"])
    found = api.get("/orders", filter=f"{field['field_name']}=={value}").json()["orders"]

    assert len(marked) == 4
    assert all(o["source_type"] == "API" for o in marked)
    assert [o["id"] for o in found] == [one["id"]]


def test_seeded_data_is_served_spec_shaped_through_every_list(keap_sandbox, api):
    seeded(keap_sandbox, orders=120, subscriptions=2, synced_orders=2, contacts=30)

    orders = api.all("/orders", "orders", order_by="modification_time asc", page_size=50)
    payments = api.all("/sales/payments", "payments", page_size=100)
    contacts = api.all(
        "/contacts", "contacts", fields="given_name,family_name,company,addresses,phone_numbers"
    )
    products = api.all("/products", "products")
    for order in orders[:40]:
        api.get(f"/orders/{order['id']}/payments")

    assert len(orders) == len(keap_sandbox.keap.account.orders)
    assert len(payments) == len(keap_sandbox.keap.account.payments)
    assert len(contacts) == 30
    assert len(products) == 8
    times = [o["modification_time"] for o in orders]
    assert times == sorted(times)


def test_seed_options_are_checked(keap_sandbox, raw):
    response = raw.post("/_sandbox/seed", {"keap": {"orders": 5, "colour": "blue"}})
    ratios = raw.post("/_sandbox/seed", {"keap": {"paid": 0.8, "refunded": 0.5}})
    dating = raw.post("/_sandbox/seed", {"keap": {"backdated": 0.7, "postdated": 0.5}})
    currency = raw.post("/_sandbox/seed", {"keap": {"currencies": {"XAU": 1}}})

    assert response.status_code == 400
    assert "colour" in response.json()["error"]
    assert ratios.status_code == 400
    assert dating.status_code == 400
    assert currency.status_code == 400
    assert len(keap_sandbox.keap.account.orders) == 0


def test_seeding_over_http_returns_the_summary_and_credentials(keap_sandbox, raw):
    response = raw.post("/_sandbox/seed", {"keap": {"orders": 10, "end": END}})
    state = raw.get("/_sandbox/state", api="keap").json()

    summary = response.json()["keap"]
    assert response.status_code == 200
    assert summary["one_time_orders"] == 10
    assert summary["credentials"]["client_id"] == "keap-sandbox-client"
    assert len(state["orders"]) == summary["orders"]


def test_seeding_defaults_to_history_ending_today(keap_sandbox):
    summary = keap_sandbox.seed(keap={"orders": 5})["keap"]

    today = dt.datetime.combine(keap_sandbox.clock.now().date(), dt.time(), tzinfo=dt.UTC)
    assert parse_datetime(summary["end"]) == today


@pytest.mark.slow
def test_an_account_of_50000_orders_is_seeded_in_seconds_and_read_by_page(keap_sandbox, api):
    started = time.perf_counter()
    summary = keap_sandbox.seed(keap={"orders": 50_000, "contacts": 5_000, "end": END})["keap"]
    seeded_in = time.perf_counter() - started

    first = api.get(
        "/orders",
        filter="modified_since_time==2025-06-01T00:00:00.000Z",
        order_by="modification_time asc",
        page_size=1000,
    ).json()
    second = api.get(
        "/orders",
        filter="modified_since_time==2025-06-01T00:00:00.000Z",
        order_by="modification_time asc",
        page_size=1000,
        page_token=first["next_page_token"],
    ).json()
    page_ids = [o["id"] for o in first["orders"]]
    contacts = api.get(
        "/contacts",
        filter=f"ids=={','.join(o['contact']['id'] for o in first['orders'])}",
        fields="given_name,family_name,company,email_addresses,phone_numbers,addresses",
        page_size=1000,
    ).json()
    payments = api.all(
        "/sales/payments", "payments", filter=f"order_ids=={','.join(page_ids)}", page_size=1000
    )

    print(f"seeded {summary['orders']} orders, {summary['payments']} payments in {seeded_in:.1f}s")
    assert summary["one_time_orders"] == 50_000
    assert len(first["orders"]) == len(second["orders"]) == 1000
    assert first["orders"][-1]["modification_time"] <= second["orders"][0]["modification_time"]
    assert len(contacts["contacts"]) == len({o["contact"]["id"] for o in first["orders"]})
    assert {p["order_ids"][0] for p in payments} <= set(page_ids)
    assert len(payments) >= sum(o["total_paid"]["amount"] > 0 for o in first["orders"])
