"""Bad input never crashes a sync and never lands wrong in Xero: each bad record is one rejected
record, each bad line one reported line, named and counted in the summary, and the rest is
written. Run through the connector's own reading of its stdin, as a pipe or PyAirbyte sends it.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import MakeConfig, XeroUser

    from keap_xero_sandbox.sandbox import Sandbox


def _record(data: Any, stream: str = "invoices") -> str:
    return json.dumps(
        {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 0}}
    )


def _state(stream: str = "invoices") -> str:
    return json.dumps(
        {
            "type": "STATE",
            "state": {
                "type": "STREAM",
                "stream": {"stream_descriptor": {"name": stream}, "stream_state": {"n": 1}},
            },
        }
    )


def _literal(kit: SimpleNamespace, n: int, field: str, literal: str) -> str:
    """Invoice n with `field` set to a JSON literal Python would not write (NaN, Infinity)."""
    return _record(kit.invoice(n, **{field: "PLACEHOLDER"})).replace('"PLACEHOLDER"', literal)


# ruff: noqa: E501 (each case of the table reads as one row)
BAD_INPUT = [
    # (what the issue calls it, builds the line, what the warning says)
    ("currency XXX", lambda kit: _record(kit.invoice(2, currency="XXX")),
     "invoices record 1002: rejected: breaks the record contract: currency: currency 'XXX' has no minor unit"),
    ("currency ZZZ", lambda kit: _record(kit.invoice(3, currency="ZZZ")),
     "invoices record 1003: rejected: breaks the record contract: currency: unknown ISO 4217 currency code 'ZZZ'"),
    ("amount 1e30", lambda kit: _literal(kit, 4, "total", "1e30"),
     "invoices record 1004: rejected: breaks the record contract: total: 1e+30 is beyond 9,999,999,999.99"),
    ("amount 1e308", lambda kit: _literal(kit, 5, "amount_paid", "1e308"),
     "invoices record 1005: rejected: breaks the record contract: amount_paid: 1e+308 is beyond"),
    ("NaN", lambda kit: _literal(kit, 6, "subtotal", "NaN"),
     "invoices record 1006: rejected: breaks the record contract: subtotal: NaN is not a finite number"),
    ("Infinity", lambda kit: _literal(kit, 7, "tax", "-Infinity"),
     "invoices record 1007: rejected: breaks the record contract: tax: -Infinity is not a finite number"),
    ("data that is a list", lambda kit: _record([kit.invoice(8)]),
     "invoices record ?: rejected: the RECORD message has a list for data; a record's data is an object"),
    ("a RECORD without data", lambda kit: json.dumps({"type": "RECORD", "record": {"stream": "payments", "emitted_at": 0}}),
     "payments record ?: rejected: the RECORD message has no data"),
    ("a line that is []", lambda kit: "[]",
     "Xero: input line 10: a list, not an Airbyte message (an object); skipped"),
    ("an unknown message type", lambda kit: json.dumps({"type": "RECORDS", "records": []}),
     "Xero: input line 11: unknown message type 'RECORDS'"),
    ("an unparsable line", lambda kit: '{"type": "RECORD", "record": {',
     "Xero: input line 12: not JSON"),
    ("lines not adding up", lambda kit: _record(kit.invoice(12, subtotal=90, total=96.65, amount_paid=96.65)),
     "invoices record 1012: rejected: breaks the record contract: subtotal: 90 is not the sum of the line amounts"),
    ("total 10^20", lambda kit: _record(kit.invoice(13, subtotal=10**20, total=10**20 + 6.65)),
     "invoices record 1013: rejected: breaks the record contract: subtotal: 1e+20 is beyond"),
]  # fmt: skip


def test_every_bad_input_is_one_rejection_named_and_counted_and_the_rest_is_written(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    lines = [_record(kit.invoice(1))]
    lines += [build(kit) for _, build, _ in BAD_INPUT]
    lines += [_record(kit.invoice(14)), _state("invoices")]
    lines += [_record(kit.payment(1), "payments"), _state("payments")]
    written = kit.cli(sandbox_config(), lines)
    assert written.error is None
    assert sorted(xero.invoices()) == ["5001", "5014"]
    for what, _, warning in BAD_INPUT:
        assert any(w.startswith(warning) for w in written.warnings), what
    assert len(written.warnings) == len(BAD_INPUT)
    assert written.summary == (
        "Xero: invoices: 2 created, 0 updated, 0 unchanged, 0 left alone, 0 removed, 0 skipped, "
        "9 rejected; payments: 1 created, 0 updated, 0 unchanged, 0 left alone, 0 removed, "
        "0 skipped, 1 rejected; 3 unreadable input line(s) skipped"
    )
    assert [s.destinationStats.recordCount for s in written.states] == [11, 2]


def test_under_fail_an_unreadable_line_ends_the_sync_after_what_came_before_is_written(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    lines = [_record(kit.invoice(1)), "garbage", _record(kit.invoice(2)), _state()]
    written = kit.cli(sandbox_config(on_invalid_record="fail"), lines)
    assert written.error is not None
    assert "input line 2: not JSON" in (written.error.message or "")
    assert sorted(xero.invoices()) == ["5001"]
    assert written.states == []


def test_a_negative_invoice_is_not_written_as_a_sales_invoice(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig
) -> None:
    refund = kit.invoice(1, status="open", amount_paid=0, paid_at=None)
    for line in refund["line_items"]:
        line["quantity"] = -line["quantity"]
        line["line_amount"] = -line["line_amount"] if line["line_amount"] else 0
    refund["line_items"][0]["discount"] = 0
    refund["line_items"][0]["line_amount"] = -99.98
    refund.update(subtotal=-97.48, tax=-6.65, total=-104.13, amount_due=-104.13)
    written = kit.cli(sandbox_config(), [_record(refund), _state()])
    assert written.warnings == [
        "invoices record 1001: rejected: its total -104.13 USD is negative: a Xero sales invoice "
        "cannot be, and this destination writes no credit notes"
    ]
    assert kit.calls(sandbox, "PUT", "/Invoices") == 0
    assert len(written.states) == 1


def test_an_invoice_whose_xero_total_would_differ_is_rejected_before_any_write(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig
) -> None:
    # Half a yen a unit: the source rounds the line to 0 places (5 JPY), Xero to 2 (4.50).
    line = {**kit.invoice(1)["line_items"][0], "quantity": 1.5, "unit_amount": 3, "discount": 0}
    invoice = kit.invoice(
        1,
        currency="JPY",
        line_items=[{**line, "line_amount": 5}],
        subtotal=5,
        tax=0,
        total=5,
        amount_paid=5,
    )
    written = kit.cli(sandbox_config(), [_record(invoice), _state()])
    assert written.warnings == [
        "invoices record 1001: rejected: Xero would total its lines 4.50 JPY, the source's total "
        "is 5: Xero rounds each line to 2 places"
    ]
    assert kit.calls(sandbox, "PUT", "/Invoices") == 0
