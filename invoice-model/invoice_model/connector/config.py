"""Config checks that fail as Airbyte config errors naming the field the user must fix."""

from __future__ import annotations

import ipaddress
import socket
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


# Where cloud instances serve their metadata and credentials, by name or by an address outside
# the link-local ranges (Alibaba Cloud's, AWS's IPv6 one). A connector never calls them.
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
    }
)
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")}
)
# IPv6 forms that carry an IPv4 address: IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96).
_IPV4_IN_IPV6 = (ipaddress.ip_network("::/96"), ipaddress.ip_network("64:ff9b::/96"))


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
    forbidden = forbidden_host(parts.hostname)
    if forbidden:
        raise config_error(
            field,
            f"{url!r} names {forbidden}, which a connector never calls; give the API's own "
            f"address ({default}), or leave the field out",
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise config_error(field, f"{url!r} must use https (plain http only for loopback hosts)")
    if parts.query or parts.fragment:
        raise config_error(field, f"{url!r} must not have a query string or fragment")
    return url


def forbidden_host(host: str) -> str | None:
    """Why a connector must not call `host`, or None: a cloud metadata service, a link-local
    address (where clouds serve instance metadata and credentials), an unspecified address
    (`0.0.0.0`, `::`, which reach this machine), a multicast or broadcast address, in any
    spelling an HTTP client accepts (`2852039166`, `0xa9.0xfe.0xa9.0xfe`, `::ffff:169.254.169.254`,
    `fe80::1%eth0`). Names other than the metadata services' are not resolved.
    """
    name = host.lower().rstrip(".")
    if name in METADATA_HOSTS:
        return f"{host}, a cloud metadata service"
    address = _address(name)
    if address is None:
        return None
    reasons = (_forbidden_address(candidate) for candidate in _embedded(address))
    reason = next((reason for reason in reasons if reason), None)
    return f"{host}, {reason}" if reason else None


def _forbidden_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if address in METADATA_ADDRESSES:
        return "a cloud metadata service"
    if address.is_link_local:
        return "a link-local address (cloud instances' metadata service)"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast or address == ipaddress.IPv4Address("255.255.255.255"):
        return "a multicast or broadcast address"
    return None


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name.partition("%")[0])
    except ValueError:
        pass
    try:  # the forms inet_aton (so every HTTP client) reads: 2852039166, 0xa9fea9fe, 0251.0376...
        return ipaddress.IPv4Address(socket.inet_aton(name))
    except OSError:
        return None


def _embedded(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The address, and the IPv4 address an IPv6 one carries (mapped, compatible, NAT64, 6to4,
    Teredo), which is where packets to it end up.
    """
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            found.append(address.ipv4_mapped)
        if address.sixtofour:
            found.append(address.sixtofour)
        if address.teredo:
            found.append(address.teredo[1])
        if any(address in network for network in _IPV4_IN_IPV6):
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found
