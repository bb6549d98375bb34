"""Listing orders: the `filter` language, `order_by`, `page_size` and page tokens that hold when
records change between pages."""

from __future__ import annotations

import pytest

from invoice_model.dates import format_datetime


def ids(orders: list[dict]) -> list[str]:
    return [order["id"] for order in orders]


@pytest.fixture
def orders(keap_sandbox, shop):
    """Five orders one minute apart: 1 and 3 for Mei (1 ONLINE), 2 paid, 4 with a product, 5 marked
    with a Xero Invoice ID."""
    mei, noor = shop.contact(given_name="Mei"), shop.contact(given_name="Noor")
    product = shop.product(sku="MAT-01")
    made = []
    for index in range(5):
        values = {
            "contact_id": (mei if index in (0, 2) else noor)["id"],
            "order_title": f"Order {index + 1}",
            "order_type": "ONLINE" if index == 0 else "OFFLINE",
            "order_time": f"2024-03-0{index + 1}T12:00:00Z",
        }
        if index == 3:
            values["order_items"] = [{"product_id": product["id"], "quantity": 1}]
        if index == 4:
            values["custom_fields"] = [{"id": "1", "content": "8a1f-XERO-0005"}]
            values["shipping_address"] = {"locality": "Phoenix", "country_code": "USA"}
        made.append(shop.order(**values))
        keap_sandbox.clock.advance(60)
    shop.pay(made[1]["id"], 100)
    return made


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id==3", ["3"]),
        ("id!=3", ["1", "2", "4", "5"]),
        ("id<3", ["1", "2"]),
        ("id<=3", ["1", "2", "3"]),
        ("id>3", ["4", "5"]),
        ("id>=3;id<5", ["3", "4"]),
        ("ids==5,1,3", ["1", "3", "5"]),
        ("contact_id==1", ["1", "3"]),
        ("product_id==1", ["4"]),
        ("invoice_id==102", ["2"]),
        ("paid==true", ["2"]),
        ("paid==FALSE", ["1", "3", "4", "5"]),
        ("order_type==ONLINE", ["1"]),
        ("title==order 4", ["4"]),
        ("title==Ord*", ["1", "2", "3", "4", "5"]),
        ("XeroInvoiceID==8a1f-XERO-0005", ["5"]),
        ("_xeroinvoiceid==8A1F-xero*", ["5"]),
        ("XeroInvoiceID==*", ["5"]),
        ("shipping_locality==Phoenix;shipping_country_code==USA", ["5"]),
        ("contact_id==1;paid==false;order_type==OFFLINE", ["3"]),
    ],
)
def test_filters_select_orders(api, orders, text, expected):
    response = api.get("/orders", filter=text)

    assert response.status_code == 200, response.text
    assert ids(response.json()["orders"]) == expected


def test_time_filters_are_inclusive_at_both_ends(api, orders):
    second, fourth = orders[1], orders[3]

    created = api.get(
        "/orders",
        filter=f"created_since_time=={second['creation_time']};"
        f"created_until_time=={fourth['creation_time']}",
    ).json()["orders"]
    modified = api.get(
        "/orders", filter=f"modified_since_time=={orders[4]['modification_time']}"
    ).json()["orders"]

    assert ids(created) == ["2", "3", "4"]
    assert ids(modified) == ["2", "5"]  # order 2 was paid last: a payment changes its order


