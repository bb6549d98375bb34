"""OAuth2 with single-use refresh tokens (Xero and Keap both rotate them on every refresh).

The CDK's `SingleUseRefreshTokenOauth2Authenticator` writes each rotated refresh token back into
the config and prints it as a CONNECTOR_CONFIG control message, so the platform persists it; this
module only adds what both vendors share: client credentials in a Basic `Authorization` header,
and a rejected refresh token reported as a config error that says what to do.
"""

from __future__ import annotations

import base64
from collections.abc import MutableMapping
from typing import Any

from airbyte_cdk.sources.streams.http.requests_native_auth import (
    SingleUseRefreshTokenOauth2Authenticator,
)


def basic_auth_header(client_id: str, client_secret: str) -> str:
    token = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
    return f"Basic {token}"


def rotating_refresh_token_authenticator(
    config: MutableMapping[str, Any],
    token_url: str,
    *,
    credentials_path: str = "credentials",
    rejected_error_values: tuple[str, ...] = ("invalid_grant",),
    authenticator: type[SingleUseRefreshTokenOauth2Authenticator] = (
        SingleUseRefreshTokenOauth2Authenticator
    ),
) -> SingleUseRefreshTokenOauth2Authenticator:
    """An authenticator reading `client_id`, `client_secret`, `refresh_token`, `access_token` and
    `token_expiry_date` under `config[credentials_path]`, and updating them in place;
    `authenticator` is the CDK's class, or a vendor's subclass of it.
    """
    credentials = config[credentials_path]
    credentials.setdefault("access_token", "")
    credentials.setdefault("token_expiry_date", "")
    return authenticator(
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
