"""Signing in to Keap: OAuth2 with rotating refresh tokens, or an API key.

With OAuth, Keap issues a new refresh token on every refresh and the old one stops working; the
authenticator writes each new token into the config and prints it as a CONNECTOR_CONFIG control
message, so the platform (or whoever runs the CLI) keeps it. An API key (Personal Access Token or
Service Account Key) is sent as `X-Keap-API-Key` and never changes.

Keap's token endpoint answers a refresh with a wrong client secret exactly as it answers a spent
or unknown refresh token: 400 `invalid_request`, "Invalid Refresh Token". Its answer to an
authorization-code exchange does tell them apart: wrong client credentials get 401 "Unable to
authenticate username and password" before the code is even looked at, good ones a 400 about the
code. So when a refresh is refused, the authenticator asks once more with the client
credentials and a code that cannot exist (nothing is issued or spent), and the config error
names the field that is wrong: `credentials.client_secret` or `credentials.refresh_token`. Any
refusal (a 4xx) is read so, whatever its body says, or if it is not JSON at all (a gateway's or a
proxy's page): the error quotes the status and the start of what the endpoint said.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.requests_native_auth.abstract_token import (
    AbstractHeaderAuthenticator,
)
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets, filter_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from requests.auth import AuthBase

from invoice_model.connector.config import config_error
from invoice_model.connector.network import Network, cause
from invoice_model.connector.oauth import (
    RotatingRefreshTokenAuthenticator,
    basic_auth_header,
    rotating_refresh_token_authenticator,
)

API_KEY_HEADER = "X-Keap-API-Key"
# Keap answers a spent or unknown refresh token with `invalid_request` ("Invalid Refresh Token").
REJECTED_REFRESH_ERRORS = ("invalid_grant", "invalid_request")
# The exchange that tells whether Keap accepts the client credentials (see the module docstring).
CREDENTIAL_PROBE = {
    "grant_type": "authorization_code",
    "code": "keap-connector-credential-check",
    "redirect_uri": "https://localhost/keap-connector-credential-check",
}

# How much of what the token endpoint said a refusal quotes.
SAID_LENGTH = 200

logger = logging.getLogger("airbyte")


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


class KeapOAuth2Authenticator(RotatingRefreshTokenAuthenticator):
    """The kit's rotating-token authenticator; a refused refresh names the field to fix."""

    connector = "connector"  # the word the refusal uses: "re-authenticate the <connector>"

    def _token_answer(self, response: requests.Response) -> Any:
        """Any refusal of a refresh (a 4xx: 429 and 5xx are retried before) is a config error
        naming the field and what Keap said, whatever its body: Keap answers a spent refresh
        token with 400 `invalid_request`, but a refusal may carry another error, or a body
        that is not JSON at all (a gateway's or a proxy's page)."""
        if response.ok or response.status_code >= 500:
            return super()._token_answer(response)
        raise self._refusal(_token_endpoint_said(response))

    def _refusal(self, said: str) -> AirbyteTracedException:
        """The refused refresh as a config error naming the wrong field (module docstring)."""
        verdict = self._client_accepted()
        if verdict is False:
            return config_error(
                "credentials.client_secret",
                "Keap does not accept this client ID and secret (its token endpoint refused "
                "them). Copy the key and the secret of your app from the Keap developer portal "
                "(keys.developer.keap.com), then run again with the same refresh token. Keap's "
                f"token endpoint answered the refresh with {said}",
            )
        tried = " (it accepts the app's client ID and secret)" if verdict else ""
        return config_error(
            "credentials.refresh_token",
            f"Keap rejected the refresh token{tried}: a refresh token works once and lasts "
            f"45 days, and a new one is stored after every sync; re-authenticate the "
            f"{self.connector} to get a new one. Keap's token endpoint answered {said}",
        )

    def _client_accepted(self) -> bool | None:
        """Whether Keap's token endpoint accepts the client credentials; None when its answer
        does not say (unreachable, throttled, failing)."""
        try:
            answer = requests.post(
                self.get_token_refresh_endpoint(),
                data=CREDENTIAL_PROBE,
                headers={
                    "Authorization": basic_auth_header(
                        self.get_client_id(), self.get_client_secret()
                    ),
                    "Accept": "application/json",
                },
                timeout=self.network.timeouts,
            )
        except requests.RequestException as error:
            logger.info(
                "Could not ask Keap whether it accepts the client credentials: %s",
                cause(error, self.network.timeouts),
            )
            return None
        if answer.status_code == 401:
            return False
        if 400 <= answer.status_code < 500 and answer.status_code != 429:
            return True
        return None


