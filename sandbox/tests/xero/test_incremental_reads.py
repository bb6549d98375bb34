"""Reading an organisation's changes the way an incremental reader does: `If-Modified-Since`,
`order=UpdatedDateUTC ASC` and pages of up to 1,000, on invoices, payments and contacts, with
voids, deletions and archived contacts showing as the records' new status; and what a change
made while a reader pages through does to page numbers.
"""

from __future__ import annotations

import datetime as dt
import itertools

from keap_xero_sandbox.xero.models import InvoiceDraft

READ = {"order": "UpdatedDateUTC ASC", "page": 1, "pageSize": 1000}


def second_of(ms_date: str) -> dt.datetime:
    """The second `/Date(ms+0000)/` falls in."""
    return dt.datetime.fromtimestamp(int(ms_date[6:-7]) // 1000, dt.UTC)


def since(moment: dt.datetime) -> dict[str, str]:
    return {"If-Modified-Since": moment.strftime("%Y-%m-%dT%H:%M:%S")}


def test_seeded_changes_are_spaced_on_the_sandbox_clock(sandbox, xero):
    sandbox.clock.freeze()
    sandbox.seed(xero={"contacts": 3, "invoices": 6, "spacing": 2, "statuses": {"AUTHORISED": 1}})
    invoices = xero.get("/Invoices", params=READ).json()["Invoices"]
    stamps = [second_of(i["UpdatedDateUTC"]) for i in invoices]
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(stamps)] == [2] * 5
    contacts = xero.get("/Contacts", params=READ).json()["Contacts"]
    assert second_of(contacts[-1]["UpdatedDateUTC"]) < stamps[0]


def test_pages_of_a_thousand_in_order_of_change_on_every_list(sandbox, xero):
    sandbox.seed(
        xero={
            "contacts": 1_100,
            "invoices": 1_500,
            "payments": 400,
            "statuses": {"AUTHORISED": 1, "PAID": 1},
        }
    )
    for resource, key in (("/Invoices", "Invoices"), ("/Payments", "Payments")):
        first = xero.get(resource, params=READ).json()
        second = xero.get(resource, params={**READ, "page": 2}).json()
        count = first["pagination"]["itemCount"]
        assert count > 1_000, resource
        assert first["pagination"]["pageCount"] == 2
        assert len(first[key]) == 1_000
        assert len(second[key]) == count - 1_000
        stamps = [int(r["UpdatedDateUTC"][6:-7]) for r in first[key] + second[key]]
        assert stamps == sorted(stamps), resource
    contacts = xero.get("/Contacts", params={**READ, "includeArchived": "true"}).json()
    assert contacts["pagination"]["itemCount"] == 1_100


