"""Exactly once: replays find the orders already written (also after a crash between an order's
creation and the state after it), changed invoices update their orders while Keap allows it,
void ones remove them, and look-ups stay few."""

from __future__ import annotations

from decimal import Decimal

from airbyte_cdk.models import Level, Type

ORDERS = "/crm/rest/v2/orders"


def test_a_replay_writes_nothing_and_costs_only_look_ups(keap, kit):
    records = [kit.invoice(n, contact_n=n % 3) for n in range(6)]
    first = kit.write(keap.config(), kit.sync(records), ["invoices"])
    before = keap.dump()
    keap.sandbox.stats.reset()

    again = kit.write(keap.config(), kit.sync(records), ["invoices"])

    assert first.error is None
    assert again.error is None
    assert keap.dump() == before
    assert keap.calls("POST") == keap.calls("PATCH") == keap.calls("DELETE") == 0
    # The profile, the custom fields, the products (the lines have SKUs), one look-up each.
    assert keap.calls() == 3 + len(records)
    assert "invoices: 0 created, 0 updated, 6 unchanged" in again.summary


def test_a_crash_after_the_orders_were_written_but_before_the_state_duplicates_nothing(keap, kit):
    records = [kit.invoice(n) for n in range(4)]
    messages = kit.sync(records)
    for message in kit.run(keap.config(), messages, ["invoices"]):
        if message.type == Type.LOG and message.log.message.startswith("Keap: flushed"):
            break  # the process dies here: its state message is never echoed
    assert len(keap.orders()) == 4

    replay = kit.write(keap.config(), messages, ["invoices"])

    assert replay.error is None
    assert len(keap.orders()) == 4
    assert len(keap.contacts()) == 4
    assert "4 unchanged" in replay.summary
    assert [s.destinationStats.recordCount for s in replay.states] == [4]


def test_an_order_whose_answer_was_lost_is_found_not_created_twice(keap, kit):
    keap.sandbox.faults.add(
        api="keap", method="POST", path=ORDERS, kind="drop", after=True, count=1
    )
    keap.sandbox.faults.add(api="keap", method="POST", path=ORDERS, status=502, after=True, count=1)
    records = [kit.invoice(n, contact_n=0) for n in range(3)]
    written = kit.write(keap.config(), kit.sync(records), ["invoices"])

    assert written.error is None
    assert sorted(keap.orders()) == sorted(r["source_id"] for r in records)
    assert keap.calls("POST", "orders") == 3 + 0  # no order sent twice
    assert "3 created" in written.summary


def test_an_order_refused_before_it_was_made_is_sent_again(keap, kit):
    keap.sandbox.faults.add(api="keap", method="POST", path=ORDERS, status=503, count=2)
    written = kit.write(keap.config(), kit.sync([kit.invoice(1)]), ["invoices"])

    assert written.error is None
    assert len(keap.orders()) == 1
    assert keap.calls("POST", "orders") == 3


def test_a_changed_invoice_updates_its_order(keap, kit):
    kit.write(keap.config(), kit.sync([kit.invoice(1), kit.invoice(2)]), ["invoices"])
    [first, second] = keap.orders().values()
    changed = kit.invoice(
        1,
        due_date="2024-04-30",
        line_items=[kit.line("service", "Coaching", 2, 60), kit.line("tax", "Tax", 1, 9.9)],
    )
    keap.sandbox.stats.reset()

    written = kit.write(keap.config(), kit.sync([changed, kit.invoice(2)]), ["invoices"])

    assert written.error is None
    assert keap.calls("PATCH") == 1
    assert keap.calls("POST") == 0
    orders = keap.orders()
    updated = orders[kit.xero_id(1)]
    assert updated["id"] == first["id"]
    assert updated["total"]["amount"] == 12990
    assert [i["name"] for i in updated["order_items"]] == ["Coaching", "Tax"]
    assert updated["due_time"].startswith("2024-04-30")
    assert orders[kit.xero_id(2)] == second
    assert "invoices: 0 created, 1 updated, 1 unchanged" in written.summary


