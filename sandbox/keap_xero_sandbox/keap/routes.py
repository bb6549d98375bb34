"""The HTTP binding: Keap's paths, parameters and envelopes, over the account and its renderer.

Every call under `/crm/rest` passes the gateway first, as at Keap: the credential is checked
(401 with Apigee's fault body), then the rate limits (429), and every answer carries the
`x-keap-*` throttle and quota headers. A path the emulator does not serve answers 404 only after
that, since Keap's gateway authenticates before it routes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Blueprint, Response, g, jsonify, request

from keap_xero_sandbox.authorize import authorization_endpoint
from keap_xero_sandbox.keap import inputs, queries, render
from keap_xero_sandbox.keap.errors import (
    BadRequestError,
    GatewayError,
    KeapError,
    NotFoundError,
    OAuthError,
)
from keap_xero_sandbox.keap.filters import compile_filter, parse_filter, parse_order_by
from keap_xero_sandbox.keap.paging import Page, fingerprint, list_page, page_size
from keap_xero_sandbox.keap.tables import Table

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

    from keap_xero_sandbox.keap.emulator import KeapEmulator

View = TypeVar("View", bound=Callable[..., Any])
REST = "/crm/rest"


def api_blueprint(emulator: KeapEmulator) -> Blueprint:
    """`/crm/rest/v2/...`, the token endpoint `/token` and the consent page
    `/app/oauth/authorize`."""
    bp = Blueprint("keap", __name__)
    bp.register_blueprint(_rest(emulator))
    bp.register_blueprint(_oauth(emulator))
    return bp


def _oauth(emulator: KeapEmulator) -> Blueprint:
    bp = Blueprint("keap_oauth", __name__)

    @bp.route("/app/oauth/authorize", methods=["GET", "POST"])
    def authorize() -> Response:
        return authorization_endpoint(emulator.auth.consent, emulator.auth.approve)

    @bp.post("/token")
    def token() -> ResponseReturnValue:
        try:
            granted = emulator.auth.grant(
                request.form, request.headers.get("Authorization"), request.args.get("grant_type")
            )
        except OAuthError as error:
            return jsonify(error.body()), error.status
        response = jsonify(granted)
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp


def _rest(emulator: KeapEmulator) -> Blueprint:  # noqa: PLR0915 (one route per statement)
    bp = Blueprint("keap_rest", __name__, url_prefix=REST)

    def account_locked(view: View) -> View:
        """Each call sees and changes the account atomically."""

        @wraps(view)
        def locked(*args: Any, **kwargs: Any) -> Any:
            with emulator.account.lock:
                return view(*args, **kwargs)

        return locked  # type: ignore[return-value]

    @bp.before_request
    def gateway() -> ResponseReturnValue | None:
        emulator.auth.note_presented(request.headers)
        caller = emulator.auth.authenticate(request.headers)
        g.keap_caller = caller
        refusal = emulator.quota.acquire(caller)
        if refusal is not None:
            return jsonify(refusal.body), 429
        return None

    @bp.after_request
    def report_usage(response: Response) -> Response:
        response.headers.update(emulator.quota.headers(g.get("keap_caller")))
        return response

    @bp.errorhandler(KeapError)
    def application_error(error: KeapError) -> ResponseReturnValue:
        return jsonify(error.body()), error.status

    @bp.errorhandler(GatewayError)
    def gateway_error(error: GatewayError) -> ResponseReturnValue:
        return jsonify(error.body()), error.status

    def listing(spec: queries.ListSpec, table: Table[Any], endpoint: str) -> Page[Any]:
        text, order_by = request.args.get("filter"), request.args.get("order_by")
        query = compile_filter(parse_filter(text), spec.fields, spec.extra)
        sort = parse_order_by(order_by, spec.sorts, spec.default)
        return list_page(
            table,
            query,
            sort,
            size=min(page_size(request.args.get("page_size")), emulator.largest_page),
            token=request.args.get("page_token") or None,
            query_id=fingerprint(endpoint, text, order_by),
        )

    # --- orders ----------------------------------------------------------------------------------

    @bp.get("/v2/orders")
    @account_locked
    def list_orders() -> ResponseReturnValue:
        account = emulator.account
        page = listing(queries.orders(account), account.orders, "orders")
        orders = (emulator.renderer.order_json(order) for order in page.records)
        body = render.envelope("orders", orders, page.next_page_token)
        return Response(body, mimetype="application/json")

    @bp.post("/v2/orders")
    @account_locked
    def create_order() -> ResponseReturnValue:
        order = emulator.account.create_order(inputs.new_order(request.get_json(silent=True)))
        return jsonify(emulator.renderer.order(order)), 201

    @bp.get("/v2/orders/<order_id>")
    @account_locked
    def get_order(order_id: str) -> ResponseReturnValue:
        order = emulator.account.order(path_id(order_id, "order_id"))
        return jsonify(emulator.renderer.order(order))

    @bp.patch("/v2/orders/<order_id>")
    @account_locked
    def update_order(order_id: str) -> ResponseReturnValue:
        changes = inputs.order_changes(
            request.get_json(silent=True), request.args.getlist("update_mask")
        )
        order = emulator.account.update_order(path_id(order_id, "order_id"), changes)
        return jsonify(emulator.renderer.order(order))

    @bp.delete("/v2/orders/<order_id>")
    @account_locked
    def delete_order(order_id: str) -> ResponseReturnValue:
        emulator.account.delete_order(path_id(order_id, "order_id"))
        return Response(status=204)

    @bp.get("/v2/orders/<order_id>/payments")
    @account_locked
    def list_order_payments(order_id: str) -> ResponseReturnValue:
        the_id = path_id(order_id, "order_id")
        rows: Table[Any] = Table(queries.ORDER_PAYMENT_VIEWS)
        for row in emulator.account.invoice_payments_of(the_id):
            rows.put(row.id, row)
        page = listing(queries.order_payments(), rows, f"orders/{the_id}/payments")
        return jsonify(
            {
                "invoice_order_payments": [render.invoice_payment(r) for r in page.records],
                "next_page_token": page.next_page_token,
            }
        )

    @bp.post("/v2/orders/<order_id>/payments")
    @account_locked
    def create_payment(order_id: str) -> ResponseReturnValue:
        the_id = path_id(order_id, "order_id")
        values = inputs.new_payment(request.get_json(silent=True))
        payment = emulator.account.record_payment(the_id, values)
        invoice_id = emulator.account.order(the_id).invoice_id
        return jsonify(render.payment_result(payment, invoice_id)), 201

    @bp.get("/v2/orders/model")
    @account_locked
    def order_model() -> ResponseReturnValue:
        fields = [render.custom_field(f) for f in emulator.account.custom_fields.values()]
        return jsonify({"custom_fields": fields, "optional_properties": []})

    @bp.post("/v2/orders/model/customFields")
    @account_locked
    def create_order_custom_field() -> ResponseReturnValue:
        values = inputs.new_custom_field(request.get_json(silent=True))
        definition = emulator.account.define_order_field(
            values["label"], values["field_type"], values["options"]
        )
        return jsonify(render.custom_field(definition)), 201

    # --- payments --------------------------------------------------------------------------------

    @bp.get("/v2/sales/payments")
    @account_locked
    def list_payments() -> ResponseReturnValue:
        account = emulator.account
        page = listing(queries.sales_payments(account), account.payments, "sales/payments")
        return jsonify(
            {
                "payments": [render.payment(p) for p in page.records],
                "next_page_token": page.next_page_token,
            }
        )

    # --- contacts --------------------------------------------------------------------------------

    @bp.get("/v2/contacts")
    @account_locked
    def list_contacts() -> ResponseReturnValue:
        account = emulator.account
        fields = contact_fields()
        page = listing(queries.contacts(account), account.contacts, "contacts")
        contacts = [emulator.renderer.contact(c, fields) for c in page.records]
        return jsonify({"contacts": contacts, "next_page_token": page.next_page_token})

    @bp.post("/v2/contacts")
    @account_locked
    def create_contact() -> ResponseReturnValue:
        fields = contact_fields()
        values = inputs.contact(request.get_json(silent=True))
        option = request.args.get("duplicate_option")
        if option is None:
            contact, created = emulator.account.create_contact(values), True
        elif option in inputs.DUPLICATE_OPTIONS:
            contact, created = emulator.account.upsert_contact(values, option)
        else:
            raise BadRequestError(
                f"Invalid duplicate_option '{option}': must be one of "
                f"{', '.join(inputs.DUPLICATE_OPTIONS)}"
            )
        return jsonify(emulator.renderer.contact(contact, fields)), 201 if created else 200

    @bp.get("/v2/contacts/<contact_id>")
    @account_locked
    def get_contact(contact_id: str) -> ResponseReturnValue:
        contact = emulator.account.contact(path_id(contact_id, "contact_id"))
        return jsonify(emulator.renderer.contact(contact, contact_fields()))

    @bp.patch("/v2/contacts/<contact_id>")
    @account_locked
    def update_contact(contact_id: str) -> ResponseReturnValue:
        values = inputs.contact(request.get_json(silent=True))
        mask = inputs.parse_update_mask(request.args.getlist("update_mask"), inputs.CONTACT_READERS)
        if mask is not None:
            values = {name: values[name] for name in mask if name in values}
        contact = emulator.account.update_contact(path_id(contact_id, "contact_id"), values)
        return jsonify(emulator.renderer.contact(contact, contact_fields()))

    # --- products --------------------------------------------------------------------------------

    @bp.get("/v2/products")
    @account_locked
    def list_products() -> ResponseReturnValue:
        account = emulator.account
        page = listing(queries.products(), account.products, "products")
        currency = account.profile.currency_code
        return jsonify(
            {
                "products": [render.product(p, currency) for p in page.records],
                "next_page_token": page.next_page_token,
            }
        )

    @bp.post("/v2/products")
    @account_locked
    def create_product() -> ResponseReturnValue:
        product = emulator.account.create_product(inputs.new_product(request.get_json(silent=True)))
        return jsonify(render.product(product, emulator.account.profile.currency_code)), 201

    @bp.get("/v2/products/<product_id>")
    @account_locked
    def get_product(product_id: str) -> ResponseReturnValue:
        product = emulator.account.product(path_id(product_id, "product_id"))
        return jsonify(render.product(product, emulator.account.profile.currency_code))

    # --- the account -----------------------------------------------------------------------------

    @bp.get("/v2/businessProfile")
    @account_locked
    def business_profile() -> ResponseReturnValue:
        return jsonify(render.business_profile(emulator.account.profile))

    @bp.get("/v2/settings/applications:getConfiguration")
    @account_locked
    def application_configuration() -> ResponseReturnValue:
        modules = inputs.configuration_modules(request.args.getlist("fields"))
        return jsonify(render.application_configuration(emulator.account, modules))

    @bp.get("/v2/oauth/connect/userinfo")
    def user_info() -> ResponseReturnValue:
        caller = g.keap_caller
        profile = emulator.account.profile
        return jsonify(
            {
                "email": profile.email,
                "sub": "1",
                "id": "1",
                "keap_id": "1",
                "given_name": "Sandbox",
                "family_name": "Owner",
                "preferred_name": caller.identity,
                "is_admin": caller.key_type != "PAT",
                "tenant_id": emulator.account.tenant,
            }
        )

    @bp.route("/<path:unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def not_emulated(unknown: str) -> ResponseReturnValue:
        raise NotFoundError(f"No such endpoint: {request.method} {request.path}")

    return bp


def path_id(value: str, name: str) -> int:
    if not value.isdigit():
        raise BadRequestError(f"Invalid {name} '{value}': expected an ID")
    return int(value)


def contact_fields() -> tuple[str, ...]:
    """The `fields` a contact call asks for (comma-separated or repeated), else the defaults."""
    names = [n.strip() for raw in request.args.getlist("fields") for n in raw.split(",")]
    names = [n for n in names if n]
    if not names:
        return render.DEFAULT_CONTACT_FIELDS
    unknown = [
        n for n in names if n not in render.CONTACT_FIELDS and n not in render.UNKEPT_CONTACT_FIELDS
    ]
    if unknown:
        raise BadRequestError(f"Invalid fields: {', '.join(unknown)}")
    return tuple(names)
