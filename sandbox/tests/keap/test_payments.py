"""Payments: recording them against orders, what they do to the order, listing them per order
and account-wide, refunds and voids."""

from __future__ import annotations

import pytest

from invoice_model.dates import format_datetime

from .conftest import amount


def test_a_payment_raises_total_paid_and_bumps_the_order(keap_sandbox, api, shop):
    order = shop.order()  # 100.00
    keap_sandbox.clock.advance(30)

    result = shop.pay(order["id"], 40.25, notes="Deposit")
    after = api.get(f"/orders/{order['id']}").json()

    assert result["invoice_id"] == order["invoice_id"]
    assert result["payment_amount"] == 40.25
    assert amount(after["total_paid"]) == 4025
    assert amount(after["total_due"]) == 5975
    assert after["status"] == "DRAFT"
    assert after["modification_time"] == format_datetime(keap_sandbox.clock.now())


def test_paying_the_balance_makes_the_order_paid(api, shop):
    order = shop.order(sent_time="2024-03-01T16:00:00Z")
    shop.pay(order["id"], 60)
    shop.pay(order["id"], 40)

    after = api.get(f"/orders/{order['id']}").json()

    assert after["status"] == "PAID"
    assert amount(after["total_due"]) == 0
    paid = api.get("/orders", filter="paid==true").json()["orders"]
    assert [o["id"] for o in paid] == [order["id"]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"payment_amount": 100.01}, "exceeds the balance due"),
        ({"payment_amount": -1}, "negative"),
        ({"payment_method_type": "Bitcoin"}, "Invalid payment_method_type 'Bitcoin'"),
        ({"payment_method_type": "check"}, "Invalid payment_method_type 'check'"),
        ({"payment_method_type": None}, "payment_method_id or payment_method_type"),
        ({"payment_method_id": "77", "payment_method_type": None}, "Payment method with ID 77"),
        ({"payment_amount": None}, "payment_amount"),
        ({"apply_to_commissions": None}, "apply_to_commissions"),
        ({"payment_amount": "100"}, "must be a number"),
    ],
)
def test_a_payment_keap_would_refuse_is_a_400(api, shop, body, message):
    order = shop.order()
    payment = {
        "payment_amount": 10,
        "payment_method_type": "Check",
        "apply_to_commissions": False,
        **body,
    }
    payment = {k: v for k, v in payment.items() if v is not None}

    response = api.post(f"/orders/{order['id']}/payments", payment)

    assert response.status_code == 400
    assert message in response.json()["message"]
    assert amount(api.get(f"/orders/{order['id']}").json()["total_paid"]) == 0


def test_a_payment_on_an_unknown_order_is_a_404(api):
    response = api.post(
        "/orders/999/payments",
        {"payment_amount": 1, "payment_method_type": "Cash", "apply_to_commissions": False},
    )

    assert response.status_code == 404


def test_a_payment_may_be_dated_in_the_past(api, shop):
    order = shop.order()

    shop.pay(order["id"], 10, payment_time="2024-03-05T09:30:00Z")
    listed = api.get("/sales/payments").json()["payments"]

    assert listed[0]["payment_time"] == "2024-03-05T09:30:00.000Z"
    assert listed[0]["update_time"] != listed[0]["payment_time"]


def test_payments_of_an_order_are_listed_with_their_invoice(api, shop):
    order = shop.order()
    first = shop.pay(order["id"], 10, apply_to_commissions=True)
    second = shop.pay(order["id"], 20, payment_method_type="Cash")

    listed = api.get(f"/orders/{order['id']}/payments").json()

    rows = listed["invoice_order_payments"]
    assert [r["payment_id"] for r in rows] == [first["id"], second["id"]]
    assert [r["amount"] for r in rows] == [10, 20]
    assert {r["invoice_id"] for r in rows} == {order["invoice_id"]}
    assert [r["pay_status"] for r in rows] == ["MANUAL_PAID", "MANUAL_PAID"]
    assert [r["skip_commission"] for r in rows] == [False, True]
    assert listed["next_page_token"] == ""


