"""SourceKeap: Keap's orders and payments as the shared `invoices` and `payments` streams."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    FailureType,
    SyncMode,
)
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model.connector.keap.auth import credential
from invoice_model.connector.source import ContractSource
from source_keap.account import Account
from source_keap.config import KeapConfig
from source_keap.streams import Contacts, Invoices, Payments, Products, SyncContext


class SourceKeap(ContractSource):
    """Reads Keap (Infusionsoft) REST v2: one invoice per order, one payment per payment."""

    def __init__(self) -> None:
        super().__init__()
        self._context: SyncContext | None = None
        self._selected: set[str] = set()
        self._invoices_cursor: str | None = None
        self._saved: dict[str, Mapping[str, Any]] = {}

    def check_connection(
        self, logger: logging.Logger, config: Mapping[str, Any]
    ) -> tuple[bool, str | None]:
        """Signs in, resolves the start point and reads one order; a refusal the user can fix
        (credential, start point) is a failed check with Keap's reason. A start point resolved
        to another invoice than the one given passes, saying so."""
        try:
            invoices = Invoices(self._sync_context(config, checking=True))
            start = invoices.context.account.start_point(invoices.get)
            invoices.get("orders", {"page_size": 1}, "orders")
        except AirbyteTracedException as error:
            if error.failure_type == FailureType.config_error:
                return False, error.message
            raise
        return True, start.note

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        context = self._sync_context(config)
        return [Invoices(context), Payments(context), Contacts(context), Products(context)]

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None = None,
    ) -> Iterator[AirbyteMessage]:
        self._selected = {c.stream.name for c in catalog.streams}
        self._invoices_cursor = _invoices_cursor(catalog)
        states = ConnectorStateManager(state=state)
        self._saved = {
            name: states.get_stream_state(name, None) or {}
            for name in (Invoices.name, Payments.name)
        }
        yield from super().read(logger, config, _invoices_first(catalog), state)

    @property
    def daily_limit_reached(self) -> bool:
        """Once Keap's daily quota is spent, every further call would be refused too."""
        return self._context is not None and self._context.usage.spent_daily is not None

    @property
    def unreachable(self) -> bool:
        return self._context is not None and self._context.credential.network.given_up

    def _sync_context(self, config: Mapping[str, Any], *, checking: bool = False) -> SyncContext:
        keap_config = KeapConfig.parse(config)
        # OAuth writes rotated tokens back into the config it was given, which the CDK then
        # emits as a control message: hand it the caller's own mapping.
        mutable: MutableMapping[str, Any] = config  # type: ignore[assignment]
        self._context = SyncContext(
            account=Account(keap_config),
            credential=credential(mutable, keap_config.token_url, checking=checking),
            with_invoices=Invoices.name in self._selected,
            invoices_cursor=self._invoices_cursor,
            with_payments=Payments.name in self._selected,
            saved=self._saved,
        )
        return self._context


def _invoices_cursor(catalog: ConfiguredAirbyteCatalog) -> str | None:
    for configured in catalog.streams:
        if configured.stream.name == Invoices.name and configured.sync_mode == SyncMode.incremental:
            return (configured.cursor_field or [Invoices.cursor_field])[0]
        if configured.stream.name == Invoices.name:
            return (configured.cursor_field or [None])[0]
    return None


def _invoices_first(catalog: ConfiguredAirbyteCatalog) -> ConfiguredAirbyteCatalog:
    """The catalog with `invoices` read first, whatever its order: a payment is emitted only
    after its invoice (see `streams.Coverage`), so reading `payments` first would hold all of
    them back to the next sync."""
    streams = sorted(catalog.streams, key=lambda c: c.stream.name != Invoices.name)
    return ConfiguredAirbyteCatalog(streams=streams)
