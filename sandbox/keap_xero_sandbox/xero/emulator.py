"""The Xero emulator: organisations, identity, limits and idempotency wired to the sandbox.

After `reset()` the sandbox holds two organisations shaped like Xero's US demo company, a custom
connection bound to the first and an OAuth app authorised for both, with fixed, obviously fake
credentials (`credentials()`, `GET /_sandbox/xero/credentials`, XERO.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from flask import Blueprint, Request, Response, g, request

from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.emulator import Emulator
from keap_xero_sandbox.faults import Fault
from keap_xero_sandbox.xero import access, binding, render
from keap_xero_sandbox.xero.access import Caller, Gate
from keap_xero_sandbox.xero.control import xero_controls
from keap_xero_sandbox.xero.demo_company import demo_ledger
from keap_xero_sandbox.xero.errors import Forbidden, XeroError, json_response, status_error
from keap_xero_sandbox.xero.idempotency import Answer, IdempotencyStore
from keap_xero_sandbox.xero.identity import App, Connection, Identity
from keap_xero_sandbox.xero.ledger import Ledger
from keap_xero_sandbox.xero.routes import accounting_blueprint, identity_blueprint
from keap_xero_sandbox.xero.seed import seed

T = TypeVar("T")

DEMO_TENANT_ID = "11111111-1111-4111-8111-111111111111"
SECOND_TENANT_ID = "22222222-2222-4222-8222-222222222222"
CUSTOM_CLIENT_ID = "SANDBOX-CUSTOM-CONNECTION"
CUSTOM_CLIENT_SECRET = "sandbox-custom-connection-secret-not-real"  # noqa: S105 (fake)
OAUTH_CLIENT_ID = "SANDBOX-OAUTH-APP"
OAUTH_CLIENT_SECRET = "sandbox-oauth-app-secret-not-real"  # noqa: S105 (fake)
OAUTH_REFRESH_TOKEN = "sandbox-refresh-token-not-real"  # noqa: S105 (fake)
# Registered on the OAuth app: an Airbyte instance on its default local address, and a page of
# one's own for signing in by hand (more with `POST /_sandbox/xero/apps`).
OAUTH_REDIRECT_URIS = (
    "http://localhost:8000/auth_flow",
    "https://localhost/xero-sandbox/callback",
)
APP_NAME = "Keap Xero Sandbox"


class XeroEmulator(Emulator):
    name = "xero"
    prefixes = ("/api.xro/2.0", "/connect", "/connections", "/identity")
    paths_ignore_case = True

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self.reset()

    # the sandbox's view

    def blueprint(self) -> Blueprint:
        bp = Blueprint("xero", __name__)
        bp.register_blueprint(identity_blueprint(self))
        bp.register_blueprint(accounting_blueprint(self))
        return bp

    def control_blueprint(self) -> Blueprint:
        return xero_controls(self)

    def reset(self) -> None:
        access.configure(self.limits)
        self.limits.reset()
        self.gate = Gate(self.limits, self.clock)
        self.idempotency = IdempotencyStore(self.clock)
        self.identity = Identity(self.clock)
        self.ledgers: dict[str, Ledger] = {}
        self.add_organisation("Demo Company (US)", DEMO_TENANT_ID, short_code="!sbx01")
        self.add_organisation("Sandbox Trading Co (US)", SECOND_TENANT_ID, short_code="!sbx02")
        self.identity.add_app(
            App(CUSTOM_CLIENT_ID, CUSTOM_CLIENT_SECRET, APP_NAME, "custom", DEMO_TENANT_ID)
        )
        self.identity.connect_custom(CUSTOM_CLIENT_ID)
        self.identity.add_app(
            App(
                OAUTH_CLIENT_ID,
                OAUTH_CLIENT_SECRET,
                APP_NAME,
                "oauth",
                redirect_uris=OAUTH_REDIRECT_URIS,
            )
        )
        self.identity.authorise(
            OAUTH_CLIENT_ID, [DEMO_TENANT_ID, SECOND_TENANT_ID], refresh_token=OAUTH_REFRESH_TOKEN
        )

    def seed(self, **options: Any) -> dict[str, Any]:
        return seed(self, **options)

    def dump(self) -> dict[str, Any]:
        tenants = {}
        for tenant_id, ledger in self.ledgers.items():
            with ledger.lock:
                tenants[tenant_id] = {
                    "organisation": render.organisation(ledger.organisation),
                    "counts": ledger.counts(),
                    "contacts": [render.contact(c) for c in ledger.contacts.values()],
                    "invoices": [
                        render.invoice(i, ledger, unit_places=4) for i in ledger.invoices.values()
                    ],
                    "payments": [render.payment(p, ledger) for p in ledger.payments.values()],
                }
        return {"credentials": self.credentials(), "tenants": tenants}

    def fault_response(self, fault: Fault) -> Response:
        """An injected status answered as Xero answers it: a 429 with the rate-limit headers
        (`X-Rate-Limit-Problem` from the fault's headers, `minute` by default), a 503 with Xero's
        "Organisation offline" problem, any other status with Xero's body for it.
        """
        caller = self._caller_quietly(request)
        if fault.status == 429:
            retry_after = fault.headers.get("Retry-After")
            error: XeroError = self.gate.refusal(
                caller,
                fault.headers.get("X-Rate-Limit-Problem", "minute"),
                int(retry_after) if retry_after else None,
            )
        else:
            error = status_error(fault.status)
        response = error.response()
        if fault.body is not None:
            response = json_response(fault.body, fault.status)
            response.headers.update(error.headers())
        response.headers.update(self.gate.headers(caller))
        response.headers.update(fault.headers)
        return response

    def tenant_of(self, request: Request) -> str | None:
        caller = self._caller_quietly(request)
        return caller.tenant or request.headers.get("xero-tenant-id")

    # organisations, credentials and tokens

    def add_organisation(
        self, name: str, tenant_id: str, *, short_code: str | None = None
    ) -> Ledger:
        tenant = tenant_id.lower()
        ledger = demo_ledger(tenant, name, short_code or f"!{tenant[:5]}", self.clock)
        self.ledgers[tenant] = ledger
        return ledger

    def ledger(self, tenant_id: str | None) -> Ledger:
        ledger = self.ledgers.get((tenant_id or "").lower())
        if ledger is None:
            raise Forbidden()
        return ledger

    @property
    def default_ledger_id(self) -> str:
        return DEMO_TENANT_ID

    def secrets(self) -> set[str]:
        return self.identity.secrets()

    def credentials(self) -> dict[str, Any]:
        """The fixed sandbox credentials (fake, valid only here)."""
        return {
            "custom_connection": {
                "client_id": CUSTOM_CLIENT_ID,
                "client_secret": CUSTOM_CLIENT_SECRET,
                "tenant_id": DEMO_TENANT_ID,
            },
            "oauth_app": {
                "client_id": OAUTH_CLIENT_ID,
                "client_secret": OAUTH_CLIENT_SECRET,
                "refresh_token": OAUTH_REFRESH_TOKEN,
                "tenant_ids": [DEMO_TENANT_ID, SECOND_TENANT_ID],
                "redirect_uris": list(OAUTH_REDIRECT_URIS),
            },
            "tenants": {
                tenant: ledger.organisation.name for tenant, ledger in self.ledgers.items()
            },
        }

    def connector_credentials(
        self, auth: str = "oauth2_app", tenant_id: str | None = None
    ) -> dict[str, str]:
        """The `credentials` of a Xero connector's config (source-xero, destination-xero): the
        OAuth app with the default refresh token on `tenant_id` (default: Demo Company (US)), or
        (`custom_connection`) the custom connection, bound to Demo Company (US)."""
        credentials = self.credentials()
        if auth == "custom_connection":
            custom = credentials["custom_connection"]
            return {
                "auth_type": auth,
                "client_id": custom["client_id"],
                "client_secret": custom["client_secret"],
            }
        app = credentials["oauth_app"]
        return {
            "auth_type": "oauth2_app",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "refresh_token": app["refresh_token"],
            "tenant_id": tenant_id or self.default_ledger_id,
        }

    def mint_refresh_token(
        self, tenant_ids: Iterable[str] | None = None, client_id: str = OAUTH_CLIENT_ID
    ) -> str:
        """What the authorization code flow gives an OAuth app: a fresh refresh token covering
        `tenant_ids` (every organisation when None).
        """
        tenants = [t.lower() for t in (tenant_ids if tenant_ids is not None else self.ledgers)]
        unknown = [t for t in tenants if t not in self.ledgers]
        if unknown:
            raise KeyError(f"no organisation {unknown[0]}")
        return self.identity.authorise(client_id, tenants)

    def connection_json(self, connection: Connection) -> dict[str, Any]:
        ledger = self.ledgers.get(connection.tenant_id)
        return {
            "id": connection.id,
            "authEventId": connection.auth_event_id,
            "tenantId": connection.tenant_id,
            "tenantType": "ORGANISATION",
            "tenantName": ledger.organisation.name if ledger else "",
            "createdDateUtc": _identity_time(connection.created),
            "updatedDateUtc": _identity_time(connection.updated),
        }

    # serving calls (used by routes)

    def serve(self, answer: Callable[[Caller], Response], *, tenantless: bool = False) -> Response:
        """Gate a call as Xero's gateway does (401, 403, 429), answer it, add the limit headers."""
        caller = Caller()
        try:
            caller.grant = self.identity.authenticate(request.headers.get("Authorization"))
            g.xero_provider = self.identity.apps[caller.grant.client_id].name
            if not tenantless:
                caller.tenant = self.identity.tenant_for(
                    caller.grant, request.headers.get("xero-tenant-id")
                )
                self.ledger(caller.tenant)
            with self.gate.slot(caller):
                response = answer(caller)
        except XeroError as error:
            response = error.response()
        response.headers.update(self.gate.headers(caller))
        return response

    def idempotently(self, caller: Caller, key: str, run: Callable[[], Response]) -> Response:
        scope = caller.key or ""
        fingerprint = IdempotencyStore.fingerprint(
            request.method, request.full_path, request.get_data()
        )
        stored = self.idempotency.recall(scope, key, fingerprint)
        if stored is not None:
            return Response(stored.body, status=stored.status, content_type=stored.content_type)
        try:
            response = run()
        except XeroError as error:
            response = error.response()
        self.idempotency.remember(scope, key, fingerprint, Answer.of(response))
        return response

    def envelope(
        self, resource: str, items: Sequence[dict[str, Any]], *, pagination: Any = None
    ) -> Response:
        return json_response(
            render.envelope(
                resource,
                items,
                provider=g.get("xero_provider", APP_NAME),
                now=self.clock.now(),
                pagination=pagination,
            )
        )

    def paged(
        self, resource: str, records: Sequence[T], render_one: Callable[[T], dict[str, Any]]
    ) -> Response:
        """A list answer: every record, or one page of them with Xero's `pagination`."""
        paging = binding.page_request(request.args)
        if paging is None:
            return self.envelope(resource, [render_one(r) for r in records])
        page, size = paging
        chosen = binding.page_of(records, page, size)
        return self.envelope(
            resource,
            [render_one(r) for r in chosen],
            pagination=render.pagination(page, size, len(records)),
        )

    def _caller_quietly(self, request: Request) -> Caller:
        """Who is calling, as far as can be told without refusing anything."""
        caller = Caller()
        try:
            caller.grant = self.identity.authenticate(request.headers.get("Authorization"))
            caller.tenant = self.identity.tenant_for(
                caller.grant, request.headers.get("xero-tenant-id")
            )
        except XeroError:
            pass
        return caller


def _identity_time(moment: dt.datetime) -> str:
    """The identity API's timestamps: ISO 8601 in UTC with 7 fractional digits, no zone."""
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}0"