@dataclass(frozen=True)
class Credential:
    """The configured way of signing in, and the config field a user fixes when Keap refuses it."""

    authenticator: AuthBase
    field: str
    is_oauth: bool
    network: Network  # the run's calls that got no answer, token refreshes included
    connector: str = "source"

    def rejected(self, detail: str) -> Exception:
        if self.is_oauth:
            advice = (
                f"Keap rejected the OAuth credentials; re-authenticate the {self.connector} (a "
                "refresh token works once and lasts 45 days; a new one is stored after every "
                "sync)"
            )
        else:
            advice = "Keap rejected the API key; create a new key under Settings > API Settings"
        return config_error(self.field, f"{advice}. {detail}")


@contextmanager
def credential_errors(credential: Credential) -> Iterator[None]:
    """Keap (or its token endpoint) refusing the credential, reported as a config error naming
    its field. A config error that already names its field (a 403: the credential is good, its
    user lacks access; a refused client secret) passes as it is."""
    try:
        yield
    except AirbyteTracedException as error:
        message = error.message or ""
        if error.failure_type != FailureType.config_error or message.startswith("Config field "):
            raise
        raise credential.rejected(message) from error


def credential(
    config: MutableMapping[str, Any],
    token_url: str,
    connector: str = "source",
    *,
    checking: bool = False,
) -> Credential:
    """The authenticator for `config["credentials"]`; OAuth updates that mapping in place.
    `connector` ("source", "destination") is how refusals name what to re-authenticate;
    `checking`: for a run of `check` (`network`)."""
    network = Network("Keap", checking=checking)
    credentials = config.get("credentials")
    if not isinstance(credentials, Mapping):
        raise config_error("credentials", "choose OAuth2.0 or API key")
    auth_type = credentials.get("auth_type")
    if auth_type == "api_key":
        api_key = _required(credentials, "api_key")
        add_to_secrets(api_key)
        return Credential(
            ApiKeyAuthenticator(api_key), "credentials.api_key", False, network, connector
        )
    if auth_type in ("oauth2.0", None) and "refresh_token" in credentials:
        for name in ("client_id", "client_secret", "refresh_token"):
            add_to_secrets(_required(credentials, name))
        authenticator = cast(
            KeapOAuth2Authenticator,
            rotating_refresh_token_authenticator(
                config,
                token_url,
                network,
                rejected_error_values=REJECTED_REFRESH_ERRORS,
                authenticator=KeapOAuth2Authenticator,
            ),
        )
        authenticator.connector = connector
        return Credential(authenticator, "credentials.refresh_token", True, network, connector)
    raise config_error("credentials.auth_type", f"{auth_type!r} is not 'oauth2.0' or 'api_key'")


def _token_endpoint_said(response: requests.Response) -> str:
    """What Keap's token endpoint answered a refused refresh, for the user to read: the status
    and its words (OAuth's `error` and `error_description`, else the start of its page, tags and
    runs of white space dropped), never a secret the run knows."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping) and (body.get("error") or body.get("error_description")):
        words = ": ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))
    elif body is not None:
        words = json.dumps(body)
    else:
        words = " ".join(re.sub(r"<[^>]*>", " ", response.text or "").split())
    words = words[:SAID_LENGTH] + ("…" if len(words) > SAID_LENGTH else "")
    status = response.status_code
    return filter_secrets(f"{status}: {words}" if words else f"{status}, with no message")


def _required(credentials: Mapping[str, Any], name: str) -> str:
    value = credentials.get(name)
    if not isinstance(value, str) or not value.strip():
        raise config_error(f"credentials.{name}", "is required")
    return value.strip()
