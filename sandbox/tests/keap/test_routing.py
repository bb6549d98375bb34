"""Keap matches paths exactly as its spec spells them (`/businessProfile`, `/orders/model`): every
operation of Keap's official spec, called as written, reaches a route of the emulator or Keap's
404 after authentication, and another spelling of a path is a path Keap does not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keap_xero_sandbox import Sandbox

UNROUTED = "/crm/rest/<path:unknown>"

# Operations the connectors use, as the spec spells them; each must reach a route of its own.
USED = {
    ("GET", "/crm/rest/v2/orders"),
    ("POST", "/crm/rest/v2/orders"),
    ("GET", "/crm/rest/v2/orders/{order_id}"),
    ("GET", "/crm/rest/v2/orders/{order_id}/payments"),
    ("POST", "/crm/rest/v2/orders/{order_id}/payments"),
    ("GET", "/crm/rest/v2/orders/model"),
    ("GET", "/crm/rest/v2/sales/payments"),
    ("GET", "/crm/rest/v2/contacts"),
    ("POST", "/crm/rest/v2/contacts"),
    ("GET", "/crm/rest/v2/products"),
    ("GET", "/crm/rest/v2/businessProfile"),
    ("GET", "/crm/rest/v2/oauth/connect/userinfo"),
}


def bearer(credentials: Mapping[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials['access_token']}"}


def test_every_operation_of_the_spec_is_routed_as_spelled(
    keap_sandbox: Sandbox, credentials, spec_routing
):
    keap_sandbox.keap.limits.enabled = False  # hundreds of calls in a row; reset turns it back on
    reached, routes_hit = set(), set()
    for method, path in spec_routing.conformance.operations("keap-v2-openapi.yml"):
        status, endpoint = spec_routing.route("keap", method, path, bearer(credentials), "1")
        if endpoint == UNROUTED:
            assert status == 404, (method, path, status)
            continue
        reached.add((method, path))
        routes_hit.add((method, endpoint))
    assert routes_hit == spec_routing.emulator_routes("keap")
    assert reached >= USED


def test_another_spelling_of_a_path_is_not_found(keap_sandbox: Sandbox, credentials, spec_routing):
    keap_sandbox.keap.limits.enabled = False
    base = "/crm/rest/v2/"
    for method, path in sorted(USED):
        rest = path.removeprefix(base)
        for spelled in (rest.upper(), rest.swapcase(), rest.capitalize()):
            if spelled == rest:
                continue
            answer = spec_routing.route("keap", method, base + spelled, bearer(credentials), "1")
            assert answer == (404, UNROUTED), (method, spelled)
