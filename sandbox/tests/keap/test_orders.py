"""Orders: creating them with the spec's required fields and item types, their invoice IDs,
totals and statuses, reading one, PATCH with `update_mask`, and deleting."""

from __future__ import annotations

import pytest

from invoice_model.dates import format_datetime

from .conftest import amount


def test_an_order_is_created_with_its_lines_and_totals(keap_sandbox, api, shop):
    contact = shop.contact()
    product = shop.product(name="Yoga mat", sku="MAT-01", price=3500)

    response = api.post(
        "/orders",
        {
            "contact_id": contact["id"],
            "order_title": "Studio order",
            "order_type": "ONLINE",
            "order_time": "2024-05-21T23:00:00Z",
            "order_items": [
                {"product_id": product["id"], "quantity": 2},
                {"item_type": "SHIPPING", "name": "Shipping", "quantity": 1, "price_per_unit": 7.5},
                {
                    "item_type": "DISCOUNT_ORDER_TOTAL",
                    "name": "Spring promo",
                    "quantity": 1,
                    "price_per_unit": 10,
                },
                {"item_type": "TAX", "name": "Sales tax", "quantity": 1, "price_per_unit": 5.16},
                {"item_type": "FEE", "name": "Card fee", "quantity": 1, "price_per_unit": 1.25},
            ],
        },
    )

    assert response.status_code == 201, response.text
    order = response.json()
    lines = order["order_items"]
    assert [line["item_type"] for line in lines] == [
        "PRODUCT",
        "SHIPPING",
        "DISCOUNT_ORDER_TOTAL",
        "TAX",
        "FEE",
    ]
    assert lines[0]["name"] == "Yoga mat"
    assert lines[0]["product"]["sku"] == "MAT-01"
    assert amount(lines[0]["price_per_unit"]) == 3500
    assert amount(lines[2]["price_per_unit"]) == -1000
    assert amount(order["total"]) == 7000 + 750 - 1000 + 516 + 125
    assert amount(order["total_due"]) == amount(order["total"])
    assert amount(order["total_paid"]) == 0
    assert order["total"]["currency_code"] == "USD"
    assert order["status"] == "DRAFT"
    assert order["source_type"] == "API"
    assert order["contact"] == {
        "id": contact["id"],
        "email": "zoe1@example.com",
        "given_name": "Zoë",
        "family_name": "Fernández",
    }
    now = format_datetime(keap_sandbox.clock.now())
    assert order["creation_time"] == order["modification_time"] == now
    assert order["order_time"] == "2024-05-21T23:00:00.000Z"


def test_order_ids_and_invoice_ids_come_from_separate_sequences(shop):
    first, second = shop.order(), shop.order()

    assert (first["id"], second["id"]) == ("1", "2")
    assert (first["invoice_id"], second["invoice_id"]) == ("101", "102")


def test_subscriptions_take_invoice_ids_so_the_sequences_drift(keap_sandbox, api, shop, raw):
    contact = shop.contact()
    product = shop.product(name="Monthly membership", price=2900)
    plan = keap_sandbox.keap.account.add_subscription_plan(
        int(product["id"]), "Monthly", "MONTHLY", 1, 2900
    )
    before = shop.order(contact["id"])

    subscription = raw.post(
        "/_sandbox/keap/subscriptions", {"contact_id": contact["id"], "plan_id": plan.id}
    ).json()
    billed = raw.post(f"/_sandbox/keap/subscriptions/{subscription['id']}/bill", {}).json()
    after = shop.order(contact["id"])

    assert int(subscription["invoice_id"]) == int(before["invoice_id"]) + 1
    assert billed["order_items"][0]["item_type"] == "SUBSCRIPTION"
    assert billed["order_items"][0]["subscription_id"] == subscription["id"]
    assert billed["status"] == "PAID"
    assert int(billed["id"]) == int(before["id"]) + 1
    assert int(after["id"]) - int(before["id"]) == 2
    assert int(after["invoice_id"]) - int(before["invoice_id"]) == 3
    listed = api.get("/orders", filter=f"invoice_id=={billed['invoice_id']}").json()["orders"]
    assert [o["id"] for o in listed] == [billed["id"]]


