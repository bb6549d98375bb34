"""OAuth2 with single-use refresh tokens (Xero and Keap both rotate them on every refresh).

The CDK's `SingleUseRefreshTokenOauth2Authenticator` writes each rotated refresh token back into
the config and prints it as a CONNECTOR_CONFIG control message, so the platform persists it; this
module adds what both vendors share: client credentials in a Basic `Authorization` header, a
rejected refresh token reported as a config error that says what to do, and a refresh that
cannot hang or retry for minutes (`BoundedRefresh`).
"""

from __future__ import annotations

import base64
import logging
import time
import weakref
from collections.abc import MutableMapping
from typing import Any

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.requests_native_auth import (
    Oauth2Authenticator,
    SingleUseRefreshTokenOauth2Authenticator,
)
from airbyte_cdk.sources.streams.http.requests_native_auth.abstract_oauth import (
    AbstractOauth2Authenticator,
)
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model.connector.http import retry_after_seconds
from invoice_model.connector.network import Network

# Tries of a refresh the token endpoint answers with 429 or 5xx, waiting 1, 2, 4, 8 s between
# them (or as Retry-After says, up to a minute).
REFRESH_TRIES = 5
MAX_REFRESH_WAIT = 60.0

logger = logging.getLogger("airbyte")


def basic_auth_header(client_id: str, client_secret: str) -> str:
    token = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
    return f"Basic {token}"


class BoundedRefresh(AbstractOauth2Authenticator):
    """The CDK's token refresh with a timeout, and retries bounded as every other call's are.

    The CDK sends the refresh without a timeout and retries a failed connection for five
    minutes, before any call of the connector's own (and outside their retries: the first
    refresh happens as the first request is prepared). Here a refresh that gets no answer is
    retried while the run's `network` allows (never during `check`) and then ends the run with
    the token endpoint's host and the cause; 429 and 5xx are retried `REFRESH_TRIES` times.
    The answer is read as the CDK reads it: a rejected refresh token is a config error.
    """

    network: Network  # set by the factory that builds the authenticator

    def _make_handled_request(self) -> Any:
        what = f"{self.network.system}'s token endpoint"
        attempt = 0
        while True:
            attempt += 1
            try:
                response = requests.request(
                    "POST",
                    self.get_token_refresh_endpoint() or "",
                    data=self.build_refresh_request_body(),
                    headers=self.build_refresh_request_headers(),
                    params=self.build_refresh_request_query_params(),
                    timeout=self.network.timeouts,
                )
            except requests.RequestException as error:
                said = self.network.failed(error, what)  # raises once the network is given up
                _wait(f"{said}; retrying", _growing(attempt))
                continue
            self.network.answered()
            if response.status_code == 429 or response.status_code >= 500:
                if attempt < REFRESH_TRIES:
                    told = retry_after_seconds(response)
                    wait = _growing(attempt) if told is None else min(MAX_REFRESH_WAIT, told)
                    _wait(f"{what} answered {response.status_code}; retrying", wait)
                    continue
                raise AirbyteTracedException(
                    message=(
                        f"{what} answered {response.status_code} {REFRESH_TRIES} times in a row; "
                        "the next sync resumes from the last saved state."
                    ),
                    failure_type=FailureType.transient_error,
                )
            return self._token_answer(response)

    def _token_answer(self, response: requests.Response) -> Any:
        """The token endpoint's answer as the CDK reads it (`_make_handled_request`)."""
        self._log_response(response)
        if not response.ok:
            error = requests.HTTPError(
                f"the token endpoint answered {response.status_code}", response=response
            )
            content = self._parse_error_response_content(response)
            if self._wrap_refresh_token_exception(error, response_content=content):
                detail = self._build_provider_error_detail(content)
                raise AirbyteTracedException(
                    message="The refresh token was rejected (invalid, expired or already used): "
                    "re-authenticate." + (f" Provider error: {detail}" if detail else ""),
                    internal_message=f"Refresh token rejected: HTTP {response.status_code}",
                    failure_type=FailureType.config_error,
                )
            raise error
        answer = response.json()
        token = answer.get(self.get_access_token_name()) if isinstance(answer, dict) else None
        if isinstance(token, str) and token:
            add_to_secrets(token)
        return answer


class RotatingRefreshTokenAuthenticator(BoundedRefresh, SingleUseRefreshTokenOauth2Authenticator):
    """The CDK's authenticator for single-use refresh tokens, its refresh bounded."""


class ClientCredentialsAuthenticator(BoundedRefresh, Oauth2Authenticator):
    """The CDK's OAuth2 authenticator (for the client credentials grant), its refresh bounded."""


class RefreshOnce:
    """Which requests an API refused with 401 have had their token refreshed and been sent
    again: one refresh per request, then the refusal is the credential's. The CDK stops a second
    refresh itself, but its error and log carry the URL as sent."""

    def __init__(self) -> None:
        self._refreshed: weakref.WeakSet[requests.PreparedRequest] = weakref.WeakSet()

    def first_refusal(self, response: requests.Response) -> bool:
        """Whether this is the first 401 for its request (which is then refreshed and retried)."""
        request = response.request
        if request is None or request in self._refreshed:
            return False
        self._refreshed.add(request)
        return True


def _growing(attempt: int) -> float:
    return float(min(2 ** (attempt - 1), 8))


def _wait(said: str, seconds: float) -> None:
    logger.info("%s in %.0f s", said, seconds)
    time.sleep(seconds)


def rotating_refresh_token_authenticator(
    config: MutableMapping[str, Any],
    token_url: str,
    network: Network,
    *,
    credentials_path: str = "credentials",
    rejected_error_values: tuple[str, ...] = ("invalid_grant",),
    authenticator: type[RotatingRefreshTokenAuthenticator] = RotatingRefreshTokenAuthenticator,
) -> RotatingRefreshTokenAuthenticator:
    """An authenticator reading `client_id`, `client_secret`, `refresh_token`, `access_token` and
    `token_expiry_date` under `config[credentials_path]`, and updating them in place;
    `authenticator` is the kit's class, or a vendor's subclass of it. Its refreshes count
    against `network`.
    """
    credentials = config[credentials_path]
    credentials.setdefault("access_token", "")
    credentials.setdefault("token_expiry_date", "")
    signed_in = authenticator(
        connector_config=config,
        token_refresh_endpoint=token_url,
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
        refresh_request_headers={
            "Authorization": basic_auth_header(
                credentials["client_id"], credentials["client_secret"]
            ),
            "Accept": "application/json",
        },
        access_token_config_path=(credentials_path, "access_token"),
        refresh_token_config_path=(credentials_path, "refresh_token"),
        token_expiry_date_config_path=(credentials_path, "token_expiry_date"),
        refresh_token_error_status_codes=(400, 401),
        refresh_token_error_key="error",  # noqa: S106 (a JSON key, not a secret)
        refresh_token_error_values=rejected_error_values,
    )
    signed_in.network = network
    return signed_in
