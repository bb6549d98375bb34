"""Payments into the Xero sandbox: applied once, recognised by their reference, removed when
refunded or voided at the source, rejected with a reason when they cannot apply.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

from invoice_model import examples
from invoice_model.dates import parse_date
from invoice_model.money import to_decimal

if TYPE_CHECKING:
    from conftest import MakeConfig, XeroUser

    from keap_xero_sandbox.sandbox import Sandbox


def test_a_payment_pays_its_invoice_into_the_payment_account(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    written = kit.write(sandbox_config(), kit.sync([examples.invoice()], [examples.payment()]))
    assert written.error is None
    invoice = xero.invoices()["2087"]
    assert invoice["Status"] == "PAID"
    [payment] = xero.books()["payments"]
    assert payment["Account"]["Code"] == "090"
    assert to_decimal(payment["Amount"]) == Decimal("99.13")
    assert payment["Reference"] == "Keap payment 5001 · Credit Card · Paid at the door"
    assert payment["Invoice"]["InvoiceID"] == invoice["InvoiceID"]


def test_a_later_payment_finds_its_invoice_with_one_look_up(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    config = sandbox_config()
    unpaid = [
        kit.invoice(n, status="open", amount_paid=0, amount_due=99.13, paid_at=None)
        for n in range(3)
    ]
    kit.write(config, kit.sync(unpaid))
    sandbox.stats.reset()
    written = kit.write(config, kit.sync(payments=[kit.payment(n) for n in range(3)]))
    assert written.error is None
    assert kit.calls(sandbox, "GET", "/Invoices") == 1
    assert kit.calls(sandbox, "PUT", "/Payments") == 1
    assert {i["Status"] for i in xero.invoices().values()} == {"PAID"}


def test_a_refunded_payment_is_removed_from_xero(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    config = sandbox_config()
    kit.write(config, kit.sync([examples.invoice()], [examples.payment()]))
    sandbox.stats.reset()
    written = kit.write(config, kit.sync(payments=[examples.payment(status="refunded")]))
    assert written.error is None
    assert kit.calls(sandbox, "POST", "/Payments/<payment_id>") == 1
    assert [p["Status"] for p in xero.books()["payments"]] == ["DELETED"]
    assert xero.invoices()["2087"]["Status"] == "AUTHORISED"
    assert "1 removed" in written.summary
    # Removing it again is nothing to do.
    again = kit.write(config, kit.sync(payments=[examples.payment(status="refunded")]))
    assert (
        "payments: 0 created, 0 updated, 0 unchanged, 0 left alone, 0 removed, 1 skipped"
        in again.summary
    )


def test_payments_that_cannot_apply_are_rejected_with_the_reason(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    config = sandbox_config()
    kit.write(
        config,
        kit.sync([kit.invoice(1, status="open", amount_paid=0, amount_due=99.13, paid_at=None)]),
    )
    too_much = kit.payment(1, amount=150)
    in_euros = {**kit.payment(1), "source_id": "7101", "currency": "EUR"}
    written = kit.write(config, kit.sync(payments=[too_much, in_euros]))
    assert written.error is None
    warnings = sorted(written.warnings)
    assert warnings[0].startswith("payments record 7001: rejected: Xero refused it: ")
    assert "exceeds the amount outstanding" in warnings[0]
    assert warnings[1] == "payments record 7101: rejected: it is in EUR, its invoice 5001 in USD"
    assert xero.books()["payments"] == []
    # Both are settled: the state after them is echoed.
    assert written.states[-1].destinationStats.recordCount == 2


def test_a_payment_to_a_draft_invoice_is_rejected_by_xero(
    kit: SimpleNamespace, sandbox_config: MakeConfig
) -> None:
    config = sandbox_config(**{"invoices.status": "DRAFT"})
    written = kit.write(config, kit.sync([examples.invoice()], [examples.payment()]))
    assert "Payments can only be made against Authorised documents" in written.warnings[0]


def test_a_refund_of_a_payment_never_written_is_nothing_to_do(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig
) -> None:
    written = kit.write(sandbox_config(), kit.sync(payments=[kit.payment(9, status="voided")]))
    assert written.warnings == []
    assert "payments: 0 created" in written.summary
    assert "1 skipped, 0 rejected" in written.summary
    assert kit.writes(sandbox) == 0


def test_a_payment_is_never_applied_to_an_invoice_this_destination_did_not_write(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    xero.raise_invoice(
        "2087", "Counter sale", 500, Status="AUTHORISED", Date="2024-03-01", DueDate="2024-03-31"
    )
    sandbox.stats.reset()
    written = kit.write(sandbox_config(), kit.sync(payments=[examples.payment()]))
    assert written.error is None
    assert written.warnings == [
        "payments record 5001: rejected: invoice number 2087 belongs to a Xero invoice this "
        "destination did not write; change invoices.invoice_number_template or renumber that "
        "invoice"
    ]
    assert xero.books()["payments"] == []
    held = xero.invoices()["2087"]
    assert (held["AmountPaid"], held["AmountDue"]) == (0, held["Total"])
    assert kit.writes(sandbox) == 0
    # Its refund has nothing of ours to remove.
    refund = kit.write(sandbox_config(), kit.sync(payments=[examples.payment(status="refunded")]))
    assert refund.warnings == []
    assert "1 skipped, 0 rejected" in refund.summary


def test_a_payment_partly_refunded_at_the_source_is_replaced_with_the_amount_kept(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    config = sandbox_config()
    unpaid = kit.invoice(1, status="open", amount_paid=0, amount_due=99.13, paid_at=None)
    kit.write(config, kit.sync([unpaid], [kit.payment(1, amount=29)]))
    [first] = xero.books()["payments"]
    assert to_decimal(first["Amount"]) == Decimal("29.00")
    sandbox.stats.reset()

    written = kit.write(config, kit.sync(payments=[kit.payment(1, amount=28)]))
    assert written.error is None
    assert written.warnings == []
    assert "payments: 0 created, 1 updated, 0 unchanged, 0 left alone, 0 removed" in (
        written.summary
    )
    # One look-up, one delete, one create.
    assert kit.calls(sandbox, "GET", "/Invoices") == 1
    assert kit.calls(sandbox, "POST", "/Payments/<payment_id>") == 1
    assert kit.calls(sandbox, "PUT", "/Payments") == 1
    live = [p for p in xero.books()["payments"] if p["Status"] != "DELETED"]
    assert [(to_decimal(p["Amount"]), p["Reference"]) for p in live] == [
        (Decimal("28.00"), first["Reference"])
    ]
    assert to_decimal(xero.invoices()["5001"]["AmountPaid"]) == Decimal("28.00")

    sandbox.stats.reset()
    again = kit.write(config, kit.sync(payments=[kit.payment(1, amount=28)]))
    assert "payments: 0 created, 0 updated, 1 unchanged" in again.summary
    assert kit.writes(sandbox) == 0


def test_a_fully_paid_invoice_takes_a_smaller_replacement(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    config = sandbox_config()
    kit.write(config, kit.sync([examples.invoice()], [examples.payment()]))
    assert xero.invoices()["2087"]["Status"] == "PAID"
    # The deletion goes first: a new 90.00 beside the old 99.13 would exceed the amount due.
    written = kit.write(config, kit.sync(payments=[examples.payment(amount=90)]))
    assert written.warnings == []
    invoice = xero.invoices()["2087"]
    assert (invoice["Status"], to_decimal(invoice["AmountDue"])) == ("AUTHORISED", Decimal("9.13"))


def test_an_amount_changed_back_within_minutes_is_written_again(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    # Xero remembers an Idempotency-Key for 6 minutes: the second 29.00 must not be taken for
    # a retry of the first, whose payment is deleted by then.
    config = sandbox_config()
    unpaid = kit.invoice(1, status="open", amount_paid=0, amount_due=99.13, paid_at=None)
    kit.write(config, kit.sync([unpaid], [kit.payment(1, amount=29)]))
    kit.write(config, kit.sync(payments=[kit.payment(1, amount=28)]))
    written = kit.write(config, kit.sync(payments=[kit.payment(1, amount=29)]))
    assert "payments: 0 created, 1 updated" in written.summary
    live = [p for p in xero.books()["payments"] if p["Status"] != "DELETED"]
    assert [to_decimal(p["Amount"]) for p in live] == [Decimal("29.00")]
    assert to_decimal(xero.invoices()["5001"]["AmountPaid"]) == Decimal("29.00")


def reopened(invoice: dict, paid: float) -> dict:
    """`invoice` as the source sends it once a refund leaves `paid` of it paid."""
    return {
        **invoice,
        "status": "open",
        "paid_at": None,
        "amount_paid": paid,
        "amount_due": round(invoice["total"] - paid, 2),
        "updated_at": "2024-03-20T10:00:00.000Z",
    }


@pytest.mark.parametrize(
    ("refund", "kept"), [("in full", 0), ("in part", 40)], ids=["in-full", "in-part"]
)
def test_a_refund_reopening_an_invoice_paid_on_its_issue_day_gives_it_its_due_date_back(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser, refund: str, kept: float
) -> None:
    """Paid the day it was raised, the invoice was due that day; re-opened, it is due as any
    open invoice. The payment goes first, so the invoice is editable when its update comes
    (Xero edits no invoice with payments), and the smaller payment, if any, goes in after."""
    config = sandbox_config()
    same_day = examples.invoice(due_date=None, paid_at="2024-03-01T18:00:00.000Z")
    kit.write(config, kit.sync([same_day], [examples.payment()]))
    assert parse_date(xero.invoices()["2087"]["DueDate"]).isoformat() == "2024-03-01"

    payment = examples.payment(status="refunded") if not kept else examples.payment(amount=kept)
    written = kit.write(config, kit.sync([reopened(same_day, kept)], [payment]))

    assert written.warnings == []  # nothing left alone
    invoice = xero.invoices()["2087"]
    assert parse_date(invoice["DueDate"]).isoformat() == "2024-03-31"
    assert (invoice["Status"], to_decimal(invoice["AmountPaid"])) == ("AUTHORISED", kept)
    assert "invoices: 0 created, 1 updated" in written.summary
    replaced_or_removed = (
        "0 updated, 0 unchanged, 0 left alone, 1 removed" if not kept else ("1 updated")
    )
    assert f"payments: 0 created, {replaced_or_removed}" in written.summary


def test_an_invoice_voided_with_its_payment_is_voided_in_xero(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    config = sandbox_config()
    kit.write(config, kit.sync([examples.invoice()], [examples.payment()]))
    void = {**reopened(examples.invoice(), 0), "status": "void"}
    written = kit.write(config, kit.sync([void], [examples.payment(status="voided")]))
    assert written.warnings == []
    assert xero.invoices()["2087"]["Status"] == "VOIDED"


def test_a_void_that_leaves_a_source_draft_updates_the_invoice_without_undoing_its_approval(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    """Keap calls a draft it never sent a draft again once its only payment is voided: the
    invoice, approved in Xero, is updated once the payment is gone, and stays approved (Xero
    refuses a return to draft)."""
    config = sandbox_config()
    kit.write(config, kit.sync([examples.invoice()], [examples.payment()]))
    draft = {**reopened(examples.invoice(), 0), "status": "draft", "reference": "Renamed"}
    written = kit.write(config, kit.sync([draft], [examples.payment(status="voided")]))
    assert written.warnings == []
    invoice = xero.invoices()["2087"]
    assert (invoice["Status"], invoice["Reference"]) == ("AUTHORISED", "Renamed")
