"""Reaching one Xero organisation: the credentials, the tenant and the base URLs of a config, the
authenticator that signs in with them, and the checks that turn Xero's refusals into config
errors naming the field to fix.

Two ways to sign in, both the CDK's authenticators:

- an **OAuth2 app** (`oauth2_app`): client ID and secret, a refresh token and the organisation's
  tenant ID. Xero rotates the refresh token on every refresh; the authenticator writes each new
  one into the config and prints it as a CONNECTOR_CONFIG control message, so the platform keeps
  it (`invoice_model.connector.oauth`);
- a **Custom Connection** (`custom_connection`): client ID and secret only, the client
  credentials grant; bound to one organisation, so no tenant and no refresh token.

Scopes (plus `offline_access` for an OAuth2 app: it is what grants a refresh token):

- source-xero reads: `accounting.invoices.read accounting.payments.read accounting.contacts.read
  accounting.settings.read`; apps created before March 2026, which have the broad scopes:
  `accounting.transactions.read accounting.contacts.read accounting.settings.read`;
- destination-xero writes: `accounting.invoices accounting.payments accounting.contacts
  accounting.settings.read`; older apps: `accounting.transactions accounting.contacts
  accounting.settings.read`.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.sources.streams.http.requests_native_auth.abstract_oauth import (
    AbstractOauth2Authenticator,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model.connector.config import base_url, config_error
from invoice_model.connector.network import Network
from invoice_model.connector.oauth import (
    ClientCredentialsAuthenticator,
    basic_auth_header,
    rotating_refresh_token_authenticator,
)

DEFAULT_API_BASE_URL = "https://api.xero.com"
DEFAULT_IDENTITY_BASE_URL = "https://identity.xero.com"
API_PATH = "/api.xro/2.0"
CONNECTIONS_PATH = "/connections"
TOKEN_PATH = "/connect/token"  # noqa: S105 (a URL path, not a secret)
TENANT_HEADER = "xero-tenant-id"

OAUTH2_APP = "oauth2_app"
CUSTOM_CONNECTION = "custom_connection"

READ_SCOPES = (
    "accounting.invoices.read accounting.payments.read accounting.contacts.read "
    "accounting.settings.read (apps created before March 2026: accounting.transactions.read "
    "accounting.contacts.read accounting.settings.read)"
)
WRITE_SCOPES = (
    "accounting.invoices, accounting.payments, accounting.contacts and accounting.settings.read "
    "(or accounting.transactions)"
)

# What Xero's token endpoint says about credentials it will never accept (RFC 6749 §5.2).
_REJECTIONS = ("invalid_grant", "invalid_client", "unauthorized_client")


@dataclass(frozen=True)
class XeroAccess:
    """How to reach one organisation, read from a config (see `read_access`)."""

    config: MutableMapping[str, Any]  # kept whole: rotated tokens are written back into it
    auth_type: str
    tenant_id: str | None
    api_url: str
    connections_url: str
    token_url: str

    @property
    def tenant_field(self) -> str | None:
        """The config field naming the organisation, when the config names one."""
        return "credentials.tenant_id" if self.tenant_id else None

    @property
    def credential_field(self) -> str:
        """The config field to fix when Xero refuses to sign in."""
        if self.auth_type == OAUTH2_APP:
            return "credentials.refresh_token"
        return "credentials.client_secret"

    def authenticator(self, network: Network) -> AbstractOauth2Authenticator:
        """The sign-in of the config; its token refreshes count against `network`."""
        if self.auth_type == OAUTH2_APP:
            return rotating_refresh_token_authenticator(
                self.config, self.token_url, network, rejected_error_values=_REJECTIONS
            )
        credentials = self.config["credentials"]
        signed_in = ClientCredentialsAuthenticator(
            token_refresh_endpoint=self.token_url,
            client_id=credentials["client_id"],
            client_secret=credentials["client_secret"],
            refresh_token=None,  # type: ignore[arg-type]  # none in this grant; requests drops it
            grant_type="client_credentials",
            refresh_request_headers={
                "Authorization": basic_auth_header(
                    credentials["client_id"], credentials["client_secret"]
                ),
                "Accept": "application/json",
            },
            refresh_token_error_status_codes=(400, 401),
            refresh_token_error_key="error",  # noqa: S106 (a JSON key, not a secret)
            refresh_token_error_values=_REJECTIONS,
        )
        signed_in.network = network
        return signed_in

    def sign_in(self, auth: AbstractOauth2Authenticator) -> None:
        """Get an access token now, so that bad credentials fail as a config error naming the
        field rather than on the first real call.
        """
        try:
            auth.get_access_token()
        except AirbyteTracedException as error:
            if error.failure_type != FailureType.config_error:
                raise
            raise self.rejected() from error
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else None
            if status is not None and 400 <= status < 500 and status != 429:
                raise self.rejected() from error
            raise

    def rejected(self) -> AirbyteTracedException:
        """Xero refused the credentials: what to do about it, under the field to fix."""
        if self.auth_type == OAUTH2_APP:
            advice = (
                "Xero rejected the client credentials or the refresh token (expired after 60 "
                "days unused, revoked, or already used): authorise the app again and paste the "
                "new refresh token"
            )
        else:
            advice = "Xero rejected the Custom Connection's client ID and secret"
        return config_error(self.credential_field, advice)

    def verify_tenant(self, http: HttpClient, network: Network) -> None:
        """For an OAuth2 app: the organisation the config names is one the app is connected to
        (Xero's identity `GET /connections`); a config error listing those it is connected to
        otherwise. A Custom Connection has no tenant to check.
        """
        if not self.tenant_id:
            return
        tenants = self._connections(http, network)
        if self.tenant_id.lower() not in {str(t.get("tenantId")).lower() for t in tenants}:
            names = ", ".join(f"{t.get('tenantName')} ({t.get('tenantId')})" for t in tenants)
            raise config_error(
                "credentials.tenant_id",
                f"the app is not connected to organisation {self.tenant_id}; "
                f"it is connected to: {names or 'none'}",
            )

    def _connections(self, http: HttpClient, network: Network) -> list[dict[str, Any]]:
        """The organisations the token may reach (Xero's identity `GET /connections`)."""
        _, response = http.send_request(
            "GET", self.connections_url, request_kwargs={"timeout": network.timeouts}
        )
        if response.status_code == 401:  # refused again after a refresh
            raise self.rejected()
        answer = response.json() if response.ok else None
        if not isinstance(answer, list):
            raise AirbyteTracedException(
                message=f"Xero's connections endpoint answered {response.status_code}",
                failure_type=FailureType.system_error,
            )
        return answer


def read_access(config: MutableMapping[str, Any]) -> XeroAccess:
    """The credentials, tenant and base URLs of `config`; a config error naming the field for
    each mistake, before any call to Xero.
    """
    credentials = config.get("credentials")
    if not isinstance(credentials, Mapping):
        raise config_error(
            "credentials", "is required" if credentials is None else "must be an object"
        )
    auth_type = credentials.get("auth_type")
    if auth_type not in (OAUTH2_APP, CUSTOM_CONNECTION):
        raise config_error(
            "credentials.auth_type", f"must be {OAUTH2_APP!r} or {CUSTOM_CONNECTION!r}"
        )
    required = ["client_id", "client_secret"]
    if auth_type == OAUTH2_APP:
        required += ["refresh_token", "tenant_id"]
    for name in required:
        value = credentials.get(name)
        if not isinstance(value, str) or not value.strip():
            raise config_error(f"credentials.{name}", "is required")
    api_base = base_url(config, "advanced.api_base_url", DEFAULT_API_BASE_URL)
    identity_base = base_url(config, "advanced.identity_base_url", DEFAULT_IDENTITY_BASE_URL)
    return XeroAccess(
        config=config,
        auth_type=auth_type,
        tenant_id=credentials["tenant_id"].strip() if auth_type == OAUTH2_APP else None,
        api_url=api_base + API_PATH,
        connections_url=api_base + CONNECTIONS_PATH,
        token_url=identity_base + TOKEN_PATH,
    )
