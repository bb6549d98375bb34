"""Keap's control routes under `/_sandbox/keap`: settings, and what they refuse."""

from __future__ import annotations

import pytest


def test_settings_are_read_and_changed(raw):
    before = raw.get("/_sandbox/keap/settings").json()
    changed = raw.post(
        "/_sandbox/keap/settings",
        {"currency_code": "EUR", "manual_payment_types": ["Cash", "Bank transfer"]},
    ).json()

    assert before["manual_payment_types"] == [
        "Credit Card (Manual)",
        "Check",
        "Cash",
        "Money Order",
        "Adjustment",
    ]
    assert before["business_profile"]["currency_code"] == "USD"
    assert changed["business_profile"]["currency_code"] == "EUR"
    assert changed["manual_payment_types"] == ["Cash", "Bank transfer"]


def test_orders_take_the_accounts_currency(raw, shop):
    raw.post("/_sandbox/keap/settings", {"currency_code": "JPY"})

    order = shop.order()

    assert order["total"] == {"amount": 100, "currency_code": "JPY", "formatted_amount": "100"}


def test_a_reset_restores_the_default_account(keap_sandbox, raw, shop):
    raw.post("/_sandbox/keap/settings", {"currency_code": "EUR"})
    shop.order()
    keap_sandbox.keap.limits.configure("key_second", 1)

    raw.post("/_sandbox/reset")

    state = raw.get("/_sandbox/state", api="keap").json()
    assert state["orders"] == []
    assert state["business_profile"]["currency_code"] == "USD"
    assert [f["field_name"] for f in state["order_custom_fields"]] == ["XeroInvoiceID"]
    assert keap_sandbox.keap.limits.limit_of("key_second") == 10


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/_sandbox/keap/payments/99/refund", {}, 404),
        ("/_sandbox/keap/payments/99/void", None, 404),
        ("/_sandbox/keap/orders/99/view", None, 404),
        ("/_sandbox/keap/subscriptions", {"contact_id": "1"}, 400),
        ("/_sandbox/keap/subscriptions", {"contact_id": "99", "plan_id": "1"}, 400),
        ("/_sandbox/keap/subscriptions/99/bill", {}, 404),
        ("/_sandbox/keap/settings", {"manual_payment_types": "Cash"}, 400),
        ("/_sandbox/keap/settings", ["not", "an", "object"], 400),
    ],
)
def test_control_routes_refuse_what_makes_no_sense(raw, path, body, status):
    response = raw.post(path, body)

    assert response.status_code == status
    assert response.json()["error"]


def test_a_refund_amount_must_fit_the_currency(shop, raw):
    order = shop.order()
    paid = shop.pay(order["id"], 100)

    response = raw.post(f"/_sandbox/keap/payments/{paid['id']}/refund", {"amount": 1.005})

    assert response.status_code == 400


def test_the_application_configuration_lists_the_manual_payment_types(api, raw):
    raw.post("/_sandbox/keap/settings", {"manual_payment_types": ["Cash", "Bank transfer"]})

    plain = api.get("/settings/applications:getConfiguration")
    with_ecommerce = api.get("/settings/applications:getConfiguration", fields="ECOMMERCE")
    unknown = api.get("/settings/applications:getConfiguration", fields="ORDERS")

    assert plain.status_code == 200
    assert set(plain.json()) == {"application"}
    assert plain.json()["application"]["time_zone"] == "America/New_York"
    ecommerce = with_ecommerce.json()["ecommerce"]
    assert ecommerce["payment_types"] == "Cash,Bank transfer"
    assert ecommerce["currency"] == "USD"
    assert unknown.status_code == 400


def test_an_order_custom_field_removed_in_the_app_leaves_the_orders(api, raw, shop):
    model = api.get("/orders/model").json()
    field = model["custom_fields"][0]
    order = shop.order(custom_fields=[{"id": field["id"], "content": "a-xero-id"}])

    removed = raw.delete(f"/_sandbox/keap/orders/model/customFields/{field['id']}")
    again = raw.delete(f"/_sandbox/keap/orders/model/customFields/{field['id']}")

    assert removed.status_code == 204
    assert again.status_code == 404
    assert api.get("/orders/model").json()["custom_fields"] == []
    assert api.get(f"/orders/{order['id']}").json()["custom_fields"] == []
    filtered = api.get("/orders", filter=f"{field['field_name']}==a-xero-id")
    assert filtered.status_code == 400
