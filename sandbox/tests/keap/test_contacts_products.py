"""Contacts (create, duplicate-option upserts, filters, `fields`), products, the order custom
field model and the business profile."""

from __future__ import annotations

import pytest

from invoice_model.dates import format_datetime


def test_a_contact_is_created_with_what_was_sent(keap_sandbox, api):
    response = api.post(
        "/contacts",
        {
            "given_name": "Björk",
            "family_name": "Guðmundsdóttir",
            "company": {"company_name": "Café Zürich GmbH"},
            "email_addresses": [{"email": "bjork@example.com", "field": "EMAIL1"}],
            "phone_numbers": [{"number": "+354 555 0100", "field": "PHONE1", "type": "Work"}],
            "addresses": [
                {
                    "field": "BILLING",
                    "line1": "Laugavegur 1",
                    "locality": "Reykjavík",
                    "region_code": "IS-1",
                    "country_code": "ISL",
                    "postal_code": "101",
                }
            ],
        },
        params={"fields": "given_name,family_name,company,email_addresses,addresses,create_time"},
    )

    assert response.status_code == 201, response.text
    contact = response.json()
    assert contact["given_name"] == "Björk"
    assert contact["company"]["company_name"] == "Café Zürich GmbH"
    assert contact["addresses"][0]["locality"] == "Reykjavík"
    assert contact["create_time"] == format_datetime(keap_sandbox.clock.now())
    assert "phone_numbers" not in contact  # not asked for


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"given_name": "Nobody"}, "at least one of"),
        (
            {"addresses": [{"field": "BILLING", "region": "Arizona", "line1": "1 Main"}]},
            "country_code",
        ),
        ({"email_addresses": [{"email": "not-an-email", "field": "EMAIL1"}]}, "valid email"),
        ({"email_addresses": [{"email": "a@example.com", "field": "EMAIL9"}]}, "EMAIL1"),
        ({"given_name": "x" * 41, "phone_numbers": [{"number": "1"}]}, "at most 40"),
        ({"company": {"id": "999"}, "phone_numbers": [{"number": "1"}]}, "Company with ID 999"),
        (
            {"addresses": [{"field": "BILLING", "line1": "1 Main", "country_code": "US"}]},
            "ISO 3166-1 alpha-3",
        ),
        ({"addresses": [{"field": "BILLING", "line1": "x" * 76}]}, "at most 75"),
        ({"addresses": [{"field": "SHIPPING", "line1": "x" * 101}]}, "at most 100"),
        ({"addresses": [{"field": "BILLING", "locality": "x" * 51}]}, "at most 50"),
        ({"addresses": [{"field": "OTHER", "postal_code": "1" * 16}]}, "at most 15"),
    ],
)
def test_a_contact_keap_would_refuse_is_a_400(api, body, message):
    response = api.post("/contacts", body)

    assert response.status_code == 400
    assert message in response.json()["message"]


def test_without_duplicate_option_every_post_creates(api, shop):
    first = shop.contact(email_addresses=[{"email": "same@example.com", "field": "EMAIL1"}])
    second = shop.contact(email_addresses=[{"email": "same@example.com", "field": "EMAIL1"}])

    assert first["id"] != second["id"]


def test_duplicate_option_email_updates_the_match(keap_sandbox, api, shop):
    existing = shop.contact(email_addresses=[{"email": "Mei@Example.com", "field": "EMAIL1"}])
    keap_sandbox.clock.advance(5)

    response = api.post(
        "/contacts",
        {"given_name": "Mei", "email_addresses": [{"email": "mei@example.com"}]},
        params={"duplicate_option": "Email", "fields": "given_name,family_name,update_time"},
    )

    assert response.status_code == 200
    assert response.json()["id"] == existing["id"]
    assert response.json()["given_name"] == "Mei"
    assert response.json()["family_name"] == "Fernández"  # not sent, kept
    assert response.json()["update_time"] == format_datetime(keap_sandbox.clock.now())


