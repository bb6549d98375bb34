"""The messages a destination is sent, read one input line at a time, none of them fatal.

The CDK's own reader stops the whole sync at the first line its serializer refuses (a list, a
RECORD without data or with a list for data, an unknown message type) and drops lines that are
not strict JSON (`NaN`, `Infinity`, `1e400`) with an INFO log that no summary counts. Here every
line becomes either a message or an `Unreadable` that says what is wrong with it:

- a line Python's JSON reader takes but strict JSON does not (`NaN`, `Infinity`, numbers beyond
  a double) is read, so that its record reaches validation, which names the value;
- a RECORD with a stream name but no usable data is kept as a record with that data (None for
  none), for the destination to reject with its stream and reason;
- anything else is an `Unreadable` line, reported and counted by the destination.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteRecordMessage,
    Type,
)

MESSAGE_TYPES = frozenset(kind.value for kind in Type)


@dataclass(frozen=True)
class Unreadable:
    """An input line that is no message a destination can use; `reason` says why. The line
    itself is not kept: it may hold a customer's details.
    """

    line_number: int
    reason: str

    def __str__(self) -> str:
        return f"input line {self.line_number}: {self.reason}"


def read_messages(lines: Iterable[str]) -> Iterator[AirbyteMessage | Unreadable]:
    """Each non-blank line as a message, or as an `Unreadable` saying what is wrong with it."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            try:  # Python's reader keeps NaN, Infinity and 1e400, for validation to name them
                value = json.loads(line)
            except ValueError as error:
                yield Unreadable(number, f"not JSON ({error})")
                continue
        yield message(number, value)


def message(number: int, value: Any) -> AirbyteMessage | Unreadable:
    """The Airbyte message a parsed line holds, a RECORD kept for its stream to reject, or why
    the line is unreadable.
    """
    if not isinstance(value, Mapping):
        return Unreadable(number, f"{json_kind(value)}, not an Airbyte message (an object)")
    kind = value.get("type")
    if kind not in MESSAGE_TYPES:
        what = "no message type" if kind is None else f"unknown message type {kind!r}"
        return Unreadable(
            number, f"{what}; Airbyte messages are {', '.join(sorted(MESSAGE_TYPES))}"
        )
    try:
        return AirbyteMessageSerializer.load(value)
    except ValueError as error:  # the serializer's SchemaValidationError is one
        record = _record(value)
        if record is not None:
            return record
        return Unreadable(number, f"a {kind} message Airbyte cannot read ({_first_line(error)})")


def _record(value: Mapping[str, Any]) -> AirbyteMessage | None:
    """A RECORD whose data is missing or not an object, kept with what it has."""
    record = value.get("record")
    if value.get("type") != Type.RECORD.value or not isinstance(record, Mapping):
        return None
    stream = record.get("stream")
    namespace = record.get("namespace")
    if not isinstance(stream, str) or not isinstance(namespace, str | None):
        return None
    emitted_at = record.get("emitted_at")
    return AirbyteMessage(
        type=Type.RECORD,
        record=AirbyteRecordMessage(
            stream=stream,
            namespace=namespace,
            data=record.get("data"),
            emitted_at=emitted_at if isinstance(emitted_at, int | float) else 0,
        ),
    )


def json_kind(value: Any) -> str:
    """What kind of JSON value `value` is, in words: `a list`, `a string`, `null` ..."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "true or false" if isinstance(value, bool) else "a number"


def _first_line(error: Exception) -> str:
    lines = [line.strip(" -") for line in str(error).splitlines() if line.strip(" -")]
    return lines[-1] if lines else type(error).__name__
