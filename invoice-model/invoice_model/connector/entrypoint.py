"""The connectors' command lines: the CDK's, with what they are given checked in the user's terms.

- A config that breaks the spec is refused field by field, naming the field and the fix
  (`spec.check_config`), for `check`, `discover`, `read` and `write`, instead of the CDK's one
  line of jsonschema text.
- A source's saved state (`read --state FILE`) that cannot be used is refused with what is wrong
  with it and how to start again (`saved_state.check_state_file`), instead of "Something went
  wrong".
- A destination reads every input line without stopping at one it cannot use
  (`messages.read_messages`): its `write` is given `Unreadable` items to report beside the
  messages.

A source adopts it by launching through `launch` instead of the CDK's `launch`; a destination by
deriving from `ContractDestination` instead of the CDK's `Destination`.
"""

from __future__ import annotations

import argparse
import io
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airbyte_cdk.destinations import Destination
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.logger import PRINT_BUFFER
from airbyte_cdk.models import AirbyteMessage, ConnectorSpecification, SyncMode
from airbyte_cdk.sources import Source
from airbyte_cdk.sources.utils.schema_helpers import split_config
from airbyte_cdk.utils.airbyte_secrets_utils import get_secrets, update_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model.connector.messages import Unreadable, read_messages
from invoice_model.connector.saved_state import check_state_file
from invoice_model.connector.spec import check_config
from invoice_model.contract import STREAMS

logger = logging.getLogger("airbyte")


class SourceEntrypoint(AirbyteEntrypoint):
    """The CDK's source entrypoint, with the config and the saved state checked in words."""

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        connector_config, _ = split_config(config)
        check_config(connector_config, source_spec.connectionSpecification)

    def run(self, parsed_args: argparse.Namespace) -> Iterable[str]:
        if parsed_args.command == "read" and getattr(parsed_args, "state", None):
            check_state_file(parsed_args.state, self._contract_cursors(parsed_args.catalog))
        yield from super().run(parsed_args)

    def _contract_cursors(self, catalog_path: str) -> dict[str, str]:
        """The cursor field of each incremental stream of the record contract in the catalog
        (none when the catalog cannot be read: the CDK then says why).
        """
        try:
            catalog = self.source.read_catalog(catalog_path)
        except (OSError, ValueError):
            return {}
        return {
            configured.stream.name: (configured.cursor_field or [STREAMS[name].default_cursor])[0]
            for configured in catalog.streams
            if (name := configured.stream.name) in STREAMS
            and configured.sync_mode == SyncMode.incremental
        }


def launch(source: Source, args: list[str]) -> None:
    """`airbyte_cdk.entrypoint.launch`, through `SourceEntrypoint`."""
    entrypoint = SourceEntrypoint(source)
    parsed_args = entrypoint.parse_args(args)
    with PRINT_BUFFER:
        for message in entrypoint.run(parsed_args):
            print(f"{message}\n", end="")  # noqa: T201 (the Airbyte protocol is stdout)


class ContractDestination(Destination):
    """The CDK's destination, with the config checked in words and input read line by line
    without a fatal line; `write` receives `Unreadable` items among the messages.
    """

    def run_cmd(self, parsed_args: argparse.Namespace) -> Iterable[AirbyteMessage]:
        if parsed_args.command in ("check", "write"):
            spec = self.spec(logger)
            config = self.read_config(config_path=parsed_args.config)
            update_secrets(get_secrets(spec.connectionSpecification, config))
            try:
                check_config(config, spec.connectionSpecification)
            except AirbyteTracedException as error:
                status = error.as_connection_status_message()
                if parsed_args.command == "check" and status is not None:
                    yield status
                    return
                raise
        yield from super().run_cmd(parsed_args)

    def _parse_input_stream(
        self, input_stream: io.TextIOWrapper
    ) -> Iterator[AirbyteMessage | Unreadable]:
        return read_messages(input_stream)
