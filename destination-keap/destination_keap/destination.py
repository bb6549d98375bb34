"""The Airbyte destination: `spec` (from spec.yaml), `check` and `write`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    ConfiguredAirbyteCatalog,
    Status,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_keap.account import Account
from destination_keap.client import KeapClient
from destination_keap.config import Settings, read_settings
from destination_keap.writer import Writer
from invoice_model.connector.destination import (
    StopSync,
    supported_streams,
    write_when_records_come,
)
from invoice_model.connector.entrypoint import ContractDestination
from invoice_model.connector.keap.errors import KeapUsage
from invoice_model.connector.messages import Unreadable
from invoice_model.contract import PAYMENTS

logger = logging.getLogger("airbyte")


class DestinationKeap(ContractDestination):
    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """The credential, the account's currency, the order custom field of the Xero InvoiceID
        (created when missing and allowed) and, with payments on, the manual payment type."""
        try:
            settings = read_settings(config, checking=True)  # type: ignore[arg-type]
            connect(settings, logger, with_payments=settings.write_payments)
        except AirbyteTracedException as error:
            return _failed(error.message or str(error))
        except StopSync as stop:
            return _failed(stop.error.message or str(stop))
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)

    def write(
        self,
        config: Mapping[str, Any],
        configured_catalog: ConfiguredAirbyteCatalog,
        input_messages: Iterable[AirbyteMessage | Unreadable],
    ) -> Iterator[AirbyteMessage]:
        """Signs in and reads the account only once a record comes: a sync that brings nothing
        new, as most scheduled syncs do, makes no Keap call; its states are echoed all the same,
        covering no record.
        """
        settings = read_settings(config)  # type: ignore[arg-type]  # the CDK's dict, kept whole
        streams = supported_streams(configured_catalog, "destination-keap")
        with_payments = settings.write_payments and PAYMENTS.name in streams

        def writer() -> Writer:
            try:
                client, account = connect(settings, logger, with_payments=with_payments)
            except StopSync as stop:
                raise stop.error from stop
            return Writer(settings, client, account)

        yield from write_when_records_come(input_messages, writer, "Keap")


def connect(
    settings: Settings, logger: logging.Logger, *, with_payments: bool
) -> tuple[KeapClient, Account]:
    """Sign in and read what writing needs to know about the account."""
    client = KeapClient(settings.rest_url, settings.credential, KeapUsage(), logger)
    return client, Account.read(client, settings, with_payments=with_payments)


def _failed(message: str) -> AirbyteConnectionStatus:
    return AirbyteConnectionStatus(status=Status.FAILED, message=message)
