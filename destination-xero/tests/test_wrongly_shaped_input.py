"""The rule for records that break the contract, and records as PyAirbyte's cache hands them over.

A record that breaks the contract is one rejected record and the state after it is echoed; but
when every record of a stream so far is wrongly shaped (the input as a whole is not the
contract's), the sync fails before echoing that stream's state, so a corrected run still finds
the records. Records PyAirbyte gives back from its cache are the source's records in another
form: they are written, not rejected.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from airbyte_cdk.models import FailureType

from invoice_model import examples

if TYPE_CHECKING:
    from conftest import MakeConfig, XeroUser

    from keap_xero_sandbox.sandbox import Sandbox


def _next_version(record: dict[str, Any]) -> dict[str, Any]:
    """The record as a newer contract might shape it: money as objects, a field renamed."""
    reshaped = {k: v for k, v in record.items() if k != "total"}
    reshaped["grand_total"] = {"amount": record["total"], "currency": record["currency"]}
    return reshaped


def test_a_stream_whose_every_record_is_wrongly_shaped_fails_before_its_state_is_echoed(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    invoices = [_next_version(kit.invoice(n)) for n in range(3)]
    written = kit.write(sandbox_config(), kit.sync(invoices))
    assert written.error is not None
    assert written.error.failure_type == FailureType.config_error
    message = written.error.message or ""
    assert message.startswith("Every invoices record so far (3) is wrongly shaped for the record ")
    assert "e.g. invoices record 1000: breaks the record contract: (record): Additional " in message
    assert "the state after these records is not echoed and a corrected run still finds them" in (
        message
    )
    assert written.states == []
    assert xero.invoices() == {}
    assert kit.writes(sandbox) == 0
    assert len(written.warnings) == 4  # the three rejections, then the summary


def test_the_state_of_a_wrongly_shaped_stream_is_held_back_while_other_streams_go_on(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    payments = [
        {**kit.payment(n), "amount": str(kit.payment(n)["amount"]) + " USD"} for n in (1, 2)
    ]
    written = kit.write(sandbox_config(), kit.sync([kit.invoice(1), kit.invoice(2)], payments))
    assert [s.stream.stream_descriptor.name for s in written.states] == ["invoices"]
    assert written.error is not None
    assert "Every payments record so far (2) is wrongly shaped" in (written.error.message or "")
    assert sorted(xero.invoices()) == ["5001", "5002"]


def test_once_a_stream_has_shown_the_contract_s_shape_a_wrongly_shaped_record_is_one_rejection(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    invoices = [kit.invoice(1), _next_version(kit.invoice(2)), _next_version(kit.invoice(3))]
    written = kit.write(sandbox_config(), kit.sync(invoices))
    assert written.error is None
    assert [s.destinationStats.recordCount for s in written.states] == [3]
    assert "1 created, 0 updated, 0 unchanged, 0 left alone, 0 removed, 0 skipped, 2 rejected" in (
        written.summary
    )
    assert sorted(xero.invoices()) == ["5001"]


def test_records_whose_values_break_the_contract_never_stop_the_sync(
    kit: SimpleNamespace, sandbox_config: MakeConfig
) -> None:
    """The source's own data: a corrected run of the same data would refuse them again."""
    invoices = [kit.invoice(n, currency="XXX") for n in range(3)]
    written = kit.write(sandbox_config(), kit.sync(invoices))
    assert written.error is None
    assert [s.destinationStats.recordCount for s in written.states] == [3]
    assert "3 rejected" in written.summary


def test_without_any_state_the_sync_still_fails_at_the_end(
    kit: SimpleNamespace, sandbox_config: MakeConfig
) -> None:
    messages = [kit.record("invoices", _next_version(kit.invoice(1)))]
    written = kit.write(sandbox_config(), messages)
    assert written.error is not None
    assert "Every invoices record so far (1)" in (written.error.message or "")


def test_records_from_pyairbyte_s_cache_are_written_as_their_source_emitted_them(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    cached = examples.cached_by_pyairbyte()
    lines = [
        _record_line(stream, data) for stream in ("invoices", "payments") for data in cached[stream]
    ]
    lines.insert(len(cached["invoices"]), _state_line("invoices"))
    lines.append(_state_line("payments"))
    written = kit.cli(sandbox_config(), lines)
    assert written.error is None
    assert written.warnings == []
    assert "invoices: 2 created" in written.summary
    assert "payments: 1 created" in written.summary
    held = xero.invoices()
    assert {number: (i["Total"], i["AmountDue"]) for number, i in held.items()} == {
        "107": (258.23, 103.3),
        "120": (203262.0, 203262.0),
    }
    again = kit.cli(sandbox_config(), lines)
    assert "invoices: 0 created, 0 updated, 2 unchanged" in again.summary
    assert "payments: 0 created, 0 updated, 1 unchanged" in again.summary


def _record_line(stream: str, data: dict[str, Any]) -> str:
    return json.dumps(
        {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 0}}
    )


def _state_line(stream: str) -> str:
    descriptor = {"stream_descriptor": {"name": stream}, "stream_state": {"updated_at": "x"}}
    return json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": descriptor}})