def test_a_change_moves_an_order_to_the_end_of_modification_time_order(keap_sandbox, api, orders):
    keap_sandbox.clock.advance(60)
    api.patch("/orders/1", {"notes": "changed"}, {"update_mask": "notes"})

    listed = api.get("/orders", order_by="modification_time asc").json()["orders"]

    assert ids(listed) == ["3", "4", "5", "2", "1"]
    assert listed[-1]["modification_time"] == format_datetime(keap_sandbox.clock.now())


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (None, ["1", "2", "3", "4", "5"]),
        ("id desc", ["5", "4", "3", "2", "1"]),
        ("order_time desc", ["5", "4", "3", "2", "1"]),
        ("order_time", ["1", "2", "3", "4", "5"]),
        ("modification_time asc", ["1", "3", "4", "5", "2"]),
        ("modification_time DESC", ["2", "5", "4", "3", "1"]),
    ],
)
def test_order_by(api, orders, order_by, expected):
    params = {"order_by": order_by} if order_by else {}

    assert ids(api.get("/orders", **params).json()["orders"]) == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"filter": "status==PAID"}, "Invalid filter field 'status'"),
        # Keap sorts orders by order_time but does not filter on it.
        ({"filter": "order_time>=2024-03-01T00:00:00.000Z"}, "Invalid filter field 'order_time'"),
        ({"filter": "contact_id>1"}, "Operator '>'"),
        ({"filter": "paid==maybe"}, "expected true|false"),
        ({"filter": "created_since_time==2024-03-01"}, "ISO-8601 date-time"),
        ({"filter": "order_type==RETAIL"}, "allowed values"),
        ({"filter": "ids==1,two"}, "expected an ID"),
        ({"filter": "id=3"}, "Invalid filter"),
        ({"filter": "NoSuchCustomField==x"}, "Invalid filter field"),
        ({"order_by": "total asc"}, "Invalid order_by field 'total'"),
        ({"order_by": "id sideways"}, "Invalid order_by"),
        ({"page_size": 1001}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"page_token": "not-a-token"}, "page_token"),
    ],
)
def test_a_query_keap_cannot_read_is_a_400(api, orders, params, message):
    response = api.get("/orders", **params)

    assert response.status_code == 400
    assert message in response.json()["message"]


def test_pages_cover_every_order_once_and_end_without_a_token(api, shop):
    contact = shop.contact()
    for _ in range(7):
        shop.order(contact["id"])

    pages = list(api.pages("/orders", "orders", page_size=3))

    assert [ids(page) for page in pages] == [["1", "2", "3"], ["4", "5", "6"], ["7"]]
    assert api.get("/orders", page_size=7).json()["next_page_token"] == ""


def test_a_page_token_holds_when_orders_change_between_pages(keap_sandbox, api, shop):
    contact = shop.contact()
    for _ in range(6):
        shop.order(contact["id"])
        keap_sandbox.clock.advance(1)
    query = {"order_by": "modification_time asc", "page_size": 3}

    first = api.get("/orders", **query).json()
    api.patch("/orders/2", {"notes": "seen, then changed"}, {"update_mask": "notes"})
    api.delete("/orders/4")
    created = shop.order(contact["id"])
    rest = api.all("/orders", "orders", page_token=first["next_page_token"], **query)

    assert ids(first["orders"]) == ["1", "2", "3"]
    assert ids(rest) == ["5", "6", "2", created["id"]]


def test_a_page_token_belongs_to_its_query(api, orders):
    first = api.get("/orders", filter="id>=1", page_size=2).json()

    other_filter = api.get(
        "/orders", filter="id>=2", page_size=2, page_token=first["next_page_token"]
    )
    other_order = api.get(
        "/orders",
        filter="id>=1",
        order_by="id desc",
        page_size=2,
        page_token=first["next_page_token"],
    )
    same = api.get("/orders", filter="id>=1", page_size=2, page_token=first["next_page_token"])

    assert other_filter.status_code == 400
    assert other_order.status_code == 400
    assert ids(same.json()["orders"]) == ["3", "4"]


def test_page_size_zero_means_the_default(api, orders):
    assert len(api.get("/orders", page_size=0).json()["orders"]) == 5


def test_the_largest_page_can_be_made_smaller_to_page_small_accounts(keap_sandbox, api, orders):
    keap_sandbox.keap.largest_page = 2

    pages = list(api.pages("/orders", "orders", page_size=1000))

    assert [ids(page) for page in pages] == [["1", "2"], ["3", "4"], ["5"]]
    keap_sandbox.reset()
    assert keap_sandbox.keap.largest_page == 1000
