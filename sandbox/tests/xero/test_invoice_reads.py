"""Reading invoices: filters (where, IDs, InvoiceNumbers, ContactIDs, Statuses), order, paging,
If-Modified-Since, summaryOnly, one by ID or number, and Xero's date renderings.
"""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture
def books(xero, sandbox):
    """Six invoices for two contacts, one changed per sandbox second."""
    sandbox.clock.freeze()
    ada = xero.new_contact("Ada")["ContactID"]
    bob = xero.new_contact("Bob")["ContactID"]
    specs = [
        (ada, "K-1", "2024-01-05", "AUTHORISED", "KEAP order 1"),
        (ada, "K-2", "2024-01-20", "DRAFT", "KEAP order 2"),
        (bob, "K-3", "2024-02-01", "AUTHORISED", "Walk-in"),
        (bob, "K-4", "2024-02-15", "SUBMITTED", "KEAP order 4"),
        (ada, "K-5", "2024-03-01", "AUTHORISED", None),
        (bob, "K-6", "2024-03-10", "AUTHORISED", "KEAP order 6"),
    ]
    made = {}
    for contact, number, date, status, reference in specs:
        sandbox.clock.advance(1)
        extra = {"Reference": reference} if reference else {}
        made[number] = xero.new_invoice(
            contact, InvoiceNumber=number, Date=date, Status=status, **extra
        )
    return {"ada": ada, "bob": bob, "invoices": made}


def numbers(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [i["InvoiceNumber"] for i in answer.json()["Invoices"]]


def test_default_order_is_by_last_change(xero, books):
    assert numbers(xero.get("/Invoices")) == ["K-1", "K-2", "K-3", "K-4", "K-5", "K-6"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ('Status=="AUTHORISED" AND Type=="ACCREC"', ["K-1", "K-3", "K-5", "K-6"]),
        ('Status=="DRAFT" OR Status=="SUBMITTED"', ["K-2", "K-4"]),
        ('InvoiceNumber=="k-3"', ["K-3"]),
        ('Reference.StartsWith("KEAP")', ["K-1", "K-2", "K-4", "K-6"]),
        ('Reference=="Walk-in"', ["K-3"]),
        ("Reference==null", ["K-5"]),
        ("Date>=DateTime(2024,02,01) && Date<DateTime(2024, 03, 01)", ["K-3", "K-4"]),
        ("Date<DateTime(2024,01,20)", ["K-1"]),
        ('(Status=="AUTHORISED") AND NOT (Date>DateTime(2024,02,28))', ["K-1", "K-3"]),
        ("Total>=100 AND AmountDue==100", ["K-1", "K-2", "K-3", "K-4", "K-5", "K-6"]),
        ('Contact.Name=="bob" AND Status!="SUBMITTED"', ["K-3", "K-6"]),
    ],
)
def test_where_expressions(xero, books, where, expected):
    assert numbers(xero.get("/Invoices", params={"where": where})) == expected


def test_where_by_contact_guid(xero, books):
    where = f'Contact.ContactID==guid("{books["bob"].upper()}")'
    assert numbers(xero.get("/Invoices", params={"where": where})) == ["K-3", "K-4", "K-6"]


def test_where_that_xero_cannot_parse_is_a_400(xero, books):
    for where in ('Status=="AUTHORISED" AND', 'Nope=="x"', 'Date=="soon"', "Total>=abc"):
        answer = xero.get("/Invoices", params={"where": where})
        assert answer.status_code == 400, where
        assert answer.json()["Type"] == "QueryParseException"


def test_explicit_filters_combine(xero, books):
    invoices = books["invoices"]
    ids = f"{invoices['K-1']['InvoiceID']},{invoices['K-4']['InvoiceID']}"
    assert numbers(xero.get("/Invoices", params={"IDs": ids})) == ["K-1", "K-4"]
    assert numbers(xero.get("/Invoices", params={"InvoiceNumbers": "K-2,K-6,NOPE"})) == [
        "K-2",
        "K-6",
    ]
    assert numbers(xero.get("/Invoices", params={"ContactIDs": books["ada"]})) == [
        "K-1",
        "K-2",
        "K-5",
    ]
    both = {"ContactIDs": books["bob"], "Statuses": "AUTHORISED,DRAFT"}
    assert numbers(xero.get("/Invoices", params=both)) == ["K-3", "K-6"]
    with_where = {"InvoiceNumbers": "K-1,K-2,K-3", "where": 'Status=="AUTHORISED"'}
    assert numbers(xero.get("/Invoices", params=with_where)) == ["K-1", "K-3"]


