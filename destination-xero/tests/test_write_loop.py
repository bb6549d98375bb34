"""The write loop: batches, state echoed only after what precedes it is settled, rejected
records, the end summary, and what is refused at the start.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest
from airbyte_cdk.models import (
    AirbyteLogMessage,
    AirbyteMessage,
    DestinationSyncMode,
    FailureType,
    Level,
    Type,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_xero import DestinationXero
from destination_xero.ledger import XeroInvoice
from invoice_model import examples
from invoice_model.money import to_decimal
from keap_xero_sandbox.destinations import Written

if TYPE_CHECKING:
    from conftest import MakeConfig, XeroUser

    from keap_xero_sandbox.sandbox import Sandbox


def test_invoices_go_fifty_a_call_and_each_state_counts_its_records(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    invoices = [kit.invoice(n, contact=n % 10) for n in range(130)]
    written = kit.write(sandbox_config(), kit.sync(invoices, state_every=100))
    assert written.error is None
    assert [s.destinationStats.recordCount for s in written.states] == [100, 30]
    assert [s.stream.stream_state.updated_at for s in written.states] == ["000100", "000130"]
    assert kit.calls(sandbox, "PUT", "/Invoices") == 3  # 50 + 50, then 30
    assert len(xero.invoices()) == 130


def test_a_state_is_echoed_only_after_the_records_before_it_are_in_xero(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    seen_at_each_state = []
    messages = kit.sync([kit.invoice(n) for n in range(6)], state_every=3)
    for message in kit.run(sandbox_config(), messages):
        if message.type == Type.STATE:
            seen_at_each_state.append(len(xero.invoices()))
    assert seen_at_each_state == [3, 6]


def test_a_sync_with_nothing_new_costs_xero_no_call_and_echoes_every_state(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig
) -> None:
    nothing_new = [kit.state("invoices", "000130"), kit.state("payments", "000120")]
    written = kit.write(sandbox_config(oauth=True), nothing_new)
    assert written.error is None
    assert [s.stream.stream_descriptor.name for s in written.states] == ["invoices", "payments"]
    assert [s.destinationStats.recordCount for s in written.states] == [0, 0]
    assert sandbox.stats.count("xero") == 0  # not even a token: the refresh token is not spent


def test_elements_xero_refuses_reject_only_their_records(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    xero.lock("2024-01-31")
    invoices = [kit.invoice(n) for n in range(5)]
    invoices[1]["issue_date"] = invoices[3]["issue_date"] = "2024-01-15"
    invoices[1]["due_date"] = invoices[3]["due_date"] = "2024-02-15"
    written = kit.write(sandbox_config(), kit.sync(invoices))
    assert written.error is None
    assert sorted(xero.invoices()) == ["5000", "5002", "5004"]
    assert [w.split(":")[0] for w in written.warnings] == [
        "invoices record 1001",
        "invoices record 1003",
    ]
    assert all("rejected: Xero refused it: " in w for w in written.warnings)
    assert "lock date" in written.warnings[0]
    assert written.states[-1].destinationStats.recordCount == 5
    assert "invoices: 3 created, 0 updated, 0 unchanged" in written.summary
    assert "0 skipped, 2 rejected" in written.summary


def test_records_breaking_the_contract_are_rejected_before_any_call(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig
) -> None:
    broken = examples.invoice(total=100)
    written = kit.write(sandbox_config(), kit.sync([broken]))
    assert written.error is None
    [warning] = written.warnings
    assert warning.startswith("invoices record 1042: rejected: breaks the record contract: ")
    assert "total: 100 is not subtotal + tax = 99.13" in warning
    assert kit.writes(sandbox) == 0


def test_with_on_invalid_record_fail_the_sync_stops_after_committing_the_rest(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    first = [kit.invoice(n) for n in range(2)]
    second = [kit.invoice(2), {**kit.invoice(3), "total": 1}, kit.invoice(4)]
    messages = kit.sync(first) + kit.sync(second)
    written = kit.write(sandbox_config(on_invalid_record="fail"), messages)
    assert written.error is not None
    assert written.error.failure_type == FailureType.system_error
    assert "invoices record 1003" in (written.error.message or "")
    assert len(written.states) == 1  # the state after the invalid record is not echoed
    assert sorted(xero.invoices()) == ["5000", "5001", "5002", "5004"]


def test_records_written_by_the_other_direction_are_skipped(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    written = kit.write(sandbox_config(), kit.sync([examples.invoice(written_by_sync=True)]))
    assert xero.invoices() == {}
    assert "1 skipped" in written.summary


def test_a_record_sent_twice_in_one_batch_is_written_once_as_its_last_copy(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    older = examples.invoice(reference="First title")
    newer = examples.invoice(reference="Second title")
    kit.write(sandbox_config(), kit.sync([older, newer]))
    assert [i["Reference"] for i in xero.invoices().values()] == ["Second title"]


def test_streams_outside_the_contract_are_refused_at_the_start(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig
) -> None:
    written = kit.write(sandbox_config(), kit.sync([examples.invoice()]), ["invoices", "orders"])
    assert written.error is not None
    assert written.error.failure_type == FailureType.config_error
    assert "'orders' is not supported" in (written.error.message or "")
    assert "invoices, payments" in (written.error.message or "")
    assert sandbox.stats.count("xero") == 0


def test_overwrite_is_refused_at_the_start(
    kit: SimpleNamespace, sandbox_config: MakeConfig
) -> None:
    catalog = kit.catalog("invoices", mode=DestinationSyncMode.overwrite)
    with pytest.raises(AirbyteTracedException, match="'overwrite' is not supported"):
        list(DestinationXero().write(sandbox_config(), catalog, iter([])))


def test_payments_need_a_payment_account(kit: SimpleNamespace, sandbox_config: MakeConfig) -> None:
    written = kit.write(sandbox_config(payments=None), kit.sync(payments=[examples.payment()]))
    assert written.error is not None
    assert "'payments.account_code': is required" in (written.error.message or "")


def test_records_whose_null_fields_were_dropped_in_transit_are_whole_again(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    # The CDK's message serializer leaves out top-level fields whose value is null.
    invoice = {k: v for k, v in examples.invoice().items() if v is not None}
    payment = {k: v for k, v in examples.payment().items() if v is not None}
    assert "number" not in invoice
    assert "invoice_number" not in payment
    written = kit.write(sandbox_config(), kit.sync([invoice], [payment]))
    assert written.warnings == []
    assert xero.invoices()["2087"]["Status"] == "PAID"


def test_no_more_than_a_thousand_records_are_held_before_they_are_committed(
    kit: SimpleNamespace, sandbox_config: MakeConfig
) -> None:
    # No state message at all: the buffer is committed every 1,000 records regardless.
    broken = [{**kit.invoice(n), "total": 1} for n in range(2_001)]
    reported: list[str] = []
    reported_when_pulled: dict[int, int] = {}

    def source() -> Iterator[AirbyteMessage]:
        for n, invoice in enumerate(broken):
            reported_when_pulled[n] = len(reported)
            yield kit.record("invoices", invoice)

    for message in kit.run(sandbox_config(), source()):
        if message.log and message.log.level == Level.WARN:
            reported.append(message.log.message)
    # Each record is rejected (and told) by the time the 1,000th after it is read.
    assert reported_when_pulled[1_000] == 1_000
    assert reported_when_pulled[2_000] == 2_000
    assert len(reported) == 2_001


def test_a_run_keeps_every_invoice_it_has_seen_out_of_memory_and_never_looks_one_up_again(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    """As source-keap sends a sync (every invoice, then the payments), each payment finds its
    invoice as this run left it, however many flushes ago, without a look-up; and between
    flushes no invoice is held as a Python object, so memory does not grow with the invoices."""
    unpaid = {"status": "open", "amount_paid": 0, "amount_due": 99.13, "paid_at": None}
    invoices = [kit.invoice(n, **unpaid) for n in range(30)]
    messages = kit.sync(invoices, state_every=10)
    # Its contact was created by this run, yet it is in Xero now: updated, not created again.
    messages += kit.sync([{**invoices[0], "reference": "Retitled"}])
    messages += kit.sync(payments=[kit.payment(n) for n in range(30)], state_every=10)
    # The payments' IDs and amounts, and what they did to their invoices, were kept too.
    messages += kit.sync(payments=[kit.payment(1, status="refunded"), kit.payment(2, amount=50)])
    messages += kit.sync([{**invoices[3], "reference": "Retitled"}])
    out, held_at_states = [], []
    for message in kit.run(sandbox_config(), messages):
        out.append(message)
        if message.type == Type.STATE:
            held_at_states.append(sum(isinstance(o, XeroInvoice) for o in gc.get_objects()))
    written = Written(out, None)
    assert kit.calls(sandbox, "GET", "/Invoices") == 0
    assert held_at_states == [0] * 9
    assert "invoices: 30 created, 1 updated, 0 unchanged, 1 left alone" in written.summary
    assert "payments: 30 created, 1 updated, 0 unchanged, 0 left alone, 1 removed" in (
        written.summary
    )
    assert written.warnings == [
        "invoices record 1003: left alone: changed at the source, but it is paid in Xero "
        "(99.13 USD): left alone"
    ]
    held = xero.invoices()
    assert held["5000"]["Reference"] == "Retitled"
    assert held["5003"]["Reference"] != "Retitled"
    assert [held[n]["Status"] for n in ("5001", "5002", "5029")] == ["AUTHORISED"] * 2 + ["PAID"]
    assert to_decimal(held["5002"]["AmountPaid"]) == Decimal("50.00")
    assert len(held) == 30


def test_under_fail_a_refused_record_stops_each_sync_until_fixed_or_let_through_once(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    """The way forward from a record `fail` stops on: the message says it; one sync on `skip`
    rejects and passes it (its state echoed), and the next sync on `fail` goes on."""
    broken = {**kit.invoice(1), "total": 1}
    messages = kit.sync([kit.invoice(0), broken])
    stopped = kit.write(sandbox_config(on_invalid_record="fail"), messages)
    again = kit.write(sandbox_config(on_invalid_record="fail"), messages)
    assert [w.states for w in (stopped, again)] == [[], []]
    message = again.error.message or ""
    assert "Each sync stops here until these are fixed" in message
    assert "one sync on on_invalid_record 'skip'" in message

    passed = kit.write(sandbox_config(on_invalid_record="skip"), messages)
    assert passed.error is None
    assert [s.destinationStats.recordCount for s in passed.states] == [2]
    later = kit.write(sandbox_config(on_invalid_record="fail"), kit.sync([kit.invoice(2)]))
    assert later.error is None
    assert sorted(xero.invoices()) == ["5000", "5002"]


def test_a_sync_that_brings_no_record_makes_no_xero_call(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig
) -> None:
    """What a source sends when nothing changed (a stream status, its log, the state), piped in
    as it prints it: no sign-in, no read of the organisation, the state echoed covering no
    record. Most scheduled syncs are this, and each would spend a token and three of the
    organisation's 5,000 daily calls."""
    said = AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=Level.INFO, message="read"))
    messages = [
        kit.stream_status("invoices", "STARTED"),
        said,
        kit.state("invoices", "2026-01-02T03:04:05Z"),
        kit.stream_status("invoices"),
    ]
    written = kit.cli(sandbox_config(), [kit.input_line(m) for m in messages], ["invoices"])

    assert written.error is None
    assert sandbox.stats.snapshot()["total"] == 0
    [echoed] = written.states
    assert echoed.destinationStats.recordCount == 0
    assert written.summary == "Xero: no records"
