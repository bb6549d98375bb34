"""The write loop: state echoed only once what precedes it is in Keap, records rejected one by
one with their reason, the rest written, and what is refused at the start."""

from __future__ import annotations

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

from destination_keap import DestinationKeap

ORDERS = "/crm/rest/v2/orders"


def test_a_state_is_echoed_only_after_the_records_before_it_are_in_keap(keap, kit):
    seen_at_each_state = []
    messages = kit.sync([kit.invoice(n, contact_n=0) for n in range(5)], state_every=2)
    for message in kit.run(keap.config(), messages, ["invoices"]):
        if message.type == Type.STATE:
            seen_at_each_state.append(
                (len(keap.orders()), message.state.destinationStats.recordCount)
            )
    assert seen_at_each_state == [(2, 2), (4, 2), (5, 1)]


def test_a_sync_that_brings_no_record_makes_no_keap_call(keap, kit):
    """What a source sends when nothing changed (a stream status, its log, the state), piped
    in as it prints it: no sign-in, no look-up, the state echoed covering no record."""
    said = AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=Level.INFO, message="read"))
    messages = [
        kit.stream_status("invoices", "STARTED"),
        said,
        kit.state("invoices", "2026-01-02T03:04:05Z"),
        kit.stream_status("invoices"),
    ]
    written = kit.cli(keap.config("oauth2.0"), [kit.input_line(m) for m in messages], ["invoices"])

    assert written.error is None
    assert keap.calls() == 0
    [echoed] = written.states
    assert echoed.stream.stream_state.updated_at == "2026-01-02T03:04:05Z"
    assert echoed.destinationStats.recordCount == 0
    assert written.summary == "Keap: no records"
    assert not [m for m in written.messages if m.type == Type.CONTROL]


def test_states_before_the_first_record_are_echoed_and_the_records_after_written(keap, kit):
    messages = [
        kit.stream_status("invoices", "STARTED"),
        kit.state("invoices", "000000"),
        *kit.sync([kit.invoice(1), kit.invoice(2)]),
    ]
    written = kit.write(keap.config(), messages, ["invoices"])

    assert written.error is None
    assert [s.destinationStats.recordCount for s in written.states] == [0, 2]
    assert sorted(keap.orders()) == sorted([kit.xero_id(1), kit.xero_id(2)])
    assert keap.calls("GET", "businessProfile") == 1


def test_an_order_keap_refuses_rejects_only_its_record_with_keaps_reason(keap, kit):
    keap.sandbox.faults.add(
        api="keap",
        method="POST",
        path=ORDERS,
        status=400,
        body={"code": 400, "message": "Order title is too long", "status": "Bad Request"},
    )
    records = [kit.invoice(1, contact_n=0), kit.invoice(2, contact_n=0)]
    written = kit.write(keap.config(), kit.sync(records, state_every=1))  # one order a flush

    assert list(keap.orders()) == [kit.xero_id(2)]
    [warning] = written.warnings
    assert warning == (
        f"invoices record {kit.xero_id(1)}: rejected: Keap refused it: Keap answered POST "
        "/orders with 400: Order title is too long"
    )
    assert [s.destinationStats.recordCount for s in written.states] == [1, 1]


def test_records_that_break_the_contract_are_rejected_before_any_call(keap, kit):
    broken = kit.invoice(1, total=100)
    written = kit.write(keap.config(), kit.sync([broken]), ["invoices"])

    assert written.error is None
    [warning] = written.warnings
    assert warning.startswith(
        f"invoices record {kit.xero_id(1)}: rejected: breaks the record contract: "
    )
    assert keap.calls("POST") == 0


def test_records_from_keap_are_not_written_back_and_those_it_wrote_are_skipped(keap, kit):
    from_keap = kit.invoice(1, source="keap")
    came_back = kit.invoice(2, written_by_sync=True)
    written = kit.write(keap.config(), kit.sync([from_keap, came_back]), ["invoices"])

    assert keap.orders() == {}
    [warning] = written.warnings
    assert warning.endswith(
        "rejected: it comes from Keap: records are not written back to where they came from"
    )
    assert "1 skipped, 1 rejected" in written.summary


def test_with_on_invalid_record_fail_the_sync_ends_after_committing_the_rest(keap, kit):
    records = [kit.invoice(1, currency="EUR"), kit.invoice(2)]
    written = kit.write(keap.config(on_invalid_record="fail"), kit.sync(records), ["invoices"])

    assert list(keap.orders()) == [kit.xero_id(2)]
    assert written.states == []
    assert written.error.failure_type == FailureType.system_error
    assert written.error.message.startswith(
        "1 record(s) rejected and on_invalid_record is 'fail': invoices record"
    )


def test_a_later_copy_of_a_record_in_the_same_flush_supersedes_it(keap, kit):
    first = kit.invoice(1, reference="first")
    second = kit.invoice(1, reference="second")
    written = kit.write(keap.config(), kit.sync([first, second]), ["invoices"])

    [order] = keap.orders().values()
    assert order["title"] == "INV-0001 · second"
    assert "1 created, 0 updated, 1 unchanged" in written.summary


@pytest.mark.parametrize(
    ("streams", "mode", "words"),
    [
        (("contacts",), DestinationSyncMode.append, "Stream 'contacts' is not supported"),
        (("invoices",), DestinationSyncMode.overwrite, "sync mode 'overwrite' is not supported"),
    ],
)
def test_what_cannot_be_written_is_refused_at_the_start(keap, kit, streams, mode, words):
    with pytest.raises(AirbyteTracedException) as raised:
        list(DestinationKeap().write(keap.config(), kit.catalog(*streams, mode=mode), []))

    assert raised.value.failure_type == FailureType.config_error
    assert words in raised.value.message
    assert keap.calls() == 0


def test_through_the_command_line_an_unreadable_line_is_reported_counted_and_skipped(keap, kit):
    lines = [kit.input_line(m) for m in kit.sync([kit.invoice(1), kit.invoice(2)])]
    lines.insert(1, '{"type": "RECORD", "record": {')
    written = kit.cli(keap.config(), lines, ["invoices"])

    assert written.error is None
    assert sorted(keap.orders()) == sorted([kit.xero_id(1), kit.xero_id(2)])
    [warning] = written.warnings
    assert warning.startswith("Keap: input line 2: not JSON (")
    assert warning.endswith("); skipped")
    assert written.summary.endswith("; 1 unreadable input line(s) skipped")


def test_through_the_command_line_a_config_that_breaks_the_spec_is_told_by_field(keap, kit):
    config = keap.config(**{"credentials.api_key": None})
    written = kit.cli(config, [], ["invoices"])

    assert written.error.failure_type == FailureType.config_error
    assert written.error.message.startswith("Config field 'credentials.api_key': is missing")
    assert keap.calls() == 0


def test_a_stream_whose_every_record_is_wrongly_shaped_fails_before_its_state(keap, kit):
    next_version = [{**kit.invoice(n), "contract_version": 2} for n in (1, 2)]
    written = kit.write(keap.config(), kit.sync(next_version), ["invoices"])

    assert written.states == []
    assert written.error.failure_type == FailureType.config_error
    assert written.error.message.startswith("Every invoices record so far (2) is wrongly shaped")
    assert keap.orders() == {}
