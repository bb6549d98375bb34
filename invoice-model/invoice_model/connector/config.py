"""Config checks that fail as Airbyte config errors naming the field the user must fix."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException


def config_error(field: str, message: str) -> AirbyteTracedException:
    """An error the platform shows the user and does not retry: fix `field`, then run again."""
    return AirbyteTracedException(
        message=f"Config field '{field}': {message}",
        internal_message=f"invalid config field {field}: {message}",
        failure_type=FailureType.config_error,
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(config: Mapping[str, Any], field: str, default: str) -> str:
    """The API base URL at `field` (dotted path), without trailing slash.

    https is accepted anywhere; plain http only for loopback hosts, so that a sandbox on this
    machine works and credentials are never sent in clear text over a network.
    """
    value: Any = config
    for part in field.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    url = (value or default).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise config_error(field, f"{url!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise config_error(field, f"{url!r} must use https (plain http only for loopback hosts)")
    if parts.query or parts.fragment:
        raise config_error(field, f"{url!r} must not have a query string or fragment")
    return url
