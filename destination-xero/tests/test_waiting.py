"""Records that wait. A payment whose invoice is not in Xero yet is never dropped for good: it
waits for its invoice (tried again after the invoices of every later flush), no state of its
stream is echoed past it meanwhile, and it is given up, with the reason, only when its invoice
will not come by itself: refused in this sync, or not among every invoice the source sent. An
invoice changed at the source but paid in Xero waits for the payments of the sync, which may
remove what stands in the way of its update."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING

from invoice_model import examples
from invoice_model.money import to_decimal

if TYPE_CHECKING:
    from conftest import MakeConfig, XeroUser

    from keap_xero_sandbox.sandbox import Sandbox


def echoed(written) -> list[tuple[str, str, float]]:
    """(stream, position, records covered) of each state echoed."""
    return [
        (
            s.stream.stream_descriptor.name,
            s.stream.stream_state.updated_at,
            s.destinationStats.recordCount,
        )
        for s in written.states
    ]


def test_a_payment_sent_before_its_invoice_lands_once_the_invoice_does(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    """Payments first, each flushed at its state: the payment waits for the invoice of a
    later flush, and the state of `payments` is echoed only once it has landed (in that
    flush, before the state of `invoices` that follows it)."""
    messages = [
        kit.record("payments", examples.payment()),
        kit.state("payments", "p1"),
        kit.record("invoices", examples.invoice()),
        kit.state("invoices", "i1"),
    ]
    written = kit.write(sandbox_config(), messages)

    assert written.error is None
    assert written.warnings == []
    assert echoed(written) == [("payments", "p1", 1), ("invoices", "i1", 1)]
    assert xero.invoices()["2087"]["Status"] == "PAID"
    assert "payments: 1 created" in written.summary


def test_a_payment_whose_invoice_this_sync_did_not_bring_waits_for_the_next_sync(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    """Its invoice may be in a part of the sync that failed, or in the next sync: the payment is
    neither written nor rejected, and no state of its stream is echoed, so the source sends it
    again; once the invoice is in Xero, it lands."""
    config = sandbox_config()
    later = kit.payment(2)
    written = kit.write(config, [*kit.sync([kit.invoice(1)]), *kit.sync(payments=[later])])

    assert written.error is None
    assert echoed(written) == [("invoices", "000001", 1)]
    assert written.warnings == [
        "Xero: 1 record(s) wait for what this sync did not bring: payments record 7002 (its "
        "invoice 5002). Their state is not echoed: the next sync sends them again."
    ]
    assert "0 rejected, 1 waiting" in written.summary
    assert xero.books()["payments"] == []

    again = kit.write(config, kit.sync([kit.invoice(2)], [later]))
    assert echoed(again)[-1] == ("payments", "000001", 1)
    assert to_decimal(xero.invoices()["5002"]["AmountPaid"]) == Decimal("99.13")


def test_once_the_source_has_sent_every_invoice_a_payment_whose_invoice_is_missing_is_given_up(
    kit: SimpleNamespace, sandbox_config: MakeConfig
) -> None:
    messages = [
        *kit.sync([kit.invoice(1)]),
        kit.stream_status("invoices"),
        *kit.sync(payments=[kit.payment(1), kit.payment(2)]),
    ]
    written = kit.write(sandbox_config(), messages)

    assert written.error is None
    assert written.warnings == [
        "payments record 7002: rejected: its invoice 5002 is not in Xero and the source sent "
        "every invoice of this sync without it (refused or left out in an earlier sync?); it "
        "lands with its invoice once the source sends the invoice again"
    ]
    assert echoed(written) == [("invoices", "000001", 1), ("payments", "000002", 2)]


def test_a_payment_waiting_when_the_source_completes_its_invoices_is_given_up_then(
    kit: SimpleNamespace, sandbox_config: MakeConfig
) -> None:
    messages = [
        *kit.sync(payments=[kit.payment(2)]),
        *kit.sync([kit.invoice(1)]),
        kit.stream_status("invoices"),
    ]
    written = kit.write(sandbox_config(), messages)

    assert "payments record 7002: rejected: its invoice 5002 is not in Xero" in written.warnings[0]
    assert echoed(written) == [("invoices", "000001", 1), ("payments", "000001", 1)]


def test_a_payment_whose_invoice_was_refused_in_the_same_sync_is_given_up_with_its_reason(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    xero.raise_invoice("2087", "Theirs", 5)  # Zoë is new to Xero: the number is refused
    written = kit.write(sandbox_config(), kit.sync([examples.invoice()], [examples.payment()]))

    invoice_warning, payment_warning = written.warnings
    assert invoice_warning.startswith("invoices record 1042: rejected: Xero refused it")
    assert payment_warning.startswith(
        "payments record 5001: rejected: its invoice 2087 was not written in this sync "
        "(rejected: Xero refused it"
    )
    assert echoed(written) == [("invoices", "000001", 1), ("payments", "000001", 1)]


def test_with_only_payments_synced_a_payment_whose_invoice_is_missing_is_given_up(
    kit: SimpleNamespace, sandbox_config: MakeConfig, sandbox: Sandbox
) -> None:
    out = []
    for message in kit.run(sandbox_config(), kit.sync(payments=[kit.payment(1)]), ["payments"]):
        out.append(message)
    states = [m.state for m in out if m.state]
    warnings = [m.log.message for m in out if m.log and m.log.level.value == "WARN"]
    assert [s.destinationStats.recordCount for s in states] == [1]
    assert warnings[0].startswith("payments record 7001: rejected: its invoice 5001 is not")


def test_an_invoice_waiting_for_its_payments_comes_again_when_the_payments_stream_is_cut_short(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    """Changed at the source but paid in Xero, with the sync's payments cut short (the source
    reported `payments` started, never complete): its state is not echoed, so the next sync
    sends it again with the refund that re-opens it, and it is updated then."""
    config = sandbox_config()
    kit.write(config, kit.sync([examples.invoice()], [examples.payment()]))
    renamed = {**examples.invoice(), "reference": "Renamed", "updated_at": "2024-03-09T00:00:00Z"}
    started = kit.stream_status("payments", "STARTED")
    cut = kit.write(config, [*kit.sync([renamed]), kit.stream_status("invoices"), started])

    assert echoed(cut) == []
    assert "invoices record 1042 (the removal of its payments in Xero)" in cut.warnings[-1]
    assert xero.invoices()["2087"]["Reference"] == "Spring workshop order"

    refund = examples.payment(status="refunded")
    reopened = {**renamed, "status": "open", "paid_at": None, "amount_paid": 0, "amount_due": 99.13}
    again = kit.write(config, kit.sync([reopened], [refund]))
    assert again.warnings == []
    assert xero.invoices()["2087"]["Reference"] == "Renamed"


def test_a_payment_waiting_for_its_invoice_never_fails_a_sync_under_fail(
    kit: SimpleNamespace, sandbox_config: MakeConfig
) -> None:
    written = kit.write(
        sandbox_config(on_invalid_record="fail"), kit.sync(payments=[kit.payment(1)])
    )
    assert written.error is None
    assert echoed(written) == []