def test_a_sent_order_is_sent_and_a_viewed_one_viewed(shop, raw):
    order = shop.order(sent_time="2024-03-02T10:00:00Z", due_time="2024-04-01T10:00:00Z")

    viewed = raw.post(f"/_sandbox/keap/orders/{order['id']}/view").json()

    assert order["status"] == "SENT"
    assert order["due_time"] == "2024-04-01T10:00:00.000Z"
    assert viewed["status"] == "VIEWED"


def test_an_order_takes_the_xero_invoice_id_custom_field(api, shop):
    model = api.get("/orders/model").json()
    field = next(f for f in model["custom_fields"] if f["label"] == "Xero Invoice ID")

    order = shop.order(custom_fields=[{"id": field["id"], "content": "d3e2b1a0-0000-4000-8000-1"}])

    assert {"id": field["id"], "content": "d3e2b1a0-0000-4000-8000-1"} in order["custom_fields"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"contact_id": None}, "contact_id"),
        ({"order_title": None}, "order_title"),
        ({"order_type": "RETAIL"}, "order_type"),
        ({"order_time": "2024-05-21"}, "order_time"),
        ({"contact_id": "999"}, "Contact with ID 999 not found"),
        ({"order_items": [{"item_type": "PRODUCT", "quantity": 1}]}, "product_id"),
        ({"order_items": [{"item_type": "OTHER", "quantity": 0}]}, "quantity"),
        ({"order_items": [{"item_type": "OTHER", "name": "  ", "quantity": 1}]}, "blank"),
        ({"order_items": [{"product_id": "999", "quantity": 1}]}, "Product with ID 999"),
        ({"order_items": [{"item_type": "TIP", "quantity": 1}]}, "item_type"),
        (
            {"order_items": [{"item_type": "SUBSCRIPTION", "product_id": "1", "quantity": 1}]},
            "subscription_plan_id",
        ),
        (
            {"order_items": [{"item_type": "OTHER", "quantity": 1, "price_per_unit": -5}]},
            "negative",
        ),
        ({"custom_fields": [{"id": "77", "content": "x"}]}, "custom field with ID 77"),
    ],
)
def test_an_order_keap_would_refuse_is_a_400(api, shop, change, message):
    contact = shop.contact()
    shop.product()
    body = {
        "contact_id": contact["id"],
        "order_title": "Spring workshop",
        "order_type": "OFFLINE",
        "order_time": "2024-03-01T15:00:00Z",
        **change,
    }
    body = {k: v for k, v in body.items() if v is not None}

    response = api.post("/orders", body)

    assert response.status_code == 400
    assert message.lower() in response.json()["message"].lower()
    assert response.json()["status"] == "Bad Request"
    assert api.get("/orders").json()["orders"] == []


def test_a_body_that_is_not_an_object_is_a_400(api):
    response = api.post("/orders", ["not", "an", "order"])

    assert response.status_code == 400


def test_one_order_is_read_by_id(api, shop):
    order = shop.order()

    found = api.get(f"/orders/{order['id']}")
    missing = api.get("/orders/999")
    malformed = api.get("/orders/abc")

    assert found.json() == order
    assert missing.status_code == 404
    assert missing.json() == {
        "code": 404,
        "message": "Order with ID 999 not found",
        "status": "Not Found",
    }
    assert malformed.status_code == 400


def test_patch_changes_only_what_the_update_mask_names(keap_sandbox, api, shop):
    order = shop.order(notes="first")
    keap_sandbox.clock.advance(60)

    response = api.patch(
        f"/orders/{order['id']}",
        {"notes": "second", "terms": "Net 30", "order_title": "Ignored"},
        params={"update_mask": ["notes", "terms"]},
    )

    assert response.status_code == 200, response.text
    patched = response.json()
    assert (patched["notes"], patched["terms"], patched["title"]) == (
        "second",
        "Net 30",
        "Spring workshop",
    )
    assert patched["modification_time"] == format_datetime(keap_sandbox.clock.now())
    assert patched["creation_time"] == order["creation_time"]


