"""Xero's identity service: apps, connections to organisations, and OAuth 2.0 tokens.

Two kinds of app, as Xero has them:

- an OAuth app (authorization code flow): a user authorises it for some organisations, which
  makes one connection per organisation (sharing an `authEventId`) and hands the app a refresh
  token. Refresh tokens rotate on every use; the one just used keeps working for a 30-minute
  grace period (a client that lost the answer may retry), then answers `invalid_grant`, as does
  one left unused for 60 days;
- a custom connection: `client_credentials` only, bound to one organisation, no refresh token
  and no `xero-tenant-id` needed.

The authorization code flow: the consent page (`/identity/connect/authorize`, on login.xero.com
at Xero) takes `response_type=code`, the app's `client_id`, one of the redirect URIs registered
on the app (exactly), the `scope` (space-separated) and `state`; the user picks the
organisations to connect, and is sent back with `code`, `scope`, `state` and `session_state`. The
code works once, for 5 minutes, with the same redirect URI; exchanging it connects the app to the
chosen organisations (one new `authEventId`) and answers with an access token, and a refresh
token when `offline_access` was granted.

Access tokens live 30 minutes. They look like Xero's (a JWT with `exp`, `client_id`,
`authentication_event_id` and `scope`), signed with a sandbox-only key, so clients that read
`exp` to refresh early behave as they would against Xero. Time is the sandbox clock's.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import json
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from keap_xero_sandbox.authorize import AuthorizationError, Consent
from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.xero.errors import Forbidden, Unauthorized

ACCESS_TOKEN_SECONDS = 30 * 60
AUTHORIZATION_CODE_SECONDS = 5 * 60
REFRESH_GRACE_SECONDS = 30 * 60
REFRESH_UNUSED_SECONDS = 60 * 24 * 60 * 60
ISSUER = "https://identity.xero.com"
SIGNING_KEY = b"keap-xero-sandbox: not a secret, never a real Xero key"
DEFAULT_SCOPES = (
    "openid profile email offline_access accounting.transactions accounting.contacts "
    "accounting.settings"
)

# Scopes an app may ask for (Xero's broad and granular accounting scopes, identity scopes).
KNOWN_SCOPES = frozenset(
    {"openid", "profile", "email", "offline_access"}
    | {
        f"accounting.{name}{suffix}"
        for name in (
            "transactions",
            "invoices",
            "payments",
            "banktransactions",
            "manualjournals",
            "contacts",
            "settings",
            "attachments",
        )
        for suffix in ("", ".read")
    }
    | {"accounting.reports.read", "accounting.journals.read", "accounting.budgets.read"}
)

AppKind = Literal["oauth", "custom"]


class TokenError(Exception):
    """An OAuth error answer of the token endpoint (RFC 6749 §5.2), e.g. `invalid_grant`."""

    def __init__(self, error: str, status: int = 400, description: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.description = description

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


@dataclass
class App:
    client_id: str
    client_secret: str
    name: str
    kind: AppKind
    tenant_id: str | None = None  # a custom connection's one organisation
    scopes: str = DEFAULT_SCOPES
    redirect_uris: tuple[str, ...] = ()  # where an OAuth app's codes may be sent


@dataclass
class Connection:
    id: str
    client_id: str
    tenant_id: str
    auth_event_id: str
    created: dt.datetime
    updated: dt.datetime


@dataclass(frozen=True)
class Grant:
    """What a token stands for: an app, the organisations it may reach, and since when."""

    client_id: str
    tenant_ids: frozenset[str]
    auth_event_id: str
    scopes: str
    custom: bool = False


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scopes: str
    tenant_ids: frozenset[str]
    expires_at: float
    spent: bool = False


@dataclass
class _AccessToken:
    grant: Grant
    expires_at: float


@dataclass
class _RefreshToken:
    grant: Grant
    issued_at: float
    used_at: float | None = None  # when it was rotated away; it dies a grace period later


@dataclass
class Identity:
    """Every app, connection and token of one sandbox (thread-safe)."""

    clock: Clock
    apps: dict[str, App] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)
    _access: dict[str, _AccessToken] = field(default_factory=dict)
    _refresh: dict[str, _RefreshToken] = field(default_factory=dict)
    _codes: dict[str, _Code] = field(default_factory=dict)
    _revoked: set[str] = field(default_factory=set)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # apps and connections

    def add_app(self, app: App) -> App:
        with self._lock:
            self.apps[app.client_id] = app
            return app

    def authorise(
        self, client_id: str, tenant_ids: Iterable[str], *, refresh_token: str | None = None
    ) -> str:
        """What a user's consent gives an OAuth app: connections to `tenant_ids` (one auth
        event) and a refresh token covering them. Returns the refresh token.
        """
        with self._lock:
            grant = self._connect(client_id, frozenset(tenant_ids), None)
            token = refresh_token or self._mint_refresh()
            self._refresh[token] = _RefreshToken(grant, self.clock.timestamp())
            return token

    def _connect(self, client_id: str, tenants: frozenset[str], scopes: str | None) -> Grant:
        """Connect an OAuth app to organisations, as one auth event."""
        app = self._app(client_id, "oauth")
        event = str(uuid.uuid5(uuid.NAMESPACE_URL, f"auth-event:{next(self._serial)}"))
        now = self.clock.now()
        for tenant in sorted(tenants):
            existing = self._connection(client_id, tenant)
            if existing is not None:
                existing.auth_event_id, existing.updated = event, now
                continue
            connection_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{client_id}/{tenant}"))
            self.connections[connection_id] = Connection(
                connection_id, client_id, tenant, event, now, now
            )
        return Grant(client_id, tenants, event, scopes or app.scopes)

    # the consent page

    def consent(self, query: Mapping[str, str], organisations: Mapping[str, str]) -> Consent:
        """The authorization request of `/identity/connect/authorize`, or why Xero refuses it;
        `organisations` (tenant ID to name) are those the user may connect."""
        app = self.apps.get(query.get("client_id") or "")
        if app is None or app.kind != "oauth":
            raise AuthorizationError(
                "unauthorized_client", "Unknown client or client not enabled", to_page=True
            )
        redirect_uri = query.get("redirect_uri") or ""
        if redirect_uri not in app.redirect_uris:
            raise AuthorizationError("invalid_request", "Invalid redirect_uri", to_page=True)
        if query.get("response_type") != "code":
            raise AuthorizationError("unsupported_response_type", "Invalid response_type")
        scopes = (query.get("scope") or "").split()
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if not scopes or unknown:
            raise AuthorizationError("invalid_scope", f"Invalid scope: {' '.join(unknown)}")
        return Consent(
            app.client_id,
            app.name,
            redirect_uri,
            " ".join(scopes),
            query.get("state"),
            "your Xero organisations",
            tuple(organisations.items()),
        )

    def approve(self, consent: Consent, chosen: list[str]) -> dict[str, str]:
        """What the user's consent sends back: a code for the chosen organisations."""
        offered = {tenant for tenant, _ in consent.tenants}
        tenants = frozenset(t.lower() for t in chosen)
        if not tenants <= offered:
            raise AuthorizationError("access_denied", "Unknown organisation chosen")
        with self._lock:
            code = hashlib.sha256(f"code:{next(self._serial)}".encode()).hexdigest()
            self._codes[code] = _Code(
                consent.client_id,
                consent.redirect_uri,
                consent.scope,
                tenants,
                self.clock.timestamp() + AUTHORIZATION_CODE_SECONDS,
            )
        session = hashlib.sha256(f"session:{code}".encode()).hexdigest()[:43]
        return {"code": code, "scope": consent.scope, "session_state": session}

    def connect_custom(self, client_id: str) -> None:
        """A custom connection is connected to its organisation from the start."""
        with self._lock:
            app = self._app(client_id, "custom")
            assert app.tenant_id is not None  # noqa: S101 (custom apps are made with one)
            if self._connection(client_id, app.tenant_id) is None:
                now = self.clock.now()
                connection_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{client_id}/{app.tenant_id}"))
                event = str(uuid.uuid5(uuid.NAMESPACE_URL, f"custom:{client_id}"))
                self.connections[connection_id] = Connection(
                    connection_id, client_id, app.tenant_id, event, now, now
                )

    def connections_of(self, grant: Grant, auth_event_id: str | None = None) -> list[Connection]:
        with self._lock:
            return [
                c
                for c in self.connections.values()
                if c.client_id == grant.client_id
                and c.tenant_id in grant.tenant_ids
                and (auth_event_id is None or c.auth_event_id == auth_event_id)
            ]

    def disconnect(self, grant: Grant, connection_id: str) -> bool:
        with self._lock:
            connection = self.connections.get(connection_id)
            if connection is None or connection.client_id != grant.client_id:
                return False
            del self.connections[connection_id]
            return True

    # the token endpoint

    def token(
        self, client_id: str | None, client_secret: str | None, form: Mapping[str, str]
    ) -> dict[str, object]:
        """Answer `POST /connect/token`; raises `TokenError` with OAuth's error codes."""
        with self._lock:
            app = self.apps.get(client_id or "")
            if app is None or not hmac.compare_digest(app.client_secret, client_secret or ""):
                raise TokenError("invalid_client")
            grant_type = form.get("grant_type")
            if grant_type == "client_credentials":
                return self._client_credentials(app, form)
            if grant_type == "refresh_token":
                return self._refreshed(app, form.get("refresh_token") or "")
            if grant_type == "authorization_code":
                return self._exchanged(app, form)
            raise TokenError("unsupported_grant_type")

    def _exchanged(self, app: App, form: Mapping[str, str]) -> dict[str, object]:
        if app.kind != "oauth":
            raise TokenError("unauthorized_client")
        code = self._codes.get(form.get("code") or "")
        if (
            code is None
            or code.spent
            or code.client_id != app.client_id
            or code.expires_at <= self.clock.timestamp()
            or form.get("redirect_uri") != code.redirect_uri
        ):
            raise TokenError("invalid_grant")
        code.spent = True
        grant = self._connect(app.client_id, code.tenant_ids, code.scopes)
        answer = self._access_answer(grant)
        if "offline_access" in code.scopes.split():
            refresh = self._mint_refresh()
            self._refresh[refresh] = _RefreshToken(grant, self.clock.timestamp())
            answer["refresh_token"] = refresh
        return answer

    def _client_credentials(self, app: App, form: Mapping[str, str]) -> dict[str, object]:
        if app.kind != "custom" or app.tenant_id is None:
            raise TokenError("unauthorized_client")
        self.connect_custom(app.client_id)
        event = self._connection(app.client_id, app.tenant_id)
        grant = Grant(
            app.client_id,
            frozenset({app.tenant_id}),
            event.auth_event_id if event else "",
            form.get("scope") or app.scopes,
            custom=True,
        )
        return self._access_answer(grant)

    def _refreshed(self, app: App, token: str) -> dict[str, object]:
        if app.kind != "oauth":
            raise TokenError("unauthorized_client")
        held = self._refresh.get(token)
        now = self.clock.timestamp()
        if held is None or held.grant.client_id != app.client_id:
            raise TokenError("invalid_grant")
        if held.used_at is not None and now > held.used_at + REFRESH_GRACE_SECONDS:
            raise TokenError("invalid_grant")
        if held.used_at is None and now > held.issued_at + REFRESH_UNUSED_SECONDS:
            raise TokenError("invalid_grant")
        if held.used_at is None:
            held.used_at = now
        successor = self._mint_refresh()
        self._refresh[successor] = _RefreshToken(held.grant, now)
        return {**self._access_answer(held.grant), "refresh_token": successor}

    def _access_answer(self, grant: Grant) -> dict[str, object]:
        now = self.clock.timestamp()
        token = self._mint_access(grant, now)
        self._access[token] = _AccessToken(grant, now + ACCESS_TOKEN_SECONDS)
        answer: dict[str, object] = {
            "access_token": token,
            "expires_in": ACCESS_TOKEN_SECONDS,
            "token_type": "Bearer",
            "scope": grant.scopes,
        }
        if "openid" in grant.scopes.split():
            answer = {"id_token": self._jwt({"iss": ISSUER, "aud": grant.client_id}), **answer}
        return answer

    # calls to the API

    def authenticate(self, authorization: str | None) -> Grant:
        """The grant behind a `Bearer` header; 401 in Xero's words when there is none."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized()
        with self._lock:
            held = self._access.get(token.strip())
        if held is None:
            raise Unauthorized()
        if self.clock.timestamp() >= held.expires_at:
            expired = dt.datetime.fromtimestamp(held.expires_at, dt.UTC)
            raise Unauthorized(f"TokenExpired: token expired at {expired:%m/%d/%Y %H:%M:%S}")
        return held.grant

    def tenant_for(self, grant: Grant, requested: str | None) -> str:
        """The organisation a call is for: the `xero-tenant-id` asked for, which the grant must
        cover through a live connection; a custom connection's own when none is asked for.
        """
        if not requested:
            if grant.custom and len(grant.tenant_ids) == 1:
                return next(iter(grant.tenant_ids))
            raise Forbidden()
        tenant = requested.strip().lower()
        with self._lock:
            allowed = tenant in grant.tenant_ids and (
                self._connection(grant.client_id, tenant) is not None
            )
        if not allowed:
            raise Forbidden()
        return tenant

    def revoke(self, client_id: str | None, client_secret: str | None, token: str) -> None:
        """Answer `POST /connect/revocation`: a refresh token of the app is revoked with every
        token rotated from the same consent, and the app's connections made by that consent are
        removed (calls with its access tokens are then refused for those organisations). An
        unknown token is no error (RFC 7009); a wrong client is `invalid_client`."""
        with self._lock:
            app = self.apps.get(client_id or "")
            if app is None or not hmac.compare_digest(app.client_secret, client_secret or ""):
                raise TokenError("invalid_client")
            held = self._refresh.get(token)
            if held is None or held.grant.client_id != app.client_id:
                return
            event = (app.client_id, held.grant.auth_event_id)
            for value, refresh in list(self._refresh.items()):
                if (refresh.grant.client_id, refresh.grant.auth_event_id) == event:
                    del self._refresh[value]
                    self._revoked.add(value)
            for connection_id, connection in list(self.connections.items()):
                if (connection.client_id, connection.auth_event_id) == event:
                    del self.connections[connection_id]

    def secrets(self) -> set[str]:
        """Every secret of the identity service, revoked ones included: client secrets, codes,
        access and refresh tokens (so a test can check that none leaks)."""
        with self._lock:
            return {
                *(app.client_secret for app in self.apps.values()),
                *self._codes,
                *self._access,
                *self._refresh,
                *self._revoked,
            }

    def expire_access_tokens(self) -> None:
        """Forget nothing, but make every access token already issued expire now."""
        with self._lock:
            now = self.clock.timestamp()
            for held in self._access.values():
                held.expires_at = min(held.expires_at, now)

    # helpers

    def _app(self, client_id: str, kind: AppKind) -> App:
        app = self.apps.get(client_id)
        if app is None or app.kind != kind:
            raise KeyError(f"no {kind} app {client_id!r}")
        return app

    def _connection(self, client_id: str, tenant_id: str) -> Connection | None:
        for connection in self.connections.values():
            if connection.client_id == client_id and connection.tenant_id == tenant_id:
                return connection
        return None

    def _mint_refresh(self) -> str:
        return hashlib.sha256(f"refresh:{next(self._serial)}".encode()).hexdigest()

    def _mint_access(self, grant: Grant, now: float) -> str:
        return self._jwt(
            {
                "nbf": int(now),
                "exp": int(now) + ACCESS_TOKEN_SECONDS,
                "iss": ISSUER,
                "aud": f"{ISSUER}/resources",
                "client_id": grant.client_id,
                "sub": hashlib.sha256(grant.client_id.encode()).hexdigest()[:32],
                "auth_time": int(now),
                "authentication_event_id": grant.auth_event_id,
                "jti": hashlib.sha256(f"jti:{next(self._serial)}".encode()).hexdigest()[:32],
                "scope": grant.scopes.split(),
            }
        )

    @staticmethod
    def _jwt(claims: Mapping[str, object]) -> str:
        def part(data: Mapping[str, object]) -> str:
            raw = json.dumps(data, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}"
        signature = hmac.new(SIGNING_KEY, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
