"""The write loop for Keap (`RecordWriter` of the connector kit): a flush writes its invoices as
orders, then, when turned on, its payments as manual payments.

Records are committed at every state message, at the end of input and every 1,000 records; a
state message is echoed once every record before it is committed or definitively rejected. Each
flush ends with a progress line: what became of its records, the Keap calls spent so far and the
time waited for Keap's rate limits. When Keap's daily quota runs out, nothing more is sent, that
flush's state is not echoed, and the sync ends with a transient error saying when the quota
resets; the replay finds every order already written by its marker and writes nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from destination_keap.account import Account, Products
from destination_keap.client import KeapClient
from destination_keap.config import Settings
from destination_keap.contacts import ContactDirectory
from destination_keap.invoices import InvoiceWriter
from destination_keap.orders import OrderIndex
from destination_keap.payments import PaymentWriter
from invoice_model.connector.destination import Notice, Outcome, RecordWriter, Workers
from invoice_model.contract import INVOICES, PAYMENTS

logger = logging.getLogger("airbyte")


class Writer(RecordWriter):
    """One run of `write`: its caches, its worker threads and its tally."""

    system = "Keap"
    source_written_here = "keap"

    def __init__(self, settings: Settings, client: KeapClient, account: Account) -> None:
        super().__init__(fail_on_invalid_record=settings.fail_on_invalid_record)
        self.client = client
        self.waits = client.waits
        self.workers = Workers(client.max_in_flight, "keap")
        run = self.workers.run
        self.orders = OrderIndex(client, account.marker, run)
        self.contacts = ContactDirectory(client, settings.match_by_name_and_company, run)
        products = Products(client) if settings.products_by_sku else None
        self.invoices = InvoiceWriter(
            client,
            orders=self.orders,
            contacts=self.contacts,
            products=products,
            account=account,
            run=run,
        )
        self.payments = (
            PaymentWriter(client, self.orders, account, settings.payment_type or "", run)
            if settings.write_payments
            else None
        )
        self._told_payments_off = False

    def commit(
        self,
        invoices: list[Mapping[str, Any]],
        payments: list[Mapping[str, Any]],
        notices: list[Notice],
    ) -> None:
        for record_id, result in self.invoices.write(invoices).items():
            self.settle(INVOICES.name, record_id, result, notices)
        if not payments:
            return
        if self.payments is None:
            if not self._told_payments_off:
                logger.info(
                    "Keap: payments are not written (payments.write_payments is off); they are "
                    "counted as skipped"
                )
                self._told_payments_off = True
            for _ in payments:
                self.count(PAYMENTS.name, Outcome.SKIPPED)
            return
        for record_id, result in self.payments.write(payments).items():
            self.settle(PAYMENTS.name, record_id, result, notices)

    def usage(self) -> str:
        return self.client.progress()

    def close(self) -> None:
        self.workers.shutdown()
