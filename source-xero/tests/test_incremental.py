"""Incremental reads against the Xero emulator: several syncs in a row, changes in the same second
as the cursor, resuming from a state saved mid-stream, changes made while a read pages through,
more than a page changed within one second, and a sync where nothing changed.

Pages are made small (the CDK's `_page_size`) so that a few records span several pages.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from keap_xero_sandbox.xero.models import InvoiceDraft, PaymentDraft

if TYPE_CHECKING:
    from conftest import XeroSandbox

PAGES_OF_3 = {"_page_size": 3}


def test_a_first_sync_reads_everything_once_and_later_syncs_only_what_changed(frozen):
    xero = frozen
    frozen.user.seed(
        contacts=4, invoices=12, payments=3, spacing=1, statuses={"AUTHORISED": 2, "PAID": 1}
    )
    config = xero.config(**PAGES_OF_3)
    first = xero.read(config)
    invoices = xero.user.call("GET", "/Invoices", page=1, pageSize=1000)["Invoices"]
    assert sorted(first.ids("invoices")) == sorted(i["InvoiceID"] for i in invoices)
    assert len(first.ids("invoices")) == len(set(first.ids("invoices")))
    payments = xero.user.call("GET", "/Payments")["Payments"]
    assert sorted(first.ids("payments")) == sorted(p["PaymentID"] for p in payments)
    assert len(first.ids("contacts")) == 4
    # A state after every page: 12 invoices in pages of 3 read from where the last page ended.
    assert len(first.states("invoices")) >= 4

    xero.sandbox.clock.advance(60)
    changed = next(i for i in invoices if not i["Payments"])
    xero.user.update(changed["InvoiceID"], Reference="Changed in Xero")
    new = xero.user.invoice()
    second = xero.read(config, state=first.last_states())
    assert second.ids("invoices") == [changed["InvoiceID"], new["InvoiceID"]]
    assert second.by_id("invoices")[changed["InvoiceID"]]["reference"] == "Changed in Xero"
    assert len(second.ids("contacts")) == 1  # the new invoice's contact

    xero.sandbox.clock.advance(60)
    paid = xero.user.pay(new, 10)
    third = xero.read(config, state=second.last_states())
    assert third.ids("invoices") == [new["InvoiceID"]]  # a payment changes its invoice
    assert third.by_id("invoices")[new["InvoiceID"]]["amount_paid"] == 10
    assert third.ids("payments") == [paid["PaymentID"]]
    assert third.ids("contacts") == []


def test_a_sync_where_nothing_changed_costs_one_call_per_stream(frozen, capsys):
    xero = frozen
    xero.user.seed(contacts=5, invoices=20, payments=4, spacing=1)
    first = xero.read(xero.config(auth="oauth"))
    # The platform keeps the config the connector handed back: the access token is still good.
    rotated = xero.control_configs(capsys.readouterr().out)[-1]
    xero.sandbox.stats.reset()
    second = xero.read(rotated, state=first.last_states())
    assert second.records("invoices") == second.records("payments") == []
    assert second.records("contacts") == []
    assert xero.api_calls("Invoices") == xero.api_calls("Payments") == 1
    assert xero.api_calls("Contacts") == 1
    assert xero.calls() == 3  # and no token call


def test_updates_in_the_same_second_as_the_cursor_are_read_and_the_rest_not_repeated(frozen):
    xero = frozen
    contact = xero.user.contact("Ada")
    xero.sandbox.clock.set(
        (xero.sandbox.clock.now() + dt.timedelta(seconds=5)).replace(microsecond=100_000)
    )
    first_two = [xero.user.invoice(contact, InvoiceNumber=f"K-{n}") for n in (1, 2)]
    config = xero.config()
    first = xero.read(config, xero.catalog("invoices"))
    assert first.ids("invoices") == [i["InvoiceID"] for i in first_two]
    # Still the same second: a new invoice, and one already read changed again.
    xero.sandbox.clock.advance(0.3)
    third = xero.user.invoice(contact, InvoiceNumber="K-3")
    xero.user.update(first_two[1]["InvoiceID"], Reference="again")
    second = xero.read(config, xero.catalog("invoices"), first.last_states())
    assert second.ids("invoices") == [third["InvoiceID"], first_two[1]["InvoiceID"]]
    seen = second.states("invoices")[-1]["seen"]
    assert sum(len(ids) for ids in seen.values()) == 3  # the second's records, fingerprinted
    # Read again with nothing changed: the same second comes back, and nothing is emitted.
    assert xero.read(config, xero.catalog("invoices"), second.last_states()).ids("invoices") == []


def test_a_sync_killed_mid_stream_resumes_from_its_last_saved_page(frozen):
    xero = frozen
    xero.user.seed(contacts=3, invoices=10, spacing=1, statuses={"AUTHORISED": 1})
    config = xero.config(**PAGES_OF_3)
    whole = xero.read(config, xero.catalog("invoices"))
    all_ids = whole.ids("invoices")
    assert len(all_ids) == 10
    # The platform kept the state after the second page when the sync died.
    states = [s for s in whole.state_messages() if s.stream.stream_descriptor.name == "invoices"]
    kept = states[1]
    reached = whole.states("invoices")[1]["updated_at"]
    resumed = xero.read(config, xero.catalog("invoices"), [kept])
    after = [r["source_id"] for r in whole.records("invoices") if r["updated_at"] > reached]
    assert 0 < len(after) < len(all_ids)
    assert resumed.ids("invoices") == after


def test_a_change_between_two_pages_loses_nothing_and_repeats_nothing(frozen):
    """An invoice of page 1 changed before page 2 is asked for: read by page number, the first
    invoice of page 2 would slide onto page 1 and be missed."""
    xero = frozen
    xero.user.seed(contacts=2, invoices=9, spacing=1, statuses={"AUTHORISED": 1})
    ledger = xero.user.ledger
    first = sorted(ledger.invoices.values(), key=lambda i: i.updated)[0]

    def change_first() -> None:
        xero.sandbox.clock.advance(1)
        with ledger.lock:
            ledger.save_invoice(
                InvoiceDraft(invoice_id=first.invoice_id, reference="changed mid-read"),
                create_only=False,
                unit_places=2,
            )

    xero.hook_after_page("Invoices", 1, change=change_first)
    run = xero.read(xero.config(**PAGES_OF_3), xero.catalog("invoices"))
    ids = run.ids("invoices")
    assert sorted(set(ids)) == sorted(ledger.invoices)  # none lost
    assert ids.count(first.invoice_id) == 2  # read once as it was, once as it became
    assert len(ids) == 10
    assert run.records("invoices")[-1]["reference"] == "changed mid-read"


def test_payments_deleted_and_invoices_voided_while_the_read_pages_arrive_as_changes(frozen):
    xero = frozen
    xero.user.seed(contacts=2, invoices=8, payments=5, spacing=1, statuses={"AUTHORISED": 1})
    ledger = xero.user.ledger
    payments = sorted(ledger.payments.values(), key=lambda p: p.updated)
    unpaid = next(i for i in ledger.invoices.values() if not i.payment_ids)

    def delete_and_void() -> None:
        xero.sandbox.clock.advance(1)
        with ledger.lock:
            ledger.delete_payment(payments[0].payment_id)
            ledger.save_invoice(
                InvoiceDraft(invoice_id=unpaid.invoice_id, status="VOIDED"),
                create_only=False,
                unit_places=2,
            )

    xero.hook_after_page("Payments", 1, change=delete_and_void)
    run = xero.read(xero.config(**PAGES_OF_3), xero.catalog("payments", "invoices"))
    statuses = [(r["source_id"], r["status"]) for r in run.records("payments")]
    assert statuses.count((payments[0].payment_id, "completed")) == 1
    assert statuses[-1] == (payments[0].payment_id, "voided")
    assert {p for p, _ in statuses} == set(ledger.payments)
    voided = [r for r in run.records("invoices") if r["source_id"] == unpaid.invoice_id]
    assert [r["status"] for r in voided] == ["void"]


def one_second_of(xero: XeroSandbox, count: int) -> list[dict]:
    """`count` invoices changed in the same second (then the clock moves on two seconds)."""
    contact = xero.user.contact("Ada")
    xero.sandbox.clock.set(
        (xero.sandbox.clock.now() + dt.timedelta(seconds=5)).replace(microsecond=0)
    )
    made = [xero.user.invoice(contact, InvoiceNumber=f"D-{n}") for n in range(count)]
    xero.sandbox.clock.advance(2)
    return made


def test_more_than_a_page_changed_in_one_second_is_read_on_its_own(frozen):
    xero = frozen
    dense = one_second_of(xero, 8)
    contact = {"ContactID": dense[0]["Contact"]["ContactID"]}
    later = xero.user.invoice(contact, InvoiceNumber="L-1")
    run = xero.read(xero.config(**PAGES_OF_3), xero.catalog("invoices"))
    assert run.ids("invoices") == [i["InvoiceID"] for i in [*dense, later]]
    queries = [c.query for c in xero.sandbox.stats.calls() if c.endpoint.endswith("/Invoices")]
    assert any("UpdatedDateUTC%3CDateTime" in q for q in queries)


def test_a_change_within_a_second_read_on_its_own_is_not_lost(frozen):
    xero = frozen
    dense = one_second_of(xero, 10)
    ledger = xero.user.ledger

    def change_one_read() -> None:
        xero.sandbox.clock.advance(1)
        with ledger.lock:
            ledger.save_invoice(
                InvoiceDraft(invoice_id=dense[1]["InvoiceID"], reference="edited"),
                create_only=False,
                unit_places=2,
            )

    # Page 1 (open), then the second alone: page 1, then the change, then page 2 ...
    xero.hook_after_page("Invoices", 2, change=change_one_read)
    run = xero.read(xero.config(**PAGES_OF_3), xero.catalog("invoices"))
    ids = run.ids("invoices")
    assert set(ids) == {i["InvoiceID"] for i in dense}
    assert ids.count(dense[1]["InvoiceID"]) == 2
    assert len(ids) == 11


def test_the_start_date_is_a_floor(frozen):
    xero = frozen
    xero.user.seed(contacts=2, invoices=4, spacing=1, statuses={"AUTHORISED": 1})
    xero.sandbox.clock.advance(3600)
    start = xero.sandbox.clock.now().replace(microsecond=0) - dt.timedelta(seconds=1)
    late = xero.user.invoice()
    config = xero.config(start_date=start.strftime("%Y-%m-%dT%H:%M:%SZ"))
    run = xero.read(config, xero.catalog("invoices", "contacts"))
    assert run.ids("invoices") == [late["InvoiceID"]]
    assert run.ids("contacts") == [late["Contact"]["ContactID"]]


def test_a_full_refresh_reads_everything_whatever_the_state(frozen):
    xero = frozen
    xero.user.seed(contacts=2, invoices=5, spacing=1, statuses={"AUTHORISED": 1})
    config = xero.config()
    first = xero.read(config, xero.catalog("invoices"))
    again = xero.read(config, xero.catalog("invoices", full_refresh=True), first.last_states())
    assert sorted(again.ids("invoices")) == sorted(first.ids("invoices"))


def test_every_page_logs_the_stream_records_so_far_and_the_cursor(frozen):
    xero = frozen
    xero.user.seed(contacts=2, invoices=7, spacing=1, statuses={"AUTHORISED": 1})
    run = xero.read(xero.config(**PAGES_OF_3), xero.catalog("invoices"))
    lines = [line for line in run.logs() if line.startswith("invoices: page")]
    assert len(lines) >= 3
    assert lines[0].startswith("invoices: page 1 (everything): 3 read; 3 records so far; cursor")
    assert lines[1].startswith("invoices: page 2 (changed since 20")
    assert "7 records so far" in lines[-1]
    assert run.estimates() == {"invoices": 7}


def test_a_payment_made_after_the_last_sync_on_an_old_invoice(xero: XeroSandbox):
    xero.sandbox.clock.freeze()
    invoice = xero.user.invoice()
    config = xero.config()
    first = xero.read(config, xero.catalog("payments"))
    assert first.ids("payments") == []
    xero.sandbox.clock.advance(10)
    with xero.user.ledger.lock:
        payment = xero.user.ledger.create_payment(
            PaymentDraft(
                invoice_id=invoice["InvoiceID"],
                account_code="090",
                amount=Decimal(str(invoice["AmountDue"])),
                date=dt.date(2024, 5, 20),
            )
        )
    second = xero.read(config, xero.catalog("payments"), first.last_states())
    assert second.ids("payments") == [payment.payment_id]


def test_contacts_read_first_are_the_invoices_contacts_and_cost_no_look_up(frozen):
    xero = frozen
    xero.user.seed(contacts=120, invoices=150, spacing=1, statuses={"AUTHORISED": 1})
    run = xero.read(xero.config())
    assert len(run.ids("invoices")) == 150
    look_ups = [c for c in xero.sandbox.stats.calls() if "IDs=" in c.query]
    assert look_ups == []
    assert xero.api_calls("Contacts") == 1
    # Without the contacts stream: the same contacts, looked up in a call or two.
    xero.sandbox.stats.reset()
    alone = xero.read(xero.config(), xero.catalog("invoices"))
    assert alone.records("invoices") == run.records("invoices")
    assert 1 <= xero.api_calls("Contacts") <= 2


def test_many_unknown_contacts_are_read_as_the_whole_list_when_that_is_cheaper(frozen):
    xero = frozen
    xero.user.seed(contacts=400, invoices=400, spacing=1, statuses={"AUTHORISED": 1})
    run = xero.read(xero.config(), xero.catalog("invoices"))
    assert len(run.ids("invoices")) == 400
    contact_calls = [c for c in xero.sandbox.stats.calls() if c.path.endswith("/Contacts")]
    assert len(contact_calls) == 1  # 400 contacts: one page, not ten look-ups by IDs
    assert "IDs=" not in contact_calls[0].query
