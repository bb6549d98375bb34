"""SourceXero: Xero's sales invoices and payments as the shared `invoices` and `payments`
streams, and its contacts as Xero has them."""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model.connector.network import Network
from invoice_model.connector.source import ContractSource, DailyLimitReached
from source_xero.config import read_settings
from source_xero.contacts import ContactBook
from source_xero.streams import Contacts, Invoices, Payments, SyncContext


class SourceXero(ContractSource):
    """Reads one Xero organisation: sales invoices, their payments, contacts."""

    def __init__(self) -> None:
        super().__init__()
        self._context: SyncContext | None = None

    @property
    def daily_limit_reached(self) -> bool:
        return self._context is not None and self._context.daily_limit is not None

    @property
    def unreachable(self) -> bool:
        return self._context is not None and self._context.network.given_up

    def check_connection(
        self, logger: logging.Logger, config: Mapping[str, Any]
    ) -> tuple[bool, str | None]:
        """Signs in, checks that an OAuth2 app is connected to the organisation the config
        names, and reads one invoice; a refusal the user can fix is a failed check saying how,
        and so is Xero's daily limit, saying when Xero allows calls again."""
        try:
            context = self._sync_context(config, checking=True)
            context.settings.sign_in(context.authenticator)
            invoices = Invoices(context)
            invoices.verify_tenant()
            invoices.get("Invoices", {"page": 1, "pageSize": 1, "where": 'Type=="ACCREC"'})
        except DailyLimitReached as error:
            return False, error.message
        except AirbyteTracedException as error:
            if error.failure_type == FailureType.config_error:
                return False, error.message
            raise
        return True, None

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        """Contacts first: read before the invoices, they are the invoices' contacts too."""
        context = self._sync_context(config)
        return [Contacts(context), Invoices(context), Payments(context)]

    def _sync_context(self, config: Mapping[str, Any], *, checking: bool = False) -> SyncContext:
        # OAuth writes rotated tokens back into the config it was given, which the CDK then
        # emits as a control message: hand it the caller's own mapping.
        mutable: MutableMapping[str, Any] = config  # type: ignore[assignment]
        settings = read_settings(mutable)
        network = Network("Xero", checking=checking)
        self._context = SyncContext(
            settings, network, settings.authenticator(network), ContactBook()
        )
        return self._context