def test_voids_deletions_and_archived_contacts_come_as_changes(sandbox, xero):
    sandbox.clock.freeze()
    contact = xero.new_contact("Ada")
    authorised = xero.new_invoice(contact["ContactID"], InvoiceNumber="K-1")
    draft = xero.new_invoice(contact["ContactID"], InvoiceNumber="K-2", Status="DRAFT")
    paid = xero.new_invoice(contact["ContactID"], InvoiceNumber="K-3")
    payment = xero.pay(paid["InvoiceID"], 100).json()["Payments"][0]
    sandbox.clock.advance(60)
    mark = sandbox.clock.now()
    xero.post(f"/Invoices/{authorised['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    xero.post(f"/Invoices/{draft['InvoiceID']}", {"Invoices": [{"Status": "DELETED"}]})
    xero.post(f"/Payments/{payment['PaymentID']}", {"Payments": [{"Status": "DELETED"}]})
    xero.post(f"/Contacts/{contact['ContactID']}", {"Contacts": [{"ContactStatus": "ARCHIVED"}]})

    changed = xero.get("/Invoices", headers=since(mark), params=READ).json()["Invoices"]
    assert [(i["InvoiceNumber"], i["Status"]) for i in changed] == [
        ("K-1", "VOIDED"),
        ("K-2", "DELETED"),
        ("K-3", "AUTHORISED"),  # its payment was deleted: due again
    ]
    assert changed[0]["AmountDue"] == 0
    statuses = {**READ, "Statuses": "AUTHORISED,PAID,VOIDED"}
    listed = xero.get("/Invoices", headers=since(mark), params=statuses).json()["Invoices"]
    assert [i["InvoiceNumber"] for i in listed] == ["K-1", "K-3"]
    payments = xero.get("/Payments", headers=since(mark), params=READ).json()["Payments"]
    assert [(p["PaymentID"], p["Status"]) for p in payments] == [(payment["PaymentID"], "DELETED")]
    assert second_of(payments[0]["UpdatedDateUTC"]) >= mark.replace(microsecond=0)
    contacts = xero.get("/Contacts", headers=since(mark), params=READ).json()["Contacts"]
    assert contacts == []  # archived contacts leave the default list ...
    archived = {**READ, "includeArchived": "true"}
    contacts = xero.get("/Contacts", headers=since(mark), params=archived).json()["Contacts"]
    assert [c["ContactStatus"] for c in contacts] == ["ARCHIVED"]  # ... and come when asked


def test_sales_payments_are_told_apart_by_payment_type(sandbox, xero):
    contact = xero.new_contact("Ada")["ContactID"]
    sale = xero.new_invoice(contact, InvoiceNumber="K-1")
    bill = xero.new_invoice(contact, Type="ACCPAY", InvoiceNumber="B-1")
    xero.pay(sale["InvoiceID"], 10)
    xero.pay(bill["InvoiceID"], 20)
    where = {**READ, "where": 'PaymentType=="ACCRECPAYMENT"'}
    payments = xero.get("/Payments", params=where).json()["Payments"]
    assert [(p["Amount"], p["Invoice"]["CurrencyCode"]) for p in payments] == [(10, "USD")]
    sales = {**READ, "where": 'Type=="ACCREC"'}
    assert [i["InvoiceNumber"] for i in xero.get("/Invoices", params=sales).json()["Invoices"]] == [
        "K-1"
    ]


def test_one_second_of_changes_is_read_by_bounding_it_above(sandbox, xero):
    sandbox.clock.freeze()
    contact = xero.new_contact("Ada")["ContactID"]
    second = (sandbox.clock.now() + dt.timedelta(seconds=10)).replace(microsecond=0)
    sandbox.clock.set(second)
    for number in ("K-1", "K-2", "K-3"):
        sandbox.clock.advance(0.2)
        xero.new_invoice(contact, InvoiceNumber=number)
    sandbox.clock.advance(1)
    xero.new_invoice(contact, InvoiceNumber="K-4")
    end = second + dt.timedelta(seconds=1)
    bounded = {
        **READ,
        "where": f"UpdatedDateUTC<DateTime({end:%Y,%m,%d,%H,%M,%S})",
        "pageSize": 2,
    }
    first = xero.get("/Invoices", headers=since(second), params=bounded).json()
    assert first["pagination"]["itemCount"] == 3
    assert [i["InvoiceNumber"] for i in first["Invoices"]] == ["K-1", "K-2"]


def test_a_hook_changes_the_books_between_two_pages_and_page_numbers_shift(sandbox, xero):
    """What a reader paging by page number meets: an invoice of page 1 changed before page 2
    is asked for moves to the end, and the first invoice of page 2 slides onto page 1."""
    sandbox.clock.freeze()
    contact = xero.new_contact("Ada")["ContactID"]
    made = []
    for n in range(1, 5):
        sandbox.clock.advance(1)
        made.append(xero.new_invoice(contact, InvoiceNumber=f"K-{n}"))
    ledger = sandbox.xero.ledgers[xero.demo]

    def edit_first() -> None:
        sandbox.clock.advance(1)
        with ledger.lock:
            ledger.save_invoice(
                InvoiceDraft(invoice_id=made[0]["InvoiceID"], reference="changed"),
                create_only=False,
                unit_places=2,
            )

    sandbox.faults.add(
        kind="hook",
        api="xero",
        method="GET",
        path="/api.xro/2.0/Invoices",
        after=True,
        run=edit_first,
    )
    small = {**READ, "pageSize": 2}
    page_1 = xero.get("/Invoices", params=small).json()["Invoices"]
    page_2 = xero.get("/Invoices", params={**small, "page": 2}).json()["Invoices"]
    assert [i["InvoiceNumber"] for i in page_1] == ["K-1", "K-2"]
    assert [i["InvoiceNumber"] for i in page_2] == ["K-4", "K-1"]  # K-3 slid onto page 1
    assert sandbox.faults.describe()[0]["run"].endswith("edit_first")