def test_an_invoice_moved_to_another_contact_moves_its_order(keap, kit):
    kit.write(keap.config(), kit.sync([kit.invoice(1)]), ["invoices"])
    moved = kit.invoice(1, contact=kit.contact(7))

    written = kit.write(keap.config(), kit.sync([moved]), ["invoices"])

    assert "1 updated" in written.summary
    [order] = keap.orders().values()
    assert order["contact"]["email"] == "customer0007@example.com"
    assert len(keap.contacts()) == 2


def test_an_order_with_payments_keeps_its_lines_and_says_why(keap, kit):
    kit.write(keap.config(), kit.sync([kit.invoice(1), kit.invoice(2)]), ["invoices"])
    orders = keap.orders()
    for xero_id in orders:
        with keap.account.lock:
            keap.account.record_payment(
                int(orders[xero_id]["id"]),
                {
                    "payment_amount": Decimal(10),
                    "payment_method_type": "Cash",
                    "apply_to_commissions": False,
                },
            )
    new_lines = [kit.line("service", "Coaching", 1, 50)]
    changed = [
        kit.invoice(1, line_items=new_lines),  # lines: Keap refuses to replace them
        kit.invoice(2, due_date="2024-05-31"),  # a date: Keap allows it
    ]

    written = kit.write(keap.config(), kit.sync(changed), ["invoices"])

    after = keap.orders()
    assert after[kit.xero_id(1)]["order_items"] == orders[kit.xero_id(1)]["order_items"]
    assert after[kit.xero_id(2)]["due_time"].startswith("2024-05-31")
    [warning] = written.warnings
    assert warning == (
        f"invoices record {kit.xero_id(1)}: left alone: its lines changed in Xero, but order "
        f"{orders[kit.xero_id(1)]['id']} has payments in Keap, which then keeps them: left alone"
    )
    assert "1 updated, 0 unchanged, 1 left alone" in written.summary


def test_a_void_invoice_removes_its_order_unless_it_has_payments(keap, kit):
    kit.write(keap.config(), kit.sync([kit.invoice(n) for n in range(3)]), ["invoices"])
    paid = keap.orders()[kit.xero_id(2)]
    with keap.account.lock:
        keap.account.record_payment(
            int(paid["id"]),
            {
                "payment_amount": Decimal(5),
                "payment_method_type": "Cash",
                "apply_to_commissions": False,
            },
        )
    voids = [kit.invoice(n, status="void") for n in range(3)] + [kit.invoice(9, status="void")]

    written = kit.write(keap.config(), kit.sync(voids), ["invoices"])

    assert sorted(keap.orders()) == [kit.xero_id(2)]
    assert "2 removed, 1 skipped" in written.summary
    assert "1 left alone" in written.summary
    assert any("has payments in Keap: left alone" in w for w in written.warnings)


def test_few_new_invoices_are_looked_up_one_by_one_many_in_one_listing(keap, kit):
    kit.write(
        keap.config(), kit.sync([kit.invoice(n, contact_n=0) for n in range(30)]), ["invoices"]
    )
    # 30 unknown InvoiceIDs: one listing of the orders carrying the marker, not 30 look-ups.
    assert keap.calls("GET", "orders", status=200) == 1
    keap.sandbox.stats.reset()

    kit.write(
        keap.config(), kit.sync([kit.invoice(n, contact_n=0) for n in range(3)]), ["invoices"]
    )
    assert keap.calls("GET", "orders", status=200) == 3


def test_each_flush_says_what_it_wrote_and_what_it_cost(keap, kit):
    records = [kit.invoice(n, contact_n=n % 2) for n in range(5)]
    written = kit.write(keap.config(), kit.sync(records, state_every=3), ["invoices"])

    progress = [m for m in written.logs(Level.INFO) if m.startswith("Keap: flushed")]
    assert len(progress) == 2
    assert progress[0].startswith("Keap: flushed 3 records (invoices: 3 created); ")
    assert progress[1].startswith("Keap: flushed 2 records (invoices: 2 created); ")
    calls = keap.calls()
    assert progress[1].endswith(f"{calls} Keap calls so far, " + progress[1].rsplit(", ", 1)[1])
    assert "s waited for Keap's rate limits" in progress[1]