def test_patch_without_a_mask_changes_every_property_sent(api, shop):
    order = shop.order()
    other = shop.contact(given_name="Mei")

    patched = api.patch(
        f"/orders/{order['id']}",
        {"contact_id": other["id"], "order_title": "Renamed", "invoice_number": "INV-0042"},
    ).json()

    assert patched["contact"]["given_name"] == "Mei"
    assert patched["title"] == "Renamed"
    assert patched["invoice_number"] == "INV-0042"


def test_patch_accepts_a_comma_separated_mask_and_refuses_unknown_names(api, shop):
    order = shop.order()

    good = api.patch(
        f"/orders/{order['id']}",
        {"notes": "a", "terms": "b"},
        params={"update_mask": "notes,terms"},
    )
    bad = api.patch(f"/orders/{order['id']}", {"notes": "a"}, params={"update_mask": "status"})

    assert (good.json()["notes"], good.json()["terms"]) == ("a", "b")
    assert bad.status_code == 400
    assert "update_mask" in bad.json()["message"]


def test_patch_replaces_items_only_while_the_order_has_no_payments(api, shop):
    order = shop.order()
    lines = [{"item_type": "OTHER", "name": "Rework", "quantity": 3, "price_per_unit": 20}]

    replaced = api.patch(
        f"/orders/{order['id']}", {"order_items": lines}, {"update_mask": "order_items"}
    )
    shop.pay(order["id"], 10)
    refused = api.patch(
        f"/orders/{order['id']}", {"order_items": lines}, {"update_mask": "order_items"}
    )

    assert amount(replaced.json()["total"]) == 6000
    assert refused.status_code == 400


def test_a_payment_plan_is_set_by_patch(api, shop):
    order = shop.order()

    patched = api.patch(
        f"/orders/{order['id']}",
        {
            "payment_plan": {
                "plan_start_date": "2024-04-01",
                "number_of_payments": 3,
                "days_between_payments": 30,
                "initial_payment_amount": 10,
                "initial_payment_date": "2024-03-15",
            }
        },
        {"update_mask": "payment_plan"},
    ).json()

    plan = patched["payment_plan"]
    items = plan["payment_plan_items"]
    assert [i["due_date"] for i in items] == [
        "2024-03-15",
        "2024-04-01",
        "2024-05-01",
        "2024-05-31",
    ]
    assert [amount(i["amount_due"]) for i in items] == [1000, 3000, 3000, 3000]
    assert all(i["status"] == "UNPAID_MANUAL" for i in items)


def test_an_order_without_payments_is_deleted_with_its_invoice(keap_sandbox, api, shop):
    order = shop.order()

    deleted = api.delete(f"/orders/{order['id']}")

    assert deleted.status_code == 204
    assert api.get(f"/orders/{order['id']}").status_code == 404
    assert int(order["invoice_id"]) not in keap_sandbox.keap.account.invoices
    assert shop.order()["id"] == str(int(order["id"]) + 1)


def test_an_order_with_payments_is_not_deleted(api, shop):
    order = shop.order()
    shop.pay(order["id"], 10)

    refused = api.delete(f"/orders/{order['id']}")

    assert refused.status_code == 400
    assert "payments" in refused.json()["message"]
    assert api.get(f"/orders/{order['id']}").status_code == 200


def test_a_refused_patch_changes_nothing(api, shop):
    order = shop.order(notes="kept")

    refused = api.patch(
        f"/orders/{order['id']}",
        {"notes": "lost", "custom_fields": [{"id": "77", "content": "x"}]},
    )

    assert refused.status_code == 400
    assert api.get(f"/orders/{order['id']}").json() == order
