"""A saved state checked before the CDK reads it: what is wrong with it, and how to start again."""

import json

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model.connector.saved_state import check_state_file

GOOD = [
    {
        "type": "STREAM",
        "stream": {
            "stream_descriptor": {"name": "invoices"},
            "stream_state": {"updated_at": "2024-05-21T14:30:00.000Z", "seen": {}},
        },
    },
    {"type": "STREAM", "stream": {"stream_descriptor": {"name": "contacts"}, "stream_state": None}},
]
CURSORS = {"invoices": "updated_at"}


def _stream(state):
    return [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": "invoices"}, "stream_state": state},
        }
    ]


def _refusal(tmp_path, text):
    path = tmp_path / "state.json"
    path.write_text(text if isinstance(text, str) else json.dumps(text))
    with pytest.raises(AirbyteTracedException) as caught:
        check_state_file(str(path), CURSORS)
    assert caught.value.failure_type == FailureType.config_error
    message = caught.value.message
    assert message.startswith("The state given with --state cannot be used: ")
    assert "run without --state (in Airbyte, clear the connection's state)" in message
    return message


def test_a_state_as_airbyte_saves_it_passes(tmp_path):
    path = tmp_path / "state.json"
    for state in (GOOD, [], [{"type": "GLOBAL", "global": {"stream_states": [GOOD[0]["stream"]]}}]):
        path.write_text(json.dumps(state))
        check_state_file(str(path), CURSORS)


@pytest.mark.parametrize(
    ("content", "what"),
    [
        ("{not json", "it is not JSON (Expecting property name"),
        ("", "the file is empty (an empty state is [])"),
        ("  \n", "the file is empty"),
        (5, "it is a number, not a list of state messages"),
        ({"invoices": {"updated_at": "x"}}, "it is an object (by stream name, the legacy form)"),
        ([1, 2], "state[0] is a number, not a state message"),
        ([{"type": "FOO"}], "state[0] has type 'FOO'; a state message is STREAM or GLOBAL"),
        ([{"type": "LEGACY", "data": {}}], "state[0] is a LEGACY state message"),
        ([{"type": "STREAM", "stream": {"stream_state": {}}}], "stream_descriptor must be"),
        (_stream([1]), "the state of stream 'invoices' (state[0].stream.stream_state) is a list"),
        (_stream("x"), "is a string; a stream's state is an object such as"),
        (
            _stream({"updated_at": 5}),
            "the state of stream 'invoices' holds updated_at 5 "
            "(state[0].stream.stream_state.updated_at), not a timestamp",
        ),
        (_stream({"updated_at": "yesterday"}), "holds updated_at 'yesterday'"),
        ([{"type": "GLOBAL", "global": []}], "state[0].global must be an object"),
    ],
)
def test_each_unusable_state_says_what_is_wrong(tmp_path, content, what):
    assert what in _refusal(tmp_path, content)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(AirbyteTracedException) as caught:
        check_state_file(str(tmp_path / "nowhere.json"))
    assert "the file cannot be read" in caught.value.message


def test_a_cursor_not_read_by_the_sync_is_not_judged(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps(_stream({"created_at": 5})))
    check_state_file(str(path), CURSORS)