def test_payments_of_an_order_filter_sort_and_page(api, shop):
    order = shop.order()
    for value in (30, 10, 20):
        shop.pay(order["id"], value)
    path = f"/orders/{order['id']}/payments"

    by_amount = api.all(path, "invoice_order_payments", order_by="amount desc", page_size=2)
    twenty = api.get(path, filter="amount==20").json()["invoice_order_payments"]
    bad = api.get(path, filter="amount>20")

    assert [r["amount"] for r in by_amount] == [30, 20, 10]
    assert [r["amount"] for r in twenty] == [20]
    assert bad.status_code == 400
    assert api.get("/orders/999/payments").status_code == 404


def test_account_payments_filter_on_payment_time_inclusive(keap_sandbox, api, shop):
    order = shop.order()
    for day in ("2024-03-01", "2024-03-02", "2024-03-03"):
        shop.pay(order["id"], 10, payment_time=f"{day}T12:00:00Z")

    within = api.get(
        "/sales/payments",
        filter="since_time==2024-03-02T12:00:00.000Z;until_time==2024-03-03T12:00:00.000Z",
    ).json()["payments"]
    newest_first = api.get("/sales/payments", order_by="payment_time desc").json()["payments"]

    assert [p["payment_time"][:10] for p in within] == ["2024-03-02", "2024-03-03"]
    assert [p["payment_time"][:10] for p in newest_first] == [
        "2024-03-03",
        "2024-03-02",
        "2024-03-01",
    ]


def test_account_payments_are_found_by_order_ids_in_one_call(api, shop):
    orders = [shop.order() for _ in range(4)]
    for order in orders:
        shop.pay(order["id"], 25)

    wanted = f"{orders[0]['id']},{orders[2]['id']}"
    found = api.get("/sales/payments", filter=f"order_ids=={wanted}").json()["payments"]
    one = api.get("/sales/payments", filter=f"order_id=={orders[3]['id']}").json()["payments"]

    assert [p["order_ids"] for p in found] == [[orders[0]["id"]], [orders[2]["id"]]]
    assert found[0]["type"] == "Check"
    assert found[0]["status"] == "COMPLETED"
    assert found[0]["amount"] == 25
    assert found[0]["contact_id"] == orders[0]["contact"]["id"]
    assert [p["order_ids"] for p in one] == [[orders[3]["id"]]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("amount>=20", [20, 30]),
        ("amount!=20", [10, 30]),
        ("id>1;id<=2", [20]),
        ("ids==1,3", [10, 30]),
    ],
)
def test_account_payments_filters(api, shop, text, expected):
    order = shop.order()
    for value in (10, 20, 30):
        shop.pay(order["id"], value)

    listed = api.get("/sales/payments", filter=text).json()["payments"]

    assert [p["amount"] for p in listed] == expected


def test_a_refund_is_a_negative_payment_and_the_order_stays_paid(keap_sandbox, api, shop, raw):
    order = shop.order()
    paid = shop.pay(order["id"], 100)
    keap_sandbox.clock.advance(3600)

    refund = raw.post(
        f"/_sandbox/keap/payments/{paid['id']}/refund", {"amount": 30, "note": "Oops"}
    )
    after = api.get(f"/orders/{order['id']}").json()
    payments = api.get("/sales/payments", filter=f"order_id=={order['id']}").json()["payments"]
    rows = api.get(f"/orders/{order['id']}/payments").json()["invoice_order_payments"]

    assert refund.status_code == 201
    assert [(p["amount"], p["type"]) for p in payments] == [(100, "Check"), (-30, "Refund")]
    assert payments[0]["refund_payment_id"] == payments[1]["id"]
    assert payments[0]["update_time"] == format_datetime(keap_sandbox.clock.now())
    assert after["status"] == "PAID"
    assert amount(after["total_paid"]) == 10000
    assert amount(after["refund_total"]) == 3000
    assert after["refund_status"] == "PARTIALLY_REFUNDED"
    assert after["modification_time"] == format_datetime(keap_sandbox.clock.now())
    assert [(r["amount"], r["pay_status"]) for r in rows] == [
        (100, "MANUAL_PAID"),
        (-30, "REFUNDED"),
    ]
    assert rows[0]["refund_invoice_payment_id"] == rows[1]["id"]


