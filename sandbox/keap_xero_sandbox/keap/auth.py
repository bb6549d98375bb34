"""Who may call the account: OAuth2 clients and their tokens, Personal Access Tokens and Service
Account Keys.

As Keap does it:
- the consent page (`/app/oauth/authorize`, on accounts.infusionsoft.com at Keap) takes the
  client ID, an https redirect URI (apps register none), `response_type=code` and `scope=full`
  (both the defaults), and `state`; consent sends the user back with `code`, `scope`
  (`full|<tenant>`) and `state`. A code works once, for 10 minutes.
- the token endpoint takes form-encoded parameters only. An authorization code is exchanged with
  the client's ID and secret (in the body or a Basic header) and the redirect URI it was issued
  for; a refresh sends the client credentials in a Basic header (the body is accepted too).
- access tokens last 24 hours, refresh tokens 45 days; every refresh returns a new refresh token
  and the old one then answers `invalid_request` / "Invalid Refresh Token" — as does any refresh
  whose client credentials are wrong or whose parameters are not in the body.
- API keys (PAT and SAK, both `KeapAK-...`) are sent as `X-Keap-API-Key` (or, as Keap's own SDK
  samples do, as a bearer token) and never expire.

Every secret is derived from a counter, so the same sequence of calls after a reset issues the
same tokens. They are fake and say so.

`presented` counts how API calls carried their credential (`X-Keap-API-Key`, `Authorization:
Bearer`, both, or none), so a client's tests can tell which header it sends, since either works.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from keap_xero_sandbox.authorize import AuthorizationError, Consent
from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.keap.errors import (
    EXPIRED_TOKEN,
    INVALID_API_KEY,
    INVALID_TOKEN,
    MISSING_TOKEN,
    GatewayError,
    OAuthError,
)

ACCESS_TOKEN_LIFETIME = dt.timedelta(hours=24)
REFRESH_TOKEN_LIFETIME = dt.timedelta(days=45)
AUTHORIZATION_CODE_LIFETIME = dt.timedelta(minutes=10)
API_KEY_HEADER = "X-Keap-API-Key"

CLIENT_ID = "keap-sandbox-client"
CLIENT_SECRET = "keap-sandbox-client-secret"  # noqa: S105 (a fake sandbox credential)
REDIRECT_URI = "https://localhost/keap-sandbox/callback"
SCOPE = "full"


@dataclass(frozen=True)
class Caller:
    """An authenticated caller, as rate limits count it: an OAuth client or an API key."""

    kind: Literal["oauth", "api_key"]
    identity: str  # the client ID, or the API key's name
    key_type: Literal["PAT", "SAK"] | None = None


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    name: str = "Keap Sandbox App"


@dataclass
class IssuedToken:
    value: str
    client_id: str
    expires_at: dt.datetime
    spent: bool = False


@dataclass
class AuthorizationCode(IssuedToken):
    redirect_uri: str = REDIRECT_URI


@dataclass(frozen=True)
class ApiKey:
    value: str
    key_type: Literal["PAT", "SAK"]
    name: str


class KeapAuth:
    """Credentials of one Keap account, on the sandbox clock."""

    def __init__(self, clock: Clock, tenant: str) -> None:
        self.clock = clock
        self.tenant = tenant
        self._issued = 0
        self.clients = {CLIENT_ID: OAuthClient(CLIENT_ID, CLIENT_SECRET)}
        self.api_keys = {
            key.value: key
            for key in (
                ApiKey(self._secret("KeapAK-SANDBOX-PAT-", "pat"), "PAT", "sandbox-pat"),
                ApiKey(self._secret("KeapAK-SANDBOX-SAK-", "sak"), "SAK", "sandbox-sak"),
            )
        }
        # How API calls carried their credential (see `note_presented`).
        self.presented: Counter[str] = Counter()
        self._presented_lock = threading.Lock()
        self._codes: dict[str, AuthorizationCode] = {}
        self._access: dict[str, IssuedToken] = {}
        self._refresh: dict[str, IssuedToken] = {}
        self._revoked: set[str] = set()
        self.initial_refresh_token = self.mint_refresh_token().value
        self.initial_access_token = self.mint_access_token().value

    # --- minting (the sandbox's stand-in for the browser consent screen) -----------------------

    def mint_code(self, redirect_uri: str = REDIRECT_URI, client_id: str = CLIENT_ID) -> str:
        self._client(client_id)
        code = AuthorizationCode(
            self._secret("sandbox-keap-code-", "code"),
            client_id,
            self.clock.now() + AUTHORIZATION_CODE_LIFETIME,
            redirect_uri=redirect_uri,
        )
        self._codes[code.value] = code
        return code.value

    def mint_refresh_token(self, client_id: str = CLIENT_ID) -> IssuedToken:
        self._client(client_id)
        token = IssuedToken(
            self._secret("sandbox-keap-rt-", "refresh"),
            client_id,
            self.clock.now() + REFRESH_TOKEN_LIFETIME,
        )
        self._refresh[token.value] = token
        return token

    def mint_access_token(self, client_id: str = CLIENT_ID) -> IssuedToken:
        self._client(client_id)
        token = IssuedToken(
            self._secret("sandbox-keap-at-", "access"),
            client_id,
            self.clock.now() + ACCESS_TOKEN_LIFETIME,
        )
        self._access[token.value] = token
        return token

    def revoke(self, value: str) -> bool:
        """Forget a token or key, as when a user removes an app's access."""
        tokens = [table.pop(value, None) for table in (self._access, self._refresh)]
        key = self.api_keys.pop(value, None)
        revoked = key is not None or any(tokens)
        if revoked:
            self._revoked.add(value)
        return revoked

    def revoke_client(self, client_id: str = CLIENT_ID) -> int:
        """Forget every token issued to an OAuth client, as when the user removes the app's
        access to the account; returns how many."""
        issued = [
            token.value
            for table in (self._access, self._refresh)
            for token in table.values()
            if token.client_id == client_id
        ]
        return sum(self.revoke(value) for value in issued)

    def secrets(self) -> set[str]:
        """Every secret of the account, spent and revoked ones included: client secrets, API
        keys, codes and tokens (so a test can check that none leaks)."""
        return {
            *(client.client_secret for client in self.clients.values()),
            *self.api_keys,
            *self._codes,
            *self._access,
            *self._refresh,
            *self._revoked,
        }

    # --- the consent page ---------------------------------------------------------------------

    def consent(self, query: Mapping[str, str]) -> Consent:
        """The authorization request of `/app/oauth/authorize`, or why Keap refuses it."""
        client = self.clients.get(query.get("client_id") or "")
        if client is None:
            raise AuthorizationError("invalid_client", "Unknown client_id", to_page=True)
        redirect_uri = query.get("redirect_uri") or ""
        if urlsplit(redirect_uri).scheme != "https" or not urlsplit(redirect_uri).netloc:
            raise AuthorizationError(
                "invalid_request", "redirect_uri must be an https URL", to_page=True
            )
        if (query.get("response_type") or "code") != "code":
            raise AuthorizationError("unsupported_response_type", "Only response_type=code")
        scope = query.get("scope") or SCOPE
        if scope != SCOPE:
            raise AuthorizationError("invalid_scope", f"Only scope={SCOPE}")
        return Consent(
            client.client_id, client.name, redirect_uri, scope, query.get("state"), self.tenant
        )

    def approve(self, consent: Consent, chosen: list[str]) -> dict[str, str]:
        """What the user's consent sends back to the app: a code for the token endpoint."""
        code = self.mint_code(consent.redirect_uri, consent.client_id)
        return {"code": code, "scope": f"{SCOPE}|{self.tenant}"}

    # --- the token endpoint --------------------------------------------------------------------

    def grant(
        self, form: Mapping[str, str], authorization: str | None, query_grant: str | None = None
    ) -> dict[str, object]:
        """`POST /token`: the token response, or an `OAuthError` as Keap words it."""
        grant_type = form.get("grant_type") or query_grant
        if grant_type == "refresh_token":
            return self._refresh_grant(form, authorization)
        if grant_type == "authorization_code":
            return self._code_grant(form, authorization)
        if not grant_type:
            raise OAuthError(400, "invalid_request", "Missing grant_type")
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant_type: {grant_type}")

    def _code_grant(self, form: Mapping[str, str], authorization: str | None) -> dict[str, object]:
        client = self._authenticated_client(form, authorization)
        if client is None:
            raise OAuthError(401, "invalid_grant", "Unable to authenticate username and password")
        code = self._codes.get(form.get("code", ""))
        if code is None or code.spent or code.client_id != client.client_id:
            raise OAuthError(400, "invalid_grant", "Invalid authorization code")
        if code.expires_at <= self.clock.now():
            raise OAuthError(400, "invalid_grant", "Authorization code expired")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError(400, "invalid_grant", "Redirect URI mismatch")
        code.spent = True
        return self._token_response(client.client_id)

    def _refresh_grant(
        self, form: Mapping[str, str], authorization: str | None
    ) -> dict[str, object]:
        client = self._authenticated_client(form, authorization)
        token = self._refresh.get(form.get("refresh_token", ""))
        if (
            client is None
            or token is None
            or token.spent
            or token.client_id != client.client_id
            or token.expires_at <= self.clock.now()
        ):
            raise OAuthError(400, "invalid_request", "Invalid Refresh Token")
        token.spent = True
        return self._token_response(client.client_id)

    def _token_response(self, client_id: str) -> dict[str, object]:
        access = self.mint_access_token(client_id)
        refresh = self.mint_refresh_token(client_id)
        return {
            "access_token": access.value,
            "token_type": "bearer",
            "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
            "refresh_token": refresh.value,
            "scope": f"{SCOPE}|{self.tenant}",
        }

    def _authenticated_client(
        self, form: Mapping[str, str], authorization: str | None
    ) -> OAuthClient | None:
        """The client named by a Basic header or by `client_id`/`client_secret` in the body;
        None when they are missing, unknown, wrong or contradict each other."""
        presented = {
            pair
            for pair in (_basic_credentials(authorization), _body_credentials(form))
            if pair is not None
        }
        if len(presented) != 1:
            return None
        client_id, secret = presented.pop()
        client = self.clients.get(client_id)
        return client if client is not None and client.client_secret == secret else None

    # --- calls to the API ----------------------------------------------------------------------

    def note_presented(self, headers: Mapping[str, str]) -> str:
        """Count how an API call carried its credential: the headers it sent one in, as
        `X-Keap-API-Key`, `Authorization: Bearer` (the scheme as sent), both joined by ` + `,
        or `none`. Values are never kept."""
        sent = []
        if headers.get(API_KEY_HEADER) is not None:
            sent.append(API_KEY_HEADER)
        authorization = (headers.get("Authorization") or "").strip()
        if authorization:
            scheme = authorization.partition(" ")[0] if " " in authorization else "(no scheme)"
            sent.append(f"Authorization: {scheme}")
        how = " + ".join(sent) or "none"
        with self._presented_lock:
            self.presented[how] += 1
        return how

    def authenticate(self, headers: Mapping[str, str]) -> Caller:
        """The caller of an API call, or the gateway's 401 fault."""
        api_key = headers.get(API_KEY_HEADER)
        if api_key is not None:
            key = self.api_keys.get(api_key.strip())
            if key is None:
                raise INVALID_API_KEY
            return Caller("api_key", key.name, key.key_type)
        scheme, _, value = (headers.get("Authorization") or "").strip().partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value:
            raise MISSING_TOKEN
        key = self.api_keys.get(value)
        if key is not None:
            return Caller("api_key", key.name, key.key_type)
        token = self._access.get(value)
        if token is None:
            raise INVALID_TOKEN
        if token.expires_at <= self.clock.now():
            raise EXPIRED_TOKEN
        return Caller("oauth", token.client_id)

    def identify(self, headers: Mapping[str, str]) -> Caller | None:
        """The caller, if the credential is good (for answers that must not fail on it)."""
        try:
            return self.authenticate(headers)
        except GatewayError:
            return None

    def credentials(self) -> dict[str, object]:
        """The account's default credentials, as documented in KEAP.md."""
        keys = {key.key_type: key.value for key in self.api_keys.values()}
        return {
            "personal_access_token": keys.get("PAT"),
            "service_account_key": keys.get("SAK"),
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uri": REDIRECT_URI,
            "refresh_token": self.initial_refresh_token,
            "access_token": self.initial_access_token,
            "tenant_id": self.tenant,
        }

    def _client(self, client_id: str) -> OAuthClient:
        client = self.clients.get(client_id)
        if client is None:
            raise KeyError(f"no OAuth client {client_id!r}")
        return client

    def _secret(self, prefix: str, kind: str) -> str:
        self._issued += 1
        digest = hashlib.sha256(f"keap-sandbox:{kind}:{self._issued}".encode()).hexdigest()
        return prefix + digest[:32]


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    scheme, _, encoded = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, separator, secret = decoded.partition(":")
    return (client_id, secret) if separator else None


def _body_credentials(form: Mapping[str, str]) -> tuple[str, str] | None:
    if "client_id" not in form and "client_secret" not in form:
        return None
    return form.get("client_id", ""), form.get("client_secret", "")
