"""Xero's HTTP surface: the identity endpoints (consent page, token, connections) and
`/api.xro/2.0`, on Flask.

Each accounting call goes through the same steps as at Xero's gateway: the bearer token (401),
the organisation in `xero-tenant-id` (403), the rate limits (429), then the endpoint itself,
which reads the request (`binding`), asks the organisation's ledger and renders Xero's JSON
(`render`). Writes with an `Idempotency-Key` are answered from the idempotency store when they
repeat. Every answer carries the rate-limit headers.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

from flask import Blueprint, Response, request

from keap_xero_sandbox.authorize import authorization_endpoint
from keap_xero_sandbox.xero import binding, render
from keap_xero_sandbox.xero.access import Caller
from keap_xero_sandbox.xero.errors import (
    ElementInvalid,
    NotFound,
    PostDataInvalid,
    QueryParseException,
    ValidationException,
    json_response,
)
from keap_xero_sandbox.xero.identity import TokenError
from keap_xero_sandbox.xero.ledger import ContactQuery, InvoiceQuery, Ledger
from keap_xero_sandbox.xero.models import InvoiceDraft
from keap_xero_sandbox.xero.queries import ListQuery
from keap_xero_sandbox.xero.where import WhereError

if TYPE_CHECKING:
    from keap_xero_sandbox.xero.emulator import XeroEmulator

API = "/api.xro/2.0"
T = TypeVar("T")
D = TypeVar("D")
View = Callable[..., Response]


def identity_blueprint(emulator: XeroEmulator) -> Blueprint:
    bp = Blueprint("xero_identity", __name__)

    @bp.route("/identity/connect/authorize", methods=["GET", "POST"])
    def authorize() -> Response:
        organisations = {t: ledger.organisation.name for t, ledger in emulator.ledgers.items()}
        return authorization_endpoint(
            lambda query: emulator.identity.consent(query, organisations),
            emulator.identity.approve,
        )

    @bp.post("/connect/token")
    def token() -> Response:
        client_id, client_secret = _client_credentials()
        try:
            answer = emulator.identity.token(client_id, client_secret, request.form)
        except TokenError as error:
            return json_response(error.body(), error.status)
        response = json_response(answer)
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.post("/connect/revocation")
    def revocation() -> Response:
        client_id, client_secret = _client_credentials()
        try:
            emulator.identity.revoke(client_id, client_secret, request.form.get("token") or "")
        except TokenError as error:
            return json_response(error.body(), error.status)
        return Response(status=200)

    @bp.get("/connections")
    def connections() -> Response:
        def answer(caller: Caller) -> Response:
            assert caller.grant is not None  # noqa: S101 (authenticated by `serve`)
            event = request.args.get("authEventId")
            found = emulator.identity.connections_of(caller.grant, event)
            return json_response([emulator.connection_json(c) for c in found])

        return emulator.serve(answer, tenantless=True)

    @bp.delete("/connections/<connection_id>")
    def disconnect(connection_id: str) -> Response:
        def answer(caller: Caller) -> Response:
            assert caller.grant is not None  # noqa: S101 (authenticated by `serve`)
            if not emulator.identity.disconnect(caller.grant, connection_id):
                raise NotFound()
            return Response(status=204)

        return emulator.serve(answer, tenantless=True)

    return bp


def _client_credentials() -> tuple[str | None, str | None]:
    """Client ID and secret from HTTP Basic auth, or else from the form (both are allowed)."""
    scheme, _, encoded = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return request.form.get("client_id"), request.form.get("client_secret")


def accounting_blueprint(emulator: XeroEmulator) -> Blueprint:  # noqa: PLR0915 (a route each)
    bp = Blueprint("xero_accounting", __name__, url_prefix=API)

    def call(view: Callable[..., Response]) -> View:
        """An accounting endpoint: gate first, then the view with the organisation's ledger."""

        @wraps(view)
        def endpoint(**kwargs: Any) -> Response:
            def answer(caller: Caller) -> Response:
                ledger = emulator.ledger(caller.tenant)
                with ledger.lock:
                    return view(ledger, **kwargs)

            return emulator.serve(answer)

        return endpoint

    def write(view: Callable[..., Response]) -> View:
        """A write endpoint: as `call`, and answered from the idempotency store on a repeat."""

        @wraps(view)
        def endpoint(**kwargs: Any) -> Response:
            def answer(caller: Caller) -> Response:
                ledger = emulator.ledger(caller.tenant)
                key = request.headers.get("Idempotency-Key")
                with ledger.lock:
                    if not key:
                        return view(ledger, **kwargs)
                    return emulator.idempotently(caller, key, lambda: view(ledger, **kwargs))

            return emulator.serve(answer)

        return endpoint

    def batch(
        resource: str,
        drafts: Sequence[D],
        save: Callable[[D], dict[str, Any]],
        refuse: Callable[[D, list[str]], dict[str, Any]],
        *,
        summarize: bool,
    ) -> Response:
        """Write each element on its own: the valid ones are written whatever becomes of the
        others. With `summarize` (Xero's default) refusals make a 400 listing only them;
        without, every element comes back in order, refused ones with their reasons.
        """
        answered, refused = [], []
        for draft in drafts:
            try:
                answered.append(save(draft))
            except ElementInvalid as invalid:
                echoed = refuse(draft, invalid.messages)
                answered.append(echoed)
                refused.append(echoed)
        if refused and summarize:
            raise ValidationException(refused)
        return emulator.envelope(resource, answered)

    # settings

    @bp.get("/Organisation")
    @call
    def organisation(ledger: Ledger) -> Response:
        return emulator.envelope("Organisations", [render.organisation(ledger.organisation)])

    @bp.get("/Currencies")
    @call
    def currencies(ledger: Ledger) -> Response:
        found = _listed(lambda: ledger.list_currencies(_list_query(with_since=False)))
        return emulator.envelope("Currencies", [render.currency(c) for c in found])

    @bp.get("/Accounts")
    @call
    def accounts(ledger: Ledger) -> Response:
        found = _listed(lambda: ledger.list_accounts(_list_query()))
        return emulator.envelope("Accounts", [render.account(a) for a in found])

    @bp.get("/Accounts/<account_id>")
    @call
    def account(ledger: Ledger, account_id: str) -> Response:
        found = ledger.accounts.get(account_id.lower())
        if found is None:
            raise NotFound()
        return emulator.envelope("Accounts", [render.account(found)])

    @bp.get("/TaxRates")
    @call
    def tax_rates(ledger: Ledger) -> Response:
        found = _listed(lambda: ledger.list_tax_rates(_list_query(with_since=False)))
        return emulator.envelope("TaxRates", [render.tax_rate(r) for r in found])

    @bp.get("/TaxRates/<tax_type>")
    @call
    def tax_rate(ledger: Ledger, tax_type: str) -> Response:
        found = ledger.tax_rates.get(tax_type.upper())
        if found is None:
            raise NotFound()
        return emulator.envelope("TaxRates", [render.tax_rate(found)])

    @bp.get("/Items")
    @call
    def items(ledger: Ledger) -> Response:
        places = binding.unit_places(request.args)
        found = _listed(lambda: ledger.list_items(_list_query()))
        return emulator.envelope("Items", [render.item(i, places) for i in found])

    @bp.get("/Items/<item_id>")
    @call
    def item(ledger: Ledger, item_id: str) -> Response:
        found = ledger.items.get(item_id.lower()) or ledger.item_by_code(item_id)
        if found is None:
            raise NotFound()
        return emulator.envelope("Items", [render.item(found, binding.unit_places(request.args))])

    # contacts

    @bp.get("/Contacts")
    @call
    def contacts(ledger: Ledger) -> Response:
        args = request.args
        base = _list_query()
        query = ContactQuery(
            modified_since=base.modified_since,
            where=base.where,
            order=base.order,
            ids=binding.listed(args, "IDs"),
            include_archived=binding.flag(args, "includeArchived"),
            search_term=args.get("searchTerm") or None,
        )
        found = _listed(lambda: ledger.list_contacts(query))
        return emulator.paged("Contacts", found, render.contact)

    @bp.get("/Contacts/<contact_key>")
    @call
    def contact(ledger: Ledger, contact_key: str) -> Response:
        try:
            found = ledger.contact(contact_key)
        except NotFound:
            found = ledger.contact_by_number(contact_key)
        return emulator.envelope("Contacts", [render.contact(found)])

    def write_contacts(
        ledger: Ledger, *, create_only: bool, contact_id: str | None = None
    ) -> Response:
        drafts = binding.drafts(request.get_data(), "Contacts", binding.contact_draft)
        for draft in drafts:
            draft.contact_id = contact_id or draft.contact_id
        return batch(
            "Contacts",
            drafts,
            lambda draft: render.contact(
                ledger.save_contact(draft, create_only=create_only), written=True
            ),
            render.refused_contact,
            summarize=contact_id is not None or _summarize(),
        )

    @bp.put("/Contacts")
    @write
    def create_contacts(ledger: Ledger) -> Response:
        return write_contacts(ledger, create_only=True)

    @bp.post("/Contacts")
    @write
    def save_contacts(ledger: Ledger) -> Response:
        return write_contacts(ledger, create_only=False)

    @bp.post("/Contacts/<contact_id>")
    @write
    def update_contact(ledger: Ledger, contact_id: str) -> Response:
        ledger.contact(contact_id)
        return write_contacts(ledger, create_only=False, contact_id=contact_id)

    # invoices

    @bp.get("/Invoices")
    @call
    def invoices(ledger: Ledger) -> Response:
        args = request.args
        base = _list_query()
        query = InvoiceQuery(
            modified_since=base.modified_since,
            where=base.where,
            order=base.order,
            ids=binding.listed(args, "IDs"),
            numbers=binding.listed(args, "InvoiceNumbers"),
            contact_ids=binding.listed(args, "ContactIDs"),
            statuses=binding.listed(args, "Statuses"),
            search_term=args.get("searchTerm") or None,
        )
        places = binding.unit_places(args)
        summary_only = binding.flag(args, "summaryOnly")
        paged = binding.page_request(args) is not None
        found = _listed(lambda: ledger.list_invoices(query))
        return emulator.paged(
            "Invoices",
            found,
            # Unpaged lists carry no line items; paged ones do, unless summaryOnly.
            lambda i: render.invoice(
                i, ledger, unit_places=places, summary=summary_only or not paged
            ),
        )

    @bp.get("/Invoices/<invoice_key>")
    @call
    def invoice(ledger: Ledger, invoice_key: str) -> Response:
        try:
            found = ledger.invoice(invoice_key)
        except NotFound:
            numbered = ledger.invoices_numbered(invoice_key)
            if not numbered:
                raise
            found = numbered[0]
        places = binding.unit_places(request.args)
        return emulator.envelope("Invoices", [render.invoice(found, ledger, unit_places=places)])

    def write_invoices(
        ledger: Ledger, *, create_only: bool, invoice_id: str | None = None
    ) -> Response:
        places = binding.unit_places(request.args)
        drafts = binding.drafts(request.get_data(), "Invoices", binding.invoice_draft)
        for draft in drafts:
            draft.invoice_id = invoice_id or draft.invoice_id

        def save(draft: InvoiceDraft) -> dict[str, Any]:
            saved = ledger.save_invoice(draft, create_only=create_only, unit_places=places)
            return render.invoice(saved, ledger, unit_places=places, written=True)

        return batch(
            "Invoices",
            drafts,
            save,
            lambda draft, messages: render.refused_invoice(draft, messages, places),
            summarize=invoice_id is not None or _summarize(),
        )

    @bp.put("/Invoices")
    @write
    def create_invoices(ledger: Ledger) -> Response:
        return write_invoices(ledger, create_only=True)

    @bp.post("/Invoices")
    @write
    def save_invoices(ledger: Ledger) -> Response:
        return write_invoices(ledger, create_only=False)

    @bp.post("/Invoices/<invoice_id>")
    @write
    def update_invoice(ledger: Ledger, invoice_id: str) -> Response:
        ledger.invoice(invoice_id)
        return write_invoices(ledger, create_only=False, invoice_id=invoice_id)

    # payments

    @bp.get("/Payments")
    @call
    def payments(ledger: Ledger) -> Response:
        found = _listed(lambda: ledger.list_payments(_list_query()))
        return emulator.paged("Payments", found, lambda p: render.payment(p, ledger))

    @bp.get("/Payments/<payment_id>")
    @call
    def payment(ledger: Ledger, payment_id: str) -> Response:
        return emulator.envelope("Payments", [render.payment(ledger.payment(payment_id), ledger)])

    def write_payments(ledger: Ledger, *, many: bool) -> Response:
        drafts = binding.drafts(request.get_data(), "Payments", binding.payment_draft)
        if not many and len(drafts) != 1:
            raise PostDataInvalid("POST /Payments takes one payment; PUT /Payments takes many")
        return batch(
            "Payments",
            drafts,
            lambda draft: render.payment(ledger.create_payment(draft), ledger, written=True),
            render.refused_payment,
            summarize=not many or _summarize(),
        )

    @bp.put("/Payments")
    @write
    def create_payments(ledger: Ledger) -> Response:
        return write_payments(ledger, many=True)

    @bp.post("/Payments")
    @write
    def create_payment(ledger: Ledger) -> Response:
        return write_payments(ledger, many=False)

    @bp.post("/Payments/<payment_id>")
    @write
    def delete_payment(ledger: Ledger, payment_id: str) -> Response:
        ledger.payment(payment_id)
        elements = binding.elements(request.get_data(), "Payments")
        statuses = {str(e.get("Status") or "").upper() for e in elements}
        if statuses != {"DELETED"}:
            raise ValidationException(
                [{"ValidationErrors": [{"Message": "Payment Status must be DELETED"}]}]
            )
        try:
            deleted = ledger.delete_payment(payment_id)
        except ElementInvalid as invalid:
            raise ValidationException(
                [{"ValidationErrors": [{"Message": m} for m in invalid.messages]}]
            ) from None
        return emulator.envelope("Payments", [render.payment(deleted, ledger, written=True)])

    @bp.route(
        "/<path:unknown>", methods=["GET", "PUT", "POST", "DELETE", "PATCH"], endpoint="unknown"
    )
    def unknown(unknown: str) -> Response:
        def answer(caller: Caller) -> Response:
            raise NotFound()

        return emulator.serve(answer)

    return bp


def _summarize() -> bool:
    return binding.flag(request.args, "summarizeErrors", default=True)


def _list_query(*, with_since: bool = True) -> ListQuery:
    since = binding.modified_since(request.headers.get("If-Modified-Since")) if with_since else None
    return ListQuery(
        modified_since=since,
        where=request.args.get("where") or None,
        order=request.args.get("order") or None,
    )


def _listed(select: Callable[[], Sequence[T]]) -> Sequence[T]:
    """Run a list query; a `where` or `order` Xero cannot parse is its 400."""
    try:
        return select()
    except WhereError as error:
        raise QueryParseException(str(error)) from None
