"""Signing in to Keap: OAuth2 with rotating refresh tokens, or an API key.

With OAuth, Keap issues a new refresh token on every refresh and the old one stops working; the
authenticator writes each new token into the config and prints it as a CONNECTOR_CONFIG control
message, so the platform (or whoever runs the CLI) keeps it. An API key (Personal Access Token or
Service Account Key) is sent as `X-Keap-API-Key` and never changes.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from airbyte_cdk.sources.streams.http.requests_native_auth.abstract_token import (
    AbstractHeaderAuthenticator,
)
from requests.auth import AuthBase

from invoice_model.connector.config import config_error
from invoice_model.connector.oauth import rotating_refresh_token_authenticator

API_KEY_HEADER = "X-Keap-API-Key"
# Keap answers a spent or unknown refresh token with `invalid_request` ("Invalid Refresh Token").
REJECTED_REFRESH_ERRORS = ("invalid_grant", "invalid_request")


class ApiKeyAuthenticator(AbstractHeaderAuthenticator):
    """Sends a Personal Access Token or Service Account Key as Keap's `X-Keap-API-Key` header."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    @property
    def auth_header(self) -> str:
        return API_KEY_HEADER

    @property
    def token(self) -> str:
        return self._api_key


@dataclass(frozen=True)
class Credential:
    """The configured way of signing in, and the config field a user fixes when Keap refuses it."""

    authenticator: AuthBase
    field: str
    is_oauth: bool

    def rejected(self, detail: str) -> Exception:
        if self.is_oauth:
            advice = (
                "Keap rejected the OAuth credentials; re-authenticate the source (a refresh "
                "token works once and lasts 45 days; a new one is stored after every sync)"
            )
        else:
            advice = "Keap rejected the API key; create a new key under Settings > API Settings"
        return config_error(self.field, f"{advice}. {detail}")


def credential(config: MutableMapping[str, Any], token_url: str) -> Credential:
    """The authenticator for `config["credentials"]`; OAuth updates that mapping in place."""
    credentials = config.get("credentials")
    if not isinstance(credentials, Mapping):
        raise config_error("credentials", "choose OAuth2.0 or API key")
    auth_type = credentials.get("auth_type")
    if auth_type == "api_key":
        return Credential(
            ApiKeyAuthenticator(_required(credentials, "api_key")), "credentials.api_key", False
        )
    if auth_type in ("oauth2.0", None) and "refresh_token" in credentials:
        for name in ("client_id", "client_secret", "refresh_token"):
            _required(credentials, name)
        authenticator = rotating_refresh_token_authenticator(
            config, token_url, rejected_error_values=REJECTED_REFRESH_ERRORS
        )
        return Credential(authenticator, "credentials.refresh_token", True)
    raise config_error("credentials.auth_type", f"{auth_type!r} is not 'oauth2.0' or 'api_key'")


def _required(credentials: Mapping[str, Any], name: str) -> str:
    value = credentials.get(name)
    if not isinstance(value, str) or not value.strip():
        raise config_error(f"credentials.{name}", "is required")
    return value.strip()
