"""The Airbyte destination: `spec` (from spec.yaml), `check` and `write`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    ConfiguredAirbyteCatalog,
    DestinationSyncMode,
    FailureType,
    Status,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_xero.auth import authenticator, sign_in
from destination_xero.books import Books
from destination_xero.client import XeroClient
from destination_xero.config import Settings, read_settings
from destination_xero.pacing import DailyLimitError
from destination_xero.writer import Writer
from invoice_model.connector.config import config_error
from invoice_model.connector.entrypoint import ContractDestination
from invoice_model.connector.messages import Unreadable
from invoice_model.contract import INVOICES, PAYMENTS

logger = logging.getLogger("airbyte")

SUPPORTED_STREAMS = (INVOICES.name, PAYMENTS.name)
UPSERT_MODES = (DestinationSyncMode.append, DestinationSyncMode.append_dedup)


class DestinationXero(ContractDestination):
    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """Credentials, tenant, and every account code and tax type of the config; each problem
        named by its config field.
        """
        try:
            settings = read_settings(config)  # type: ignore[arg-type]  # the CDK's dict
            _, books = connect(settings, logger, verify_tenant=True)
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
        settings = read_settings(config)  # type: ignore[arg-type]  # the CDK's dict, kept whole
        streams = supported_streams(configured_catalog)
        try:
            client, books = connect(settings, logger, verify_tenant=False)
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
        yield from Writer(settings, client, books).write(input_messages)


def supported_streams(catalog: ConfiguredAirbyteCatalog) -> set[str]:
    """The catalog's streams, refused at the start unless all are written by this destination,
    each as an upsert.
    """
    names = set()
    for configured in catalog.streams:
        name = configured.stream.name
        if name not in SUPPORTED_STREAMS:
            raise AirbyteTracedException(
                message=(
                    f"Stream {name!r} is not supported: destination-xero writes the record "
                    f"contract's streams {', '.join(SUPPORTED_STREAMS)}."
                ),
                failure_type=FailureType.config_error,
            )
        if configured.destination_sync_mode not in UPSERT_MODES:
            mode = getattr(
                configured.destination_sync_mode, "value", configured.destination_sync_mode
            )
            raise AirbyteTracedException(
                message=(
                    f"Stream {name!r}: sync mode {mode!r} is not supported. Xero's books are "
                    "never wiped and rewritten; use append or append_dedup, which both upsert."
                ),
                failure_type=FailureType.config_error,
            )
        names.add(name)
    return names


def connect(
    settings: Settings, logger: logging.Logger, *, verify_tenant: bool
) -> tuple[XeroClient, Books]:
    """Sign in, check the tenant (for `check`), and read what writing needs to know."""
    auth = authenticator(settings)
    sign_in(settings, auth)
    client = XeroClient(settings.api_url, auth, logger, tenant_id=settings.tenant_id)
    if verify_tenant and settings.tenant_id:
        tenants = client.connections(settings.connections_url)
        if settings.tenant_id not in {t.get("tenantId") for t in tenants}:
            names = ", ".join(f"{t.get('tenantName')} ({t.get('tenantId')})" for t in tenants)
            raise config_error(
                "credentials.tenant_id",
                f"the app is not connected to organisation {settings.tenant_id}; "
                f"it is connected to: {names or 'none'}",
            )
    books = Books.read(client, with_items=settings.invoices.match_items_by_sku)
    return client, books


def _failed(message: str) -> AirbyteConnectionStatus:
    return AirbyteConnectionStatus(status=Status.FAILED, message=message)