def test_order(xero, books):
    assert numbers(xero.get("/Invoices", params={"order": "InvoiceNumber DESC"}))[:2] == [
        "K-6",
        "K-5",
    ]
    by_date = xero.get("/Invoices", params={"order": "Status ASC, Date DESC"})
    assert numbers(by_date) == ["K-6", "K-5", "K-3", "K-1", "K-2", "K-4"]
    assert xero.get("/Invoices", params={"order": "Colour ASC"}).status_code == 400


def test_pages_carry_line_items_and_pagination_unpaged_lists_do_not(xero, books):
    paged = xero.get("/Invoices", params={"page": 2, "pageSize": 4}).json()
    assert paged["pagination"] == {"page": 2, "pageSize": 4, "pageCount": 2, "itemCount": 6}
    assert [i["InvoiceNumber"] for i in paged["Invoices"]] == ["K-5", "K-6"]
    assert all(i["LineItems"] for i in paged["Invoices"])
    unpaged = xero.get("/Invoices").json()
    assert "pagination" not in unpaged
    assert all("LineItems" not in i for i in unpaged["Invoices"])
    summary = xero.get("/Invoices", params={"page": 1, "summaryOnly": "true"}).json()
    assert all("LineItems" not in i and "Payments" not in i for i in summary["Invoices"])


def test_if_modified_since_is_accurate_to_the_second(xero, sandbox, books):
    changed = dt.datetime.fromtimestamp(
        int(books["invoices"]["K-4"]["UpdatedDateUTC"][6:-7]) / 1000, dt.UTC
    )
    since = changed.strftime("%Y-%m-%dT%H:%M:%S")
    assert numbers(xero.get("/Invoices", headers={"If-Modified-Since": since})) == [
        "K-4",
        "K-5",
        "K-6",
    ]
    sandbox.clock.advance(5)
    xero.post(
        f"/Invoices/{books['invoices']['K-2']['InvoiceID']}",
        {"Invoices": [{"Reference": "edited"}]},
    )
    page = xero.get(
        "/Invoices",
        headers={"If-Modified-Since": since},
        params={"order": "UpdatedDateUTC ASC", "page": 1, "pageSize": 1000},
    )
    assert numbers(page) == ["K-4", "K-5", "K-6", "K-2"]
    http_date = changed.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert len(numbers(xero.get("/Invoices", headers={"If-Modified-Since": http_date}))) == 4


def test_one_invoice_by_id_or_by_number_with_line_items(xero, books):
    wanted = books["invoices"]["K-3"]
    by_id = xero.only(xero.get(f"/Invoices/{wanted['InvoiceID']}"), "Invoices")
    by_number = xero.only(xero.get("/Invoices/K-3"), "Invoices")
    assert by_id["InvoiceID"] == by_number["InvoiceID"] == wanted["InvoiceID"]
    assert by_id["LineItems"]
    assert xero.get("/Invoices/00000000-0000-4000-8000-00000000abcd").status_code == 404


def test_dates_are_rendered_as_xero_renders_them(xero, books):
    invoice = books["invoices"]["K-1"]
    assert invoice["Date"] == "/Date(1704412800000+0000)/"
    assert invoice["DateString"] == "2024-01-05T00:00:00"
    assert invoice["DueDateString"] == "2024-05-31T00:00:00"
    updated_ms = int(invoice["UpdatedDateUTC"][6:-7])
    iso = dt.datetime.fromtimestamp(updated_ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert invoice["UpdatedDateUTCString"] == iso


def test_search_term_looks_in_numbers_and_references(xero, books):
    assert numbers(xero.get("/Invoices", params={"searchTerm": "walk"})) == ["K-3"]
    assert numbers(xero.get("/Invoices", params={"searchTerm": "k-6"})) == ["K-6"]
