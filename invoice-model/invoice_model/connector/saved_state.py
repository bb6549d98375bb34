"""A saved state (`read --state FILE`) checked before the CDK reads it.

The CDK reads the file with its serializer and, for a file that is not JSON, is empty, is the
legacy object-by-stream form, or holds a stream state that is not an object, stops with
"Something went wrong in the connector". Here each such state is refused as a config error that
says what is wrong with it, where, and how to start again without it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from airbyte_cdk.models import AirbyteStateMessageSerializer, FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model import dates
from invoice_model.connector.messages import json_kind

EXAMPLE = (
    '[{"type": "STREAM", "stream": {"stream_descriptor": {"name": "invoices"}, '
    '"stream_state": {"updated_at": "2024-05-21T14:30:00.000Z"}}}]'
)
RESET = (
    "To start again from the configured start point, run without --state (in Airbyte, clear "
    "the connection's state); otherwise give the state the connector's last sync ended with, "
    f"a list of state messages such as {EXAMPLE}"
)


class StateError(ValueError):
    """What is wrong with a saved state."""


def check_state_file(path: str, cursors: Mapping[str, str] | None = None) -> None:
    """Raise a config error saying what is wrong with the state file at `path`, if anything;
    `cursors` names the cursor field of each incremental stream of the record contract read.
    """
    try:
        check_state(_read(path), cursors or {})
    except StateError as error:
        message = f"The state given with --state cannot be used: {error}. {RESET}."
        raise AirbyteTracedException(
            message=message, internal_message=message, failure_type=FailureType.config_error
        ) from None


def check_state(state: Any, cursors: Mapping[str, str]) -> None:
    """Raise `StateError` unless `state` is a list of state messages the CDK reads, in which the
    cursor value of each stream named in `cursors` is a timestamp, as the contract's cursors are.
    """
    if isinstance(state, Mapping):
        raise StateError(
            "it is an object (by stream name, the legacy form), not a list of state messages"
        )
    if not isinstance(state, list):
        raise StateError(f"it is {json_kind(state)}, not a list of state messages")
    for index, message in enumerate(state):
        _check_message(f"state[{index}]", message, cursors)


def _read(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StateError(f"the file cannot be read ({error})") from None
    if not text.strip():
        raise StateError("the file is empty (an empty state is [])")
    try:
        return json.loads(text)
    except ValueError as error:
        raise StateError(f"it is not JSON ({error})") from None


def _check_message(where: str, message: Any, cursors: Mapping[str, str]) -> None:
    if not isinstance(message, Mapping):
        raise StateError(f"{where} is {json_kind(message)}, not a state message (an object)")
    kind = message.get("type", "STREAM" if "stream" in message else None)
    if kind == "STREAM":
        _check_stream_state(f"{where}.stream", message.get("stream"), cursors)
    elif kind == "GLOBAL":
        shared = message.get("global")
        if not isinstance(shared, Mapping):
            raise StateError(f"{where}.global must be an object with stream_states")
        states = shared.get("stream_states")
        if not isinstance(states, list):
            raise StateError(f"{where}.global.stream_states must be a list")
        for index, stream in enumerate(states):
            _check_stream_state(f"{where}.global.stream_states[{index}]", stream, cursors)
    elif kind == "LEGACY" or "data" in message:
        raise StateError(f"{where} is a LEGACY state message, which the connector no longer reads")
    else:
        raise StateError(f"{where} has type {kind!r}; a state message is STREAM or GLOBAL")
    try:
        AirbyteStateMessageSerializer.load(message)
    except ValueError as error:  # what the checks above do not cover, in the serializer's words
        raise StateError(f"{where} is not a state message Airbyte reads ({error})") from None


def _check_stream_state(where: str, stream: Any, cursors: Mapping[str, str]) -> None:
    if not isinstance(stream, Mapping):
        raise StateError(f"{where} must be an object with stream_descriptor and stream_state")
    descriptor = stream.get("stream_descriptor")
    if not isinstance(descriptor, Mapping) or not isinstance(descriptor.get("name"), str):
        raise StateError(f"{where}.stream_descriptor must be an object with the stream's name")
    state = stream.get("stream_state")
    if state is not None and not isinstance(state, Mapping):
        raise StateError(
            f"the state of stream {descriptor['name']!r} ({where}.stream_state) is "
            f"{json_kind(state)}; a stream's state is an object such as "
            '{"updated_at": "2024-05-21T14:30:00.000Z"}'
        )
    cursor = cursors.get(descriptor["name"])
    if state and cursor in state and not _is_timestamp(state[cursor]):
        raise StateError(
            f"the state of stream {descriptor['name']!r} holds {cursor} {state[cursor]!r} "
            f"({where}.stream_state.{cursor}), not a timestamp such as 2024-05-21T14:30:00.000Z"
        )


def _is_timestamp(value: Any) -> bool:
    try:
        dates.parse_datetime(value)
    except dates.DateParseError:
        return False
    return isinstance(value, str)
