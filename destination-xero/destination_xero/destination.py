"""The Airbyte destination: `spec` (from spec.yaml), `check` and `write`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    ConfiguredAirbyteCatalog,
    FailureType,
    Status,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_xero.books import Books
from destination_xero.client import XeroClient
from destination_xero.config import Settings, read_settings
from destination_xero.pacing import DailyLimitError
from destination_xero.writer import Writer
from invoice_model.connector.destination import supported_streams, write_when_records_come
from invoice_model.connector.entrypoint import ContractDestination
from invoice_model.connector.messages import Unreadable
from invoice_model.connector.network import Network
from invoice_model.contract import PAYMENTS

logger = logging.getLogger("airbyte")


class DestinationXero(ContractDestination):
    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """Credentials, tenant, and every account code and tax type of the config; each problem
        named by its config field.
        """
        try:
            settings = read_settings(config)  # type: ignore[arg-type]  # the CDK's dict
            _, books = connect(settings, logger, checking=True)
            problems = books.problems(settings, with_payments=False)
        except AirbyteTracedException as error:
            return _failed(error.message or str(error))
        except DailyLimitError as error:
            return _failed(f"Xero's daily call limit is reached: {error}")
        if problems:
            return _failed("; ".join(problem.message or "" for problem in problems))
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)

    def write(
        self,
        config: Mapping[str, Any],
        configured_catalog: ConfiguredAirbyteCatalog,
        input_messages: Iterable[AirbyteMessage | Unreadable],
    ) -> Iterator[AirbyteMessage]:
        """Signs in and reads the organisation only once there is something to write: a sync
        that brings nothing new, as most scheduled syncs do, costs none of the organisation's
        5,000 daily calls. Its states are echoed all the same, covering no record.
        """
        settings = read_settings(config)  # type: ignore[arg-type]  # the CDK's dict, kept whole
        streams = supported_streams(configured_catalog, "destination-xero")
        yield from write_when_records_come(
            input_messages, lambda: _writer(settings, streams), "Xero"
        )


def _writer(settings: Settings, streams: set[str]) -> Writer:
    """Signed in, with the organisation read and the config checked against it."""
    try:
        client, books = connect(settings, logger, checking=False)
    except DailyLimitError as stop:
        raise AirbyteTracedException(
            message=f"Xero's daily call limit is reached; nothing was written: {stop}",
            failure_type=FailureType.transient_error,
        ) from stop
    problems = books.problems(settings, with_payments=PAYMENTS.name in streams)
    if problems:
        raise AirbyteTracedException(
            message="; ".join(problem.message or "" for problem in problems),
            failure_type=FailureType.config_error,
        )
    return Writer(settings, client, books, streams)


def connect(
    settings: Settings, logger: logging.Logger, *, checking: bool
) -> tuple[XeroClient, Books]:
    """Sign in, and read what writing needs to know. For `check`, the tenant is checked too,
    and an unreachable Xero fails at once (`network`)."""
    network = Network("Xero", checking=checking)
    auth = settings.authenticator(network)
    settings.sign_in(auth)
    client = XeroClient(
        settings.api_url, auth, logger, network=network, tenant_id=settings.tenant_id
    )
    if checking:
        settings.verify_tenant(client.http, network)
    books = Books.read(client, with_items=settings.invoices.match_items_by_sku)
    return client, books


def _failed(message: str) -> AirbyteConnectionStatus:
    return AirbyteConnectionStatus(status=Status.FAILED, message=message)
