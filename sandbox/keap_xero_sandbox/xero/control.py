"""Xero's own control routes, mounted at `/_sandbox/xero/...` (and callable in-process on
`sandbox.xero`):

- `GET /credentials`: the sandbox's fixed, fake credentials and tenant IDs;
- `GET /tenants`: organisations with their lock dates and counts;
- `POST /tenants` `{"name", "tenant_id"?}`: add an organisation (a fresh demo company);
- `POST /tenants/<id>/lock-dates` `{"period_lock_date", "end_of_year_lock_date"}`: set or
  clear the lock dates (`YYYY-MM-DD` or null);
- `POST /apps` `{"client_id", "client_secret", "kind": "oauth"|"custom", "tenant_id"?,
  "redirect_uris"?}`: register another app (a custom connection needs its organisation; an
  OAuth app takes codes only at its redirect URIs);
- `POST /tokens` `{"tenant_ids"?, "client_id"?}`: a fresh refresh token for an OAuth app, as
  the authorization code flow gives (every organisation when no tenant_ids);
- `POST /tokens/expire`: every access token issued so far expires now.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, jsonify

from invoice_model.dates import DateParseError, parse_date
from keap_xero_sandbox.authorize import is_https_or_loopback
from keap_xero_sandbox.control import json_body
from keap_xero_sandbox.xero.identity import App

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

    from keap_xero_sandbox.xero.emulator import XeroEmulator


def xero_controls(emulator: XeroEmulator) -> Blueprint:  # noqa: PLR0915 (a route each)
    bp = Blueprint("xero_control", __name__)

    def tenant_summary(tenant_id: str) -> dict[str, Any]:
        ledger = emulator.ledgers[tenant_id]
        organisation = ledger.organisation
        return {
            "tenant_id": tenant_id,
            "name": organisation.name,
            "base_currency": organisation.base_currency,
            "period_lock_date": _iso(organisation.period_lock_date),
            "end_of_year_lock_date": _iso(organisation.end_of_year_lock_date),
            "counts": ledger.counts(),
        }

    @bp.get("/credentials")
    def credentials() -> ResponseReturnValue:
        return jsonify(emulator.credentials())

    @bp.get("/tenants")
    def tenants() -> ResponseReturnValue:
        return jsonify([tenant_summary(t) for t in emulator.ledgers])

    @bp.post("/tenants")
    def add_tenant() -> ResponseReturnValue:
        data = json_body()
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            abort(400, "name is required")
        tenant_id = str(data.get("tenant_id") or uuid.uuid4()).lower()
        try:
            uuid.UUID(tenant_id)
        except ValueError:
            abort(400, f"tenant_id {tenant_id!r} is not a GUID")
        if tenant_id in emulator.ledgers:
            abort(400, f"tenant {tenant_id} exists")
        emulator.add_organisation(name.strip(), tenant_id)
        return jsonify(tenant_summary(tenant_id)), 201

    @bp.post("/tenants/<tenant_id>/lock-dates")
    def lock_dates(tenant_id: str) -> ResponseReturnValue:
        ledger = emulator.ledgers.get(tenant_id.lower()) or abort(404, f"no tenant {tenant_id}")
        data = json_body()
        try:
            period = _date_or_none(data.get("period_lock_date"))
            end_of_year = _date_or_none(data.get("end_of_year_lock_date"))
        except DateParseError as error:
            abort(400, str(error))
        with ledger.lock:
            ledger.set_lock_dates(period, end_of_year)
        return jsonify(tenant_summary(tenant_id.lower()))

    @bp.post("/apps")
    def add_app() -> ResponseReturnValue:
        data = json_body()
        kind = data.get("kind", "oauth")
        client_id, secret = data.get("client_id"), data.get("client_secret")
        if kind not in ("oauth", "custom") or not client_id or not secret:
            abort(400, "client_id, client_secret and kind (oauth or custom) are required")
        tenant_id = data.get("tenant_id")
        if kind == "custom" and (tenant_id or "").lower() not in emulator.ledgers:
            abort(400, "a custom connection needs the tenant_id of an organisation")
        redirect_uris = data.get("redirect_uris") or []
        if not isinstance(redirect_uris, list) or not all(
            isinstance(uri, str) and is_https_or_loopback(uri) for uri in redirect_uris
        ):
            abort(400, "redirect_uris must be a list of https (or http://localhost) URLs")
        emulator.identity.add_app(
            App(
                str(client_id),
                str(secret),
                str(data.get("name") or client_id),
                kind,
                tenant_id.lower() if tenant_id else None,
                redirect_uris=tuple(redirect_uris),
            )
        )
        if kind == "custom":
            emulator.identity.connect_custom(str(client_id))
        return jsonify({"client_id": client_id, "kind": kind}), 201

    @bp.post("/tokens")
    def mint_token() -> ResponseReturnValue:
        data = json_body()
        client_id = data.get("client_id") or emulator.credentials()["oauth_app"]["client_id"]
        try:
            token = emulator.mint_refresh_token(data.get("tenant_ids"), client_id=client_id)
        except KeyError as error:
            abort(400, str(error))
        return jsonify({"client_id": client_id, "refresh_token": token}), 201

    @bp.post("/tokens/expire")
    def expire_tokens() -> ResponseReturnValue:
        emulator.identity.expire_access_tokens()
        return jsonify({"expired": True})

    @bp.errorhandler(400)
    @bp.errorhandler(404)
    def error(exc: Any) -> ResponseReturnValue:
        return jsonify({"error": exc.description}), exc.code

    return bp


def _date_or_none(value: Any) -> Any:
    return None if value in (None, "") else parse_date(value)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None
