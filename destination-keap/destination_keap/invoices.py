"""Invoice records into Keap orders: created, updated, removed, or left as they are.

What Keap holds under the record's Xero InvoiceID (see `orders`) decides:

- nothing: the order is created (`POST /orders`: one call per order, Keap has no batch create),
  unless the record is void;
- the same content and contact: nothing to do, no call;
- changed, and Keap allows it: updated (`PATCH /orders/{id}`, with an `update_mask` naming
  what changed). Keap refuses to replace the lines of an order with payments: such an order
  whose lines or contact changed is left alone with a warning, while its dates, number and title
  still follow the invoice;
- void at the source: the order is deleted (Keap has no void), unless it has payments: then it is
  left alone with a warning.

Contacts are resolved only for orders to create or to move to another contact, in one
`ContactDirectory.resolve` per flush; orders are written several at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from destination_keap.account import Account, Products
from destination_keap.client import KeapClient
from destination_keap.contacts import ContactDirectory
from destination_keap.mapping import (
    CONTENT_PROPERTIES,
    OrderDraft,
    Person,
    order_draft,
    person,
    same_contact,
)
from destination_keap.orders import HeldOrder, OrderIndex
from invoice_model.connector.destination import Outcome, RecordError, Result, Runner
from invoice_model.money import Money


@dataclass(frozen=True)
class _Write:
    """An order to create (`held` None) or to update (the Keap properties that changed)."""

    record: Mapping[str, Any]
    draft: OrderDraft
    held: HeldOrder | None
    changed: tuple[str, ...] = ()
    contact_id: str = ""

    @property
    def xero_id(self) -> str:
        return str(self.record["source_id"])

    @property
    def needs_contact(self) -> bool:
        return self.held is None or "contact_id" in self.changed


@dataclass(frozen=True)
class _Delete:
    """An order whose invoice is void at the source."""

    record: Mapping[str, Any]
    held: HeldOrder

    @property
    def xero_id(self) -> str:
        return str(self.record["source_id"])


class InvoiceWriter:
    def __init__(
        self,
        client: KeapClient,
        *,
        orders: OrderIndex,
        contacts: ContactDirectory,
        products: Products | None,
        account: Account,
        run: Runner,
    ) -> None:
        self.client = client
        self.orders = orders
        self.contacts = contacts
        self.products = products
        self.account = account
        self.run = run

    def write(self, records: Sequence[Mapping[str, Any]]) -> dict[str, Result]:
        """Write invoice records; the result of each by source ID."""
        results: dict[str, Result] = {}
        drafts: dict[str, OrderDraft] = {}
        people: dict[str, Person] = {}
        products = self._products(records)
        for record in records:
            if record["status"] == "void":  # nothing to write: no contact, no lines
                continue
            try:
                people[record["source_id"]] = person(record["contact"])
                drafts[record["source_id"]] = order_draft(
                    record,
                    currency=self.account.currency,
                    time_zone=self.account.time_zone,
                    marker_id=self.account.marker.id,
                    products=products,
                )
            except RecordError as problem:
                results[record["source_id"]] = Result(Outcome.REJECTED, str(problem))
        ready = [r for r in records if r["source_id"] not in results]
        self.orders.look_up(r["source_id"] for r in ready)
        plans: list[_Write | _Delete] = []
        moving: list[_Write] = []  # orders whose contact is to be resolved
        for record in ready:
            xero_id = record["source_id"]
            held = self.orders.get(xero_id)
            draft = drafts.get(xero_id)
            if draft is None:
                planned = self._plan_void(record, held)
            else:
                planned = self._plan(record, draft, held, people[xero_id])
            if isinstance(planned, Result):
                results[xero_id] = planned
            elif isinstance(planned, _Write) and planned.needs_contact:
                moving.append(planned)
            else:
                plans.append(planned)
        plans += self._with_contacts(moving, results)
        for plan, result in zip(plans, self.run(self._send, plans), strict=True):
            results[plan.xero_id] = result
        return results

    def _products(self, records: Sequence[Mapping[str, Any]]) -> Mapping[str, str]:
        """Keap products by SKU, when the config matches them and a line has a SKU."""
        if self.products is None:
            return {}
        if any(line["sku"] for record in records for line in record["line_items"]):
            return self.products.by_sku()
        return {}

    def _plan_void(self, record: Mapping[str, Any], held: HeldOrder | None) -> _Delete | Result:
        if held is None:
            return Result(Outcome.SKIPPED, "void in Xero and not in Keap: not created")
        if held.has_payments:
            return Result(
                Outcome.LEFT_ALONE,
                f"void in Xero, but order {held.order_id} has payments in Keap: left alone "
                "(void or refund them in Keap, then delete the order there)",
            )
        return _Delete(record, held)

    def _plan(
        self, record: Mapping[str, Any], draft: OrderDraft, held: HeldOrder | None, who: Person
    ) -> _Write | Result:
        if held is None:
            return _Write(record, draft, None)
        changed = [CONTENT_PROPERTIES[name] for name in draft.content().changes(held.content)]
        if not same_contact(who, held.contact):
            changed.append("contact_id")
        if not changed:
            return Result(Outcome.UNCHANGED)
        locked = [name for name in changed if name in ("order_items", "contact_id")]
        if held.has_payments and locked:
            what = "lines" if "order_items" in locked else "contact"
            return Result(
                Outcome.LEFT_ALONE,
                f"its {what} changed in Xero, but order {held.order_id} has payments in Keap, "
                "which then keeps them: left alone",
            )
        return _Write(record, draft, held, tuple(changed))

    def _with_contacts(self, plans: list[_Write], results: dict[str, Result]) -> list[_Write]:
        """The plans with their Keap contact, resolved for all of them at once; those whose
        contact cannot be had are rejected with the reason."""
        contact_ids = self.contacts.resolve(plan.record["contact"] for plan in plans)
        ready = []
        for plan in plans:
            contact_id = contact_ids[plan.record["contact"]["source_id"]]
            if isinstance(contact_id, RecordError):
                results[plan.xero_id] = Result(Outcome.REJECTED, str(contact_id))
            elif plan.held is not None and contact_id == plan.held.contact["id"]:
                # The same Keap contact after all (its email or name differs in Keap).
                changed = tuple(name for name in plan.changed if name != "contact_id")
                if changed:
                    ready.append(_Write(plan.record, plan.draft, plan.held, changed))
                else:
                    results[plan.xero_id] = Result(Outcome.UNCHANGED)
            else:
                ready.append(_Write(plan.record, plan.draft, plan.held, plan.changed, contact_id))
        return ready

    def _send(self, plan: _Write | _Delete) -> Result:
        if isinstance(plan, _Delete):
            return self._delete(plan)
        if plan.held is None:
            return self._create(plan)
        return self._update(plan, plan.held)

    def _create(self, plan: _Write) -> Result:
        answer = self.client.create(
            "orders",
            plan.draft.body(plan.contact_id),
            lambda: self.orders.find(plan.xero_id),
        )
        if not answer.ok:
            return Result(Outcome.REJECTED, f"Keap refused it: {answer.said}")
        held = self.orders.put(answer.body)
        return Result(Outcome.CREATED, _total_differs(plan.draft, held))

    def _update(self, plan: _Write, held: HeldOrder) -> Result:
        body = plan.draft.body(plan.contact_id)
        answer = self.client.send(
            "PATCH",
            f"orders/{held.order_id}",
            {name: body[name] for name in plan.changed if name in body},
            {"update_mask": ",".join(plan.changed)},
        )
        if not answer.ok:
            return Result(Outcome.REJECTED, f"Keap refused the update: {answer.said}")
        updated = self.orders.put(answer.body)
        return Result(Outcome.UPDATED, _total_differs(plan.draft, updated))

    def _delete(self, plan: _Delete) -> Result:
        answer = self.client.send("DELETE", f"orders/{plan.held.order_id}")
        if not answer.ok and answer.status != 404:
            return Result(
                Outcome.LEFT_ALONE, f"void in Xero, but Keap refused to delete it: {answer.said}"
            )
        self.orders.forget(plan.xero_id)
        return Result(
            Outcome.REMOVED, f"void in Xero: order {plan.held.order_id} deleted from Keap"
        )


def _total_differs(draft: OrderDraft, held: HeldOrder) -> str | None:
    """A warning when Keap's total is not the invoice's (it never should be: checked before)."""
    expected = Money(draft.total, draft.currency).minor
    if held.total == expected:
        return None
    kept = Money.from_minor(held.total, draft.currency)
    return f"Keap's total {kept.amount} differs from the invoice's {draft.total}"
