"""Signing in to Xero: an OAuth2 app with rotating refresh tokens, or a Custom Connection.

Both are the CDK's authenticators. An OAuth2 app's refresh token is single-use: each refresh
writes the new one into the config and prints it as a CONNECTOR_CONFIG control message (the
project's `rotating_refresh_token_authenticator`). A Custom Connection asks for a token with
the client credentials grant whenever it needs one and never has a refresh token.
"""

from __future__ import annotations

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.requests_native_auth import Oauth2Authenticator
from airbyte_cdk.sources.streams.http.requests_native_auth.abstract_oauth import (
    AbstractOauth2Authenticator,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_xero.config import OAUTH2_APP, Settings
from invoice_model.connector.config import config_error
from invoice_model.connector.oauth import basic_auth_header, rotating_refresh_token_authenticator

# What Xero's token endpoint says about credentials it will never accept (RFC 6749 §5.2).
_REJECTIONS = ("invalid_grant", "invalid_client", "unauthorized_client")


def authenticator(settings: Settings) -> AbstractOauth2Authenticator:
    if settings.auth_type == OAUTH2_APP:
        return rotating_refresh_token_authenticator(
            settings.config, settings.token_url, rejected_error_values=_REJECTIONS
        )
    credentials = settings.config["credentials"]
    return Oauth2Authenticator(
        token_refresh_endpoint=settings.token_url,
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


def sign_in(settings: Settings, auth: AbstractOauth2Authenticator) -> None:
    """Get an access token now, so that bad credentials fail as a config error naming the field
    rather than on the first write.
    """
    field = (
        "credentials.refresh_token"
        if settings.auth_type == OAUTH2_APP
        else "credentials.client_secret"
    )
    try:
        auth.get_access_token()
    except AirbyteTracedException as error:
        if error.failure_type != FailureType.config_error:
            raise
        raise _rejected(settings, field) from error
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else None
        if status is not None and 400 <= status < 500 and status != 429:
            raise _rejected(settings, field) from error
        raise


def _rejected(settings: Settings, field: str) -> AirbyteTracedException:
    if settings.auth_type == OAUTH2_APP:
        advice = (
            "Xero rejected the client credentials or the refresh token (expired after 60 days "
            "unused, revoked, or already used): authorise the app again and paste the new "
            "refresh token"
        )
    else:
        advice = "Xero rejected the Custom Connection's client ID and secret"
    return config_error(field, advice)