@pytest.mark.parametrize(
    ("option", "sent", "matches"),
    [
        ("Email", {"given_name": "Other"}, True),
        ("EmailAndName", {"given_name": "zoë", "family_name": "FERNÁNDEZ"}, True),
        ("EmailAndName", {"given_name": "Other", "family_name": "Fernández"}, False),
        (
            "EmailAndNameAndCompany",
            {"given_name": "Zoë", "family_name": "Fernández", "company": {"company_name": "Acme"}},
            True,
        ),
        (
            "EmailAndNameAndCompany",
            {"given_name": "Zoë", "family_name": "Fernández", "company": {"company_name": "Other"}},
            False,
        ),
    ],
)
def test_duplicate_options_match_on_what_they_name(api, shop, option, sent, matches):
    existing = shop.contact(
        company={"company_name": "Acme"},
        email_addresses=[{"email": "zoe@example.com", "field": "EMAIL1"}],
    )

    response = api.post(
        "/contacts",
        {**sent, "email_addresses": [{"email": "zoe@example.com", "field": "EMAIL1"}]},
        params={"duplicate_option": option},
    )

    assert response.status_code == (200 if matches else 201)
    assert (response.json()["id"] == existing["id"]) is matches


def test_an_unknown_duplicate_option_is_a_400(api):
    response = api.post(
        "/contacts",
        {"email_addresses": [{"email": "a@example.com"}]},
        params={"duplicate_option": "Name"},
    )

    assert response.status_code == 400


def test_contacts_are_fetched_in_batches_by_ids_with_the_fields_asked_for(api, shop):
    made = [shop.contact(given_name=f"C{i}") for i in range(6)]
    wanted = [made[4]["id"], made[0]["id"], made[2]["id"]]

    response = api.get(
        "/contacts",
        filter=f"ids=={','.join(wanted)}",
        fields="given_name,company,email_addresses,phone_numbers,addresses",
    )

    contacts = response.json()["contacts"]
    assert [c["id"] for c in contacts] == sorted(wanted, key=int)
    assert contacts[0]["email_addresses"] == [{"email": "zoe1@example.com", "field": "EMAIL1"}]
    assert "family_name" not in contacts[0]


def test_a_thousand_ids_fit_one_call(keap_sandbox, api):
    keap_sandbox.seed(keap={"contacts": 1000, "products": 0, "orders": 0, "subscriptions": 0})
    every = ",".join(str(i) for i in range(1, 1001))

    response = api.get("/contacts", filter=f"ids=={every}", page_size=1000)

    assert len(response.json()["contacts"]) == 1000
    assert response.json()["next_page_token"] == ""


def test_contacts_by_default_fields(api, shop):
    shop.contact(company={"company_name": "Acme"})

    contact = api.get("/contacts").json()["contacts"][0]

    assert set(contact) == {"id", "given_name", "family_name", "email_addresses", "phone_numbers"}


def test_unknown_fields_are_a_400(api):
    assert api.get("/contacts", fields="given_name,shoe_size").status_code == 400


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email==zoe2@example.com", ["2"]),
        ("email==ZOE*", ["1", "2", "3"]),
        ("given_name==Mei", ["3"]),
        ("family_name==fern*", ["1", "2", "3"]),
        ("contact_id>1", ["2", "3"]),
        ("contact_ids==1,3", ["1", "3"]),
        ("company_id==1", ["2"]),
    ],
)
def test_contact_filters(api, shop, text, expected):
    shop.contact()
    shop.contact(company={"company_name": "Acme"})
    shop.contact(given_name="Mei")

    listed = api.get("/contacts", filter=text).json()["contacts"]

    assert [c["id"] for c in listed] == expected


def test_contacts_updated_in_a_window(keap_sandbox, api, shop):
    first = shop.contact()
    keap_sandbox.clock.advance(60)
    since = format_datetime(keap_sandbox.clock.now())
    second = shop.contact()
    keap_sandbox.clock.advance(60)
    api.patch(f"/contacts/{first['id']}", {"job_title": "Owner"}, {"update_mask": "job_title"})

    changed = api.get("/contacts", filter=f"start_update_time=={since}").json()["contacts"]
    before = api.get("/contacts", filter=f"end_update_time=={since}").json()["contacts"]
    by_update = api.get("/contacts", order_by="update_time desc").json()["contacts"]

    assert [c["id"] for c in changed] == [first["id"], second["id"]]
    assert [c["id"] for c in before] == [second["id"]]
    assert [c["id"] for c in by_update] == [first["id"], second["id"]]


