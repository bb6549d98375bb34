"""Payment records into Keap as manual payments of the orders written from their invoices; only
when `payments.write_payments` is on (the product this replaces never sends payments back).

A payment recorded here carries the Xero PaymentID at the start of its note (`Xero payment <id>
· Bank transfer · INV-0042`). The payments of a flush's orders are read in a few calls (`GET
/sales/payments`, order IDs batched), so a payment already in Keap is recognised without a call
of its own; a new one costs one call (`POST /orders/{id}/payments`, with the configured manual
payment type: Keap has no batch). Keap's API can neither void, refund nor change a payment: one
refunded, voided or changed in Xero after it reached Keap is left alone, with a warning saying
to do it in Keap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from destination_keap.account import Account
from destination_keap.client import KeapClient
from destination_keap.mapping import key_of_note, payment_body
from destination_keap.orders import HeldOrder, OrderIndex
from invoice_model.connector.destination import Outcome, Result, Runner
from invoice_model.connector.keap.lists import id_batches, keap_filter
from invoice_model.money import Money, to_decimal


@dataclass(frozen=True)
class _Payment:
    record: Mapping[str, Any]
    order: HeldOrder


class PaymentWriter:
    def __init__(
        self,
        client: KeapClient,
        orders: OrderIndex,
        account: Account,
        payment_type: str,
        run: Runner,
    ) -> None:
        self.client = client
        self.orders = orders
        self.account = account
        self.payment_type = payment_type
        self.run = run
        # Payments this destination recorded, by order ID: Xero PaymentID -> amount.
        self._held: dict[str, dict[str, Decimal]] = {}

    def write(self, records: Sequence[Mapping[str, Any]]) -> dict[str, Result]:
        """Write payment records; the result of each by source ID."""
        self.orders.look_up(record["invoice_source_id"] for record in records)
        self._read_payments(
            held.order_id
            for record in records
            if (held := self.orders.get(record["invoice_source_id"])) is not None
        )
        results: dict[str, Result] = {}
        creates: list[_Payment] = []
        for record in records:
            planned = self._plan(record)
            if isinstance(planned, Result):
                results[record["source_id"]] = planned
            else:
                creates.append(planned)
        for payment, result in zip(creates, self.run(self._create, creates), strict=True):
            results[payment.record["source_id"]] = result
        return results

    def _plan(self, record: Mapping[str, Any]) -> _Payment | Result:
        order = self.orders.get(record["invoice_source_id"])
        held = None if order is None else self._held[order.order_id].get(record["source_id"])
        if record["status"] != "completed":
            if order is None or held is None:
                return Result(Outcome.SKIPPED)  # never reached Keap: nothing to undo
            return Result(
                Outcome.LEFT_ALONE,
                f"{record['status']} in Xero, but Keap's API cannot void or refund a payment: "
                f"do it in Keap, on order {order.order_id}",
            )
        if order is None:
            return Result(
                Outcome.REJECTED, f"its invoice {record['invoice_source_id']} is not in Keap"
            )
        return self._plan_receipt(record, order, held)

    def _plan_receipt(
        self, record: Mapping[str, Any], order: HeldOrder, held: Decimal | None
    ) -> _Payment | Result:
        """A completed payment of an order in Keap: unchanged, left alone, or to record."""
        amount = to_decimal(record["amount"])
        if held is not None:
            if held == amount:
                return Result(Outcome.UNCHANGED)
            return Result(
                Outcome.LEFT_ALONE,
                f"its amount is {amount} in Xero, {held} in Keap, whose API cannot change a "
                f"payment: change it in Keap, on order {order.order_id}",
            )
        if record["currency"] != order.currency:
            return Result(
                Outcome.REJECTED,
                f"it is in {record['currency']}, its order {order.order_id} in {order.currency}",
            )
        # Claimed: a later copy in this flush is unchanged.
        self._held[order.order_id][record["source_id"]] = amount
        return _Payment(record, order)

    def _create(self, payment: _Payment) -> Result:
        order = payment.order
        answer = self.client.create(
            f"orders/{order.order_id}/payments",
            payment_body(payment.record, self.payment_type, self.account.time_zone),
            lambda: self._recorded(order.order_id, payment.record["source_id"]),
        )
        if not answer.ok:
            self._held[order.order_id].pop(payment.record["source_id"], None)
            return Result(Outcome.REJECTED, f"Keap refused it: {answer.said}")
        paid = Money(to_decimal(payment.record["amount"]), order.currency).minor
        order.total_due = max(0, order.total_due - paid)
        order.has_payments = True
        return Result(Outcome.CREATED)

    def _read_payments(self, order_ids: Any) -> None:
        """The payments of these orders this destination recorded, a few calls for all."""
        wanted = [order_id for order_id in dict.fromkeys(order_ids) if order_id not in self._held]
        for order_id in wanted:
            self._held[order_id] = {}
        for batch in id_batches(wanted):
            params = {"filter": keap_filter(order_ids=batch), "order_by": "id asc"}
            for page in self.client.pages("sales/payments", params, "payments"):
                for payment in page:
                    self._remember(payment)

    def _remember(self, payment: Mapping[str, Any]) -> None:
        xero_id = key_of_note(payment.get("note"))
        order_ids = [str(order_id) for order_id in payment.get("order_ids") or []]
        if xero_id is None or not order_ids or order_ids[0] not in self._held:
            return
        self._held[order_ids[0]][xero_id] = to_decimal(payment.get("amount") or 0)

    def _recorded(self, order_id: str, xero_id: str) -> Mapping[str, Any] | None:
        """The payment a creation whose answer was lost may have recorded, if Keap has it."""
        params = {"filter": keap_filter(order_id=order_id), "order_by": "id asc"}
        for page in self.client.pages("sales/payments", params, "payments"):
            for payment in page:
                if key_of_note(payment.get("note")) == xero_id:
                    return payment
        return None
