"""The Keap emulator as the sandbox sees it: one account, its credentials, limits and routes."""

from __future__ import annotations

import gc
from typing import Any

from flask import Blueprint, Request, Response, has_request_context, jsonify, request

from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.emulator import Emulator
from keap_xero_sandbox.faults import Fault
from keap_xero_sandbox.keap import render
from keap_xero_sandbox.keap.account import KeapAccount
from keap_xero_sandbox.keap.auth import KeapAuth
from keap_xero_sandbox.keap.control import control_blueprint
from keap_xero_sandbox.keap.errors import (
    GATEWAY_FAILURES,
    INVALID_TOKEN,
    error_body,
    fault_body,
    phrase,
    quota_violation,
)
from keap_xero_sandbox.keap.paging import MAX_PAGE_SIZE
from keap_xero_sandbox.keap.quota import KeapQuota
from keap_xero_sandbox.keap.render import Renderer
from keap_xero_sandbox.keap.routes import api_blueprint
from keap_xero_sandbox.keap.seed import SeedOptions, seed_account


class KeapEmulator(Emulator):
    """Keap REST v2 under `/crm/rest/v2`, its token endpoint at `/token` and its consent page at
    `/app/oauth/authorize` (see KEAP.md)."""

    name = "keap"
    prefixes = ("/crm/rest", "/token", "/app/oauth")

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self.reset()

    def blueprint(self) -> Blueprint:
        return api_blueprint(self)

    def control_blueprint(self) -> Blueprint:
        return control_blueprint(self)

    def reset(self) -> None:
        """An empty account with the default profile, custom field, payment types,
        credentials and limits."""
        gc.unfreeze()  # a seeded account was frozen out of garbage collection (see `seed`)
        self.account = KeapAccount(self.clock)
        self.auth = KeapAuth(self.clock, self.account.tenant)
        self.quota = KeapQuota(self.limits, self.account.tenant)
        self.quota.configure_defaults()
        self.limits.reset()
        self.renderer = Renderer(self.account)
        # The most records a list page holds, whatever `page_size` asks (see KEAP.md, Paging).
        self.largest_page = MAX_PAGE_SIZE

    def secrets(self) -> set[str]:
        return self.auth.secrets()

    def credentials(self) -> dict[str, Any]:
        """The default credentials (the same after every reset); see KEAP.md."""
        return self.auth.credentials()

    def connector_credentials(self, auth: str = "oauth2.0") -> dict[str, str]:
        """The `credentials` of a Keap connector's config (source-keap, destination-keap) for
        this account: its OAuth app with the default refresh token, or (`api_key`) its Personal
        Access Token."""
        credentials = self.credentials()
        if auth == "api_key":
            return {"auth_type": "api_key", "api_key": credentials["personal_access_token"]}
        return {
            "auth_type": "oauth2.0",
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
            "refresh_token": credentials["refresh_token"],
        }

    def seed(self, **options: Any) -> dict[str, Any]:
        with self.account.lock:
            summary = seed_account(self.account, SeedOptions.parse(options))
        return {**summary, "credentials": self.credentials()}

    def dump(self) -> dict[str, Any]:
        account = self.account
        with account.lock:
            return {
                "tenant_id": account.tenant,
                "business_profile": render.business_profile(account.profile),
                "manual_payment_types": list(account.manual_payment_types),
                "order_custom_fields": [
                    render.custom_field(f) for f in account.custom_fields.values()
                ],
                "contacts": [
                    self.renderer.contact(c, render.CONTACT_FIELDS) for c in account.contacts
                ],
                "products": [
                    render.product(p, account.profile.currency_code) for p in account.products
                ],
                "orders": [self.renderer.order(o) for o in account.orders],
                "invoices": [
                    {
                        "id": str(i.id),
                        "order_id": render.text_id(i.order_id),
                        "subscription_id": render.text_id(i.subscription_id),
                        "creation_time": render.time(i.creation_time),
                    }
                    for i in account.invoices.values()
                ],
                "payments": [render.payment(p) for p in account.payments],
                "invoice_payments": [
                    {"order_id": str(r.order_id), **render.invoice_payment(r)}
                    for r in account.invoice_payments.values()
                ],
                "subscriptions": [
                    {
                        "id": str(s.id),
                        "contact_id": str(s.contact_id),
                        "product_id": str(s.product_id),
                        "plan_id": str(s.plan.id),
                        "invoice_id": str(s.invoice_id),
                        "currency": s.currency,
                        "active": s.active,
                        "cycles_billed": s.cycles_billed,
                    }
                    for s in account.subscriptions.values()
                ],
            }

    def fault_response(self, fault: Fault) -> Response:
        """An injected failure as Keap's gateway or application would answer it."""
        caller = self.auth.identify(request.headers) if has_request_context() else None
        on_token_endpoint = has_request_context() and request.path == "/token"
        headers: dict[str, str] = {} if on_token_endpoint else self.quota.headers(caller)
        if fault.status == 429:
            body: Any = quota_violation(caller.identity if caller else self.account.tenant)
            headers = self.quota.headers(caller, throttled=True)
        elif fault.status in GATEWAY_FAILURES:
            body = fault_body(*GATEWAY_FAILURES[fault.status])
        elif on_token_endpoint:
            error = "server_error" if fault.status >= 500 else "invalid_request"
            body = {"error": error, "error_description": phrase(fault.status)}
        elif fault.status == 401:
            body = INVALID_TOKEN.body()
        else:
            body = error_body(fault.status, phrase(fault.status))
        response = jsonify(fault.body if fault.body is not None else body)
        response.status_code = fault.status
        response.headers.update(headers)
        response.headers.update(fault.headers)
        return response

    def tenant_of(self, request: Request) -> str | None:
        return self.account.tenant