def test_contacts_sort_by_email(api, shop):
    for email in ("c@example.com", "a@example.com", "b@example.com"):
        shop.contact(email_addresses=[{"email": email, "field": "EMAIL1"}])

    listed = api.get("/contacts", order_by="email").json()["contacts"]

    assert [c["email_addresses"][0]["email"] for c in listed] == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]


def test_one_contact_is_read_by_id(api, shop):
    contact = shop.contact()

    assert api.get(f"/contacts/{contact['id']}").json()["id"] == contact["id"]
    assert api.get("/contacts/999").status_code == 404


def test_a_product_is_created_and_read(api, shop):
    product = shop.product(name="Yoga mat", sku="MAT-01", price=3500, taxable=False)

    found = api.get(f"/products/{product['id']}").json()

    assert found["price"] == {"amount": 3500, "currency_code": "USD", "formatted_amount": "35.00"}
    assert found["sku"] == "MAT-01"
    assert found["taxable"] is False
    assert api.get("/products/999").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"price": 100, "short_description": "x"},
        {"name": "No price", "short_description": "x"},
        {"name": "Negative", "price": -1, "short_description": "x"},
        {"name": "No short description", "price": 100},
    ],
)
def test_a_product_keap_would_refuse_is_a_400(api, body):
    assert api.post("/products", body).status_code == 400


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"filter": "sku==MAT-01"}, ["Yoga mat"]),
        ({"filter": "sku==ws*"}, ["Workshop ticket", "Workshop video"]),
        ({"filter": "name==yoga*"}, ["Yoga mat"]),
        ({"filter": "product_id>=2"}, ["Workshop video", "Yoga mat"]),
        ({"filter": "product_ids==1,3"}, ["Workshop ticket", "Yoga mat"]),
        ({"order_by": "name desc"}, ["Yoga mat", "Workshop video", "Workshop ticket"]),
        ({"order_by": "sku"}, ["Yoga mat", "Workshop ticket", "Workshop video"]),
    ],
)
def test_products_filter_and_sort(api, shop, params, expected):
    shop.product(name="Workshop ticket", sku="WS-TICKET")
    shop.product(name="Workshop video", sku="WS-VIDEO")
    shop.product(name="Yoga mat", sku="MAT-01")

    listed = api.get("/products", **params).json()["products"]

    assert [p["name"] for p in listed] == expected


def test_the_order_model_defines_the_xero_invoice_id_field(api):
    model = api.get("/orders/model").json()

    assert model["custom_fields"] == [
        {
            "id": "1",
            "label": "Xero Invoice ID",
            "options": [],
            "record_type": "ORDER",
            "field_type": "TEXT",
            "field_name": "XeroInvoiceID",
        }
    ]


def test_order_custom_fields_are_created_named_and_filterable(api, shop):
    number = api.post(
        "/orders/model/customFields", {"label": "Priority score", "field_type": "WHOLE_NUMBER"}
    ).json()
    clash = api.post(
        "/orders/model/customFields", {"label": "Xero invoice-ID!", "field_type": "TEXT"}
    ).json()
    duplicate = api.post(
        "/orders/model/customFields", {"label": "priority score", "field_type": "TEXT"}
    )
    shop.order(custom_fields=[{"id": number["id"], "content": 5}])
    shop.order(custom_fields=[{"id": number["id"], "content": 50}])
    bad_content = api.post(
        "/orders",
        {
            "contact_id": "1",
            "order_title": "x",
            "order_type": "ONLINE",
            "order_time": "2024-01-01T00:00:00Z",
            "custom_fields": [{"id": number["id"], "content": "fifty"}],
        },
    )

    high = api.get("/orders", filter="PriorityScore>10").json()["orders"]

    assert number["field_name"] == "PriorityScore"
    assert clash["field_name"] == "XeroInvoiceID1"
    assert duplicate.status_code == 400
    assert bad_content.status_code == 400
    assert [o["id"] for o in high] == ["2"]
    assert len(api.get("/orders/model").json()["custom_fields"]) == 3


def test_the_business_profile_names_currency_and_time_zone(api, raw):
    raw.post("/_sandbox/keap/settings", {"currency_code": "AUD", "time_zone": "Australia/Sydney"})

    profile = api.get("/businessProfile").json()

    assert (profile["currency_code"], profile["time_zone"]) == ("AUD", "Australia/Sydney")
