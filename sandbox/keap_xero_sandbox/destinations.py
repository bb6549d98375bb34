"""What the destinations' tests send and read: configs edited by dotted path, Airbyte messages as
a source sends them, and a `write` run in-process with what it yielded kept for the test, given
its messages or, through its command line, its input lines.
"""

from __future__ import annotations

import copy
import io
import json
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from airbyte_cdk.destinations import Destination
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteRecordMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStream,
    AirbyteStreamState,
    AirbyteStreamStatus,
    AirbyteStreamStatusTraceMessage,
    AirbyteTraceMessage,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
    ConfiguredAirbyteStream,
    DestinationSyncMode,
    Level,
    StreamDescriptor,
    SyncMode,
    TraceType,
    Type,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

Config = dict[str, Any]


def edited(base: Config, **changes: Any) -> Config:
    """A copy of `base` with dotted paths set (`"invoices.status": "DRAFT"`); None deletes."""
    result = copy.deepcopy(base)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return result


def record(stream: str, data: dict[str, Any]) -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.RECORD, record=AirbyteRecordMessage(stream=stream, data=data, emitted_at=0)
    )


def state(stream: str, cursor: str) -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.STATE,
        state=AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(
                stream_descriptor=StreamDescriptor(name=stream),
                stream_state=AirbyteStateBlob(updated_at=cursor),
            ),
        ),
    )


def stream_status(stream: str, status: str = "COMPLETE") -> AirbyteMessage:
    """A stream status as the source reports it (and Airbyte passes it on to destinations):
    `COMPLETE` says the stream sent all it will in this sync."""
    return AirbyteMessage(
        type=Type.TRACE,
        trace=AirbyteTraceMessage(
            type=TraceType.STREAM_STATUS,
            emitted_at=0,
            stream_status=AirbyteStreamStatusTraceMessage(
                stream_descriptor=StreamDescriptor(name=stream),
                status=AirbyteStreamStatus(status),
            ),
        ),
    )


def input_line(message: AirbyteMessage) -> str:
    """A message as one line of a destination's input, as a source prints it."""
    return json.dumps(AirbyteMessageSerializer.dump(message))


def sync(
    invoices: Sequence[dict[str, Any]] = (),
    payments: Sequence[dict[str, Any]] = (),
    *,
    state_every: int = 1_000,
) -> list[AirbyteMessage]:
    """Messages as a source sends them: invoices then payments, a state every `state_every`
    records of a stream and after its last one."""
    messages = []
    for stream, records in (("invoices", invoices), ("payments", payments)):
        for n, data in enumerate(records, 1):
            messages.append(record(stream, data))
            if n % state_every == 0 or n == len(records):
                messages.append(state(stream, f"{n:06d}"))
    return messages


def catalog(
    *streams: str, mode: DestinationSyncMode = DestinationSyncMode.append_dedup
) -> ConfiguredAirbyteCatalog:
    """The contract's streams (all when none are named), each an upsert by `source_id`."""
    return ConfiguredAirbyteCatalog(
        streams=[
            ConfiguredAirbyteStream(
                stream=AirbyteStream(
                    name=name, json_schema={}, supported_sync_modes=[SyncMode.incremental]
                ),
                sync_mode=SyncMode.incremental,
                destination_sync_mode=mode,
                primary_key=[["source_id"]],
            )
            for name in streams or ("invoices", "payments")
        ]
    )


@dataclass
class Written:
    """What one `write` yielded, and the error it ended with (None when it succeeded)."""

    messages: list[AirbyteMessage]
    error: AirbyteTracedException | None

    @property
    def states(self) -> list[AirbyteStateMessage]:
        return [m.state for m in self.messages if m.type == Type.STATE and m.state]

    def logs(self, level: Level) -> list[str]:
        return [m.log.message for m in self.messages if m.log and m.log.level == level]

    @property
    def warnings(self) -> list[str]:
        return self.logs(Level.WARN)

    @property
    def summary(self) -> str:
        return self.messages[-1].log.message if self.messages and self.messages[-1].log else ""


class Runs:
    """`write` of one destination, in-process: as the generator it is (`run`, to look at the
    API while it runs) or to its end (`write`)."""

    def __init__(self, destination: type[Destination]) -> None:
        self.destination = destination

    def run(
        self, config: Config, messages: Iterable[AirbyteMessage], streams: Sequence[str] = ()
    ) -> Iterator[AirbyteMessage]:
        return iter(self.destination().write(config, catalog(*streams), messages))

    def write(
        self, config: Config, messages: Iterable[AirbyteMessage], streams: Sequence[str] = ()
    ) -> Written:
        out: list[AirbyteMessage] = []
        try:
            for message in self.run(config, messages, streams):
                out.append(message)
        except AirbyteTracedException as error:
            return Written(out, error)
        return Written(out, None)

    def cli(self, config: Config, lines: Sequence[str], streams: Sequence[str] = ()) -> Written:
        """`<destination> write --config --catalog` in-process, the input lines on its stdin:
        what a pipe, the platform or PyAirbyte sends goes through the connector's own reading of
        them."""
        destination = self.destination()
        out: list[AirbyteMessage] = []
        with tempfile.TemporaryDirectory() as folder:
            config_path, catalog_path = Path(folder, "config.json"), Path(folder, "catalog.json")
            config_path.write_text(json.dumps(config))
            catalog_path.write_text(
                json.dumps(ConfiguredAirbyteCatalogSerializer.dump(catalog(*streams)))
            )
            stdin = io.TextIOWrapper(io.BytesIO("".join(f"{text}\n" for text in lines).encode()))
            arguments = ["write", "--config", str(config_path), "--catalog", str(catalog_path)]
            try:
                with mock.patch.object(sys, "stdin", stdin):
                    out.extend(destination.run_cmd(destination.parse_args(arguments)))
            except AirbyteTracedException as error:
                return Written(out, error)
        return Written(out, None)
