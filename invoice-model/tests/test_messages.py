"""A destination's input read line by line: no line ends the sync; each says what it is."""

import json
import math

import pytest
from airbyte_cdk.models import Type

from invoice_model import examples
from invoice_model.connector.messages import Unreadable, read_messages


def _record(data, stream="invoices"):
    return json.dumps(
        {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 1}}
    )


def test_messages_as_the_cdk_reads_them():
    state = {
        "type": "STATE",
        "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "invoices"}}},
    }
    lines = [_record(examples.invoice()), json.dumps(state), "", "  "]
    read = list(read_messages(lines))
    assert [message.type for message in read] == [Type.RECORD, Type.STATE]
    assert read[0].record.data == examples.invoice()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("[]", "a list, not an Airbyte message (an object)"),
        ("null", "null, not an Airbyte message"),
        ('"RECORD"', "a string, not an Airbyte message"),
        ("{}", "no message type; Airbyte messages are CATALOG, CONNECTION_STATUS"),
        ('{"type": "FOO"}', "unknown message type 'FOO'"),
        ("garbage {", "not JSON (Expecting value: line 1 column 1"),
        ('{"type": "STATE", "state": "x"}', "a STATE message Airbyte cannot read"),
        ('{"type": "RECORD", "record": {"data": {}}}', "a RECORD message Airbyte cannot read"),
    ],
)
def test_lines_that_are_no_message_say_why(line, reason):
    [read] = read_messages(["\n", line])
    assert isinstance(read, Unreadable)
    assert read.line_number == 2
    assert reason in read.reason
    assert str(read).startswith("input line 2: ")


@pytest.mark.parametrize(("data", "kept"), [([1, 2], [1, 2]), ("x", "x"), (None, None)])
def test_a_record_without_usable_data_keeps_its_stream_for_the_destination_to_reject(data, kept):
    [read] = read_messages([_record(data, stream="payments")])
    assert read.type == Type.RECORD
    assert read.record.stream == "payments"
    assert read.record.data == kept


def test_a_record_without_data_at_all():
    line = json.dumps({"type": "RECORD", "record": {"stream": "invoices", "emitted_at": 0}})
    [read] = read_messages([line])
    assert read.record.data is None


@pytest.mark.parametrize(
    ("literal", "check"),
    [
        ("NaN", math.isnan),
        ("Infinity", lambda v: v == float("inf")),
        ("1e400", lambda v: v == float("inf")),
    ],
)
def test_numbers_strict_json_refuses_reach_validation(literal, check):
    line = _record(examples.payment()).replace('"amount": 99.13', f'"amount": {literal}')
    [read] = read_messages([line])
    assert check(read.record.data["amount"])