def test_a_full_refund_marks_the_payment_refunded(api, shop, raw):
    order = shop.order()
    paid = shop.pay(order["id"], 100)

    raw.post(f"/_sandbox/keap/payments/{paid['id']}/refund", {})
    again = raw.post(f"/_sandbox/keap/payments/{paid['id']}/refund", {})

    rows = api.get(f"/orders/{order['id']}/payments").json()["invoice_order_payments"]
    after = api.get(f"/orders/{order['id']}").json()
    assert [r["pay_status"] for r in rows] == ["REFUNDED", "REFUNDED"]
    assert after["refund_status"] == "REFUNDED"
    assert again.status_code == 400


def test_a_voided_payment_stops_counting(keap_sandbox, api, shop, raw):
    order = shop.order(sent_time="2024-03-01T16:00:00Z")
    paid = shop.pay(order["id"], 100)
    keap_sandbox.clock.advance(60)

    voided = raw.post(f"/_sandbox/keap/payments/{paid['id']}/void")
    after = api.get(f"/orders/{order['id']}").json()
    rows = api.get(f"/orders/{order['id']}/payments").json()["invoice_order_payments"]
    listed = api.get("/sales/payments").json()["payments"]

    assert voided.json()["status"] == "NONE"
    assert after["status"] == "SENT"
    assert amount(after["total_paid"]) == 0
    assert after["modification_time"] == format_datetime(keap_sandbox.clock.now())
    assert [r["pay_status"] for r in rows] == ["VOIDED"]
    assert [(p["amount"], p["status"]) for p in listed] == [(100, "NONE")]
    assert raw.post(f"/_sandbox/keap/payments/{paid['id']}/void").status_code == 400
    assert raw.post(f"/_sandbox/keap/payments/{paid['id']}/refund", {}).status_code == 400


def test_a_refunded_payment_cannot_be_voided(shop, raw):
    order = shop.order()
    paid = shop.pay(order["id"], 100)
    raw.post(f"/_sandbox/keap/payments/{paid['id']}/refund", {"amount": 1})

    assert raw.post(f"/_sandbox/keap/payments/{paid['id']}/void").status_code == 400


def test_payments_pay_a_plans_instalments_in_order(api, shop):
    order = shop.order()
    api.patch(
        f"/orders/{order['id']}",
        {
            "payment_plan": {
                "plan_start_date": "2024-04-01",
                "number_of_payments": 4,
                "days_between_payments": 30,
            }
        },
    )

    shop.pay(order["id"], 40)
    plan = api.get(f"/orders/{order['id']}").json()["payment_plan"]

    items = plan["payment_plan_items"]
    assert [amount(i["amount_paid"]) for i in items] == [2500, 1500, 0, 0]
    assert [i["status"] for i in items] == [
        "PAID",
        "UNPAID_MANUAL",
        "UNPAID_MANUAL",
        "UNPAID_MANUAL",
    ]


def test_payment_types_follow_the_accounts_settings(api, shop, raw):
    order = shop.order()
    raw.post("/_sandbox/keap/settings", {"manual_payment_types": ["Zelle"]})

    zelle = api.post(
        f"/orders/{order['id']}/payments",
        {"payment_amount": 5, "payment_method_type": "Zelle", "apply_to_commissions": False},
    )
    check = api.post(
        f"/orders/{order['id']}/payments",
        {"payment_amount": 5, "payment_method_type": "Check", "apply_to_commissions": False},
    )

    assert zelle.status_code == 201
    assert check.status_code == 400
