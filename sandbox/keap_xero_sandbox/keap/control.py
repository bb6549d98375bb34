"""Keap's own controls, mounted at `/_sandbox/keap/...`: what a Keap user does in the app and
not through the API (consent screens, refunds, settings), and the credentials to call it with.

| method and path | does |
| --- | --- |
| `GET /credentials` | PAT, SAK, OAuth client, a usable refresh token and access token, API URLs |
| `POST /oauth/code` `{"redirect_uri"?}` | an authorization code, as the consent screen issues |
| `POST /oauth/refresh-token` | a fresh refresh token for the default client |
| `POST /oauth/access-token` | a fresh access token (24 hours) |
| `GET`, `POST /settings` | currency, time zone, business name, manual payment types |
| `POST /payments/<id>/refund` `{"amount"?, "note"?}` | refund a payment (all that is left, or `amount` in major units) |
| `POST /payments/<id>/void` | void a payment |
| `POST /orders/<id>/view` | the customer opens the invoice (status VIEWED) |
| `DELETE /orders/model/customFields/<id>` | delete an order custom field and its values |
| `POST /subscriptions` `{"contact_id", "plan_id"}` | a subscription (takes an invoice ID) |
| `POST /subscriptions/<id>/bill` `{"charge"?: true}` | bill a cycle: a new order and invoice |
"""  # noqa: E501 (a table)

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify, request

from invoice_model.money import MoneyError, to_decimal, to_minor_units
from keap_xero_sandbox.keap import render
from keap_xero_sandbox.keap.auth import ACCESS_TOKEN_LIFETIME, AUTHORIZATION_CODE_LIFETIME
from keap_xero_sandbox.keap.auth import REDIRECT_URI as DEFAULT_REDIRECT_URI
from keap_xero_sandbox.keap.errors import BadRequestError, KeapError
from keap_xero_sandbox.keap.routes import REST

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

    from keap_xero_sandbox.keap.emulator import KeapEmulator


def control_blueprint(emulator: KeapEmulator) -> Blueprint:  # noqa: PLR0915 (one route per statement)
    bp = Blueprint("keap_control", __name__)

    def body() -> dict[str, Any]:
        data = request.get_json(silent=True)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise BadRequestError("the body must be a JSON object")
        return data

    @bp.errorhandler(KeapError)
    def refused(error: KeapError) -> ResponseReturnValue:
        return jsonify({"error": error.message}), error.status

    @bp.get("/credentials")
    def credentials() -> ResponseReturnValue:
        base = request.host_url.rstrip("/")
        return jsonify(
            {
                **emulator.credentials(),
                "api_url": base,
                "rest_url": base + REST + "/v2",
                "token_url": base + "/token",
            }
        )

    @bp.post("/oauth/code")
    def authorization_code() -> ResponseReturnValue:
        redirect_uri = str(body().get("redirect_uri") or DEFAULT_REDIRECT_URI)
        code = emulator.auth.mint_code(redirect_uri)
        lifetime = int(AUTHORIZATION_CODE_LIFETIME.total_seconds())
        return jsonify({"code": code, "redirect_uri": redirect_uri, "expires_in": lifetime})

    @bp.post("/oauth/refresh-token")
    def refresh_token() -> ResponseReturnValue:
        return jsonify({"refresh_token": emulator.auth.mint_refresh_token().value})

    @bp.post("/oauth/access-token")
    def access_token() -> ResponseReturnValue:
        token = emulator.auth.mint_access_token()
        lifetime = int(ACCESS_TOKEN_LIFETIME.total_seconds())
        return jsonify({"access_token": token.value, "expires_in": lifetime})

    @bp.get("/settings")
    def settings() -> ResponseReturnValue:
        return jsonify(_settings(emulator))

    @bp.post("/settings")
    def configure() -> ResponseReturnValue:
        with emulator.account.lock:
            emulator.account.configure(body())
        return jsonify(_settings(emulator))

    @bp.post("/payments/<int:payment_id>/refund")
    def refund(payment_id: int) -> ResponseReturnValue:
        data = body()
        account = emulator.account
        with account.lock:
            payment = account.payment(payment_id)
            amount = None
            if data.get("amount") is not None:
                try:
                    amount = to_minor_units(to_decimal(data["amount"]), payment.currency)
                except MoneyError as error:
                    raise BadRequestError(f"amount: {error}") from error
            refunded = account.refund_payment(payment_id, amount, data.get("note"))
            return jsonify(render.payment(refunded)), 201

    @bp.post("/payments/<int:payment_id>/void")
    def void(payment_id: int) -> ResponseReturnValue:
        with emulator.account.lock:
            return jsonify(render.payment(emulator.account.void_payment(payment_id)))

    @bp.post("/orders/<int:order_id>/view")
    def view(order_id: int) -> ResponseReturnValue:
        with emulator.account.lock:
            return jsonify(emulator.renderer.order(emulator.account.mark_viewed(order_id)))

    @bp.delete("/orders/model/customFields/<int:field_id>")
    def remove_order_field(field_id: int) -> ResponseReturnValue:
        with emulator.account.lock:
            emulator.account.remove_order_field(field_id)
        return "", 204

    @bp.post("/subscriptions")
    def subscribe() -> ResponseReturnValue:
        data = body()
        try:
            contact_id, plan_id = int(data["contact_id"]), int(data["plan_id"])
        except (KeyError, TypeError, ValueError) as error:
            raise BadRequestError("contact_id and plan_id are required IDs") from error
        with emulator.account.lock:
            subscription = emulator.account.create_subscription(contact_id, plan_id)
        return jsonify(
            {"id": str(subscription.id), "invoice_id": str(subscription.invoice_id)}
        ), 201

    @bp.post("/subscriptions/<int:subscription_id>/bill")
    def bill(subscription_id: int) -> ResponseReturnValue:
        charge = body().get("charge", True) is not False
        with emulator.account.lock:
            order = emulator.account.bill_subscription(subscription_id, charge=charge)
            return jsonify(emulator.renderer.order(order)), 201

    return bp


def _settings(emulator: KeapEmulator) -> dict[str, Any]:
    account = emulator.account
    return {
        "business_profile": render.business_profile(account.profile),
        "manual_payment_types": list(account.manual_payment_types),
    }
