"""Payments: not written unless turned on; then as manual payments of the orders their invoices
became, once, with what Keap's API cannot undo left alone and said."""

from __future__ import annotations

import pytest


@pytest.fixture
def paying(keap):
    """A config writing payments as 'Bank transfer', a type the account is given."""
    keap.account.configure({"manual_payment_types": ["Cash", "Bank transfer"]})
    return keap.config(
        **{"payments.write_payments": True, "payments.payment_type": "Bank transfer"}
    )


def test_payments_are_not_written_by_default(keap, kit):
    written = kit.write(keap.config(), kit.sync([kit.invoice(1)], [kit.payment(1)]))

    assert written.error is None
    assert keap.payments() == []
    assert "payments: 0 created, 0 updated, 0 unchanged, 0 left alone, 0 removed, 1 skipped" in (
        written.summary
    )
    assert keap.calls("GET", "settings/applications:getConfiguration") == 0


def test_payments_turned_on_are_manual_payments_of_their_orders_once(keap, kit, paying):
    invoices = [kit.invoice(1), kit.invoice(2)]
    payments = [kit.payment(1), kit.payment(2, amount=40)]
    written = kit.write(paying, kit.sync(invoices, payments))

    assert written.error is None
    orders = keap.orders()
    assert orders[kit.xero_id(1)]["status"] == "PAID"
    assert orders[kit.xero_id(2)]["total_due"]["amount"] == 9913 - 4000
    recorded = sorted(keap.payments(), key=lambda p: p["amount"])
    assert [(p["type"], p["amount"]) for p in recorded] == [
        ("Bank transfer", 40),
        ("Bank transfer", 99.13),
    ]
    assert (
        recorded[0]["note"]
        == f"Xero payment {kit.xero_id(2, 'payment')} · Bank transfer · INV-0002"
    )
    assert recorded[1]["payment_time"] == "2024-03-02T17:00:00.000Z"  # noon in New York

    again = kit.write(paying, kit.sync(invoices, payments))
    assert len(keap.payments()) == 2
    assert "payments: 0 created, 0 updated, 2 unchanged" in again.summary


def test_what_keap_cannot_undo_is_left_alone_and_said(keap, kit, paying):
    kit.write(paying, kit.sync([kit.invoice(1), kit.invoice(2)], [kit.payment(1, amount=50)]))
    changes = [
        kit.payment(1, amount=60),  # changed in Xero
        kit.payment(1, source_id=kit.xero_id(9, "payment"), status="voided"),  # never in Keap
    ]
    refund = kit.payment(1, status="refunded", amount=50)
    written = kit.write(paying, kit.sync([], changes))
    refunded = kit.write(paying, kit.sync([], [refund]))

    assert len(keap.payments()) == 1
    [changed] = written.warnings
    assert changed.endswith(
        "left alone: its amount is 60 in Xero, 50 in Keap, whose API cannot change a payment: "
        f"change it in Keap, on order {keap.orders()[kit.xero_id(1)]['id']}"
    )
    assert "1 left alone, 0 removed, 1 skipped" in written.summary
    [undone] = refunded.warnings
    assert "refunded in Xero, but Keap's API cannot void or refund a payment" in undone


def test_a_payment_keap_refuses_is_rejected_with_keaps_reason(keap, kit, paying):
    payments = [kit.payment(1, amount=150), kit.payment(7)]
    written = kit.write(paying, kit.sync([kit.invoice(1)], payments))

    assert keap.payments() == []
    assert sorted(written.warnings) == sorted(
        [
            f"payments record {kit.xero_id(1, 'payment')}: rejected: Keap refused it: Keap "
            "answered POST /orders/1/payments with 400: payment_amount 150.00 exceeds the "
            "balance due of order 1 (99.13)",
            f"payments record {kit.xero_id(7, 'payment')}: rejected: its invoice "
            f"{kit.xero_id(7)} is not in Keap",
        ]
    )


def test_a_payment_whose_answer_was_lost_is_found_not_recorded_twice(keap, kit, paying):
    kit.write(paying, kit.sync([kit.invoice(1)]))
    keap.sandbox.faults.add(
        api="keap", method="POST", path="/crm/rest/v2/orders/*/payments", kind="drop", after=True
    )
    written = kit.write(paying, kit.sync([], [kit.payment(1, amount=20)]))

    assert written.error is None
    assert len(keap.payments()) == 1
    assert "payments: 1 created" in written.summary
