"""Xero routes paths without regard to case (ASP.NET): every operation of Xero's official specs,
called exactly as the spec spells its path, reaches the endpoint the emulator serves for it (or
Xero's 404 when the emulator does not serve it), and so does any other spelling of the path.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from keap_xero_sandbox import Sandbox

ID = "3f9c7a42-6c4e-4a4f-9d55-0c1d2b3e4f50"
SPECS = ("xero-identity.yaml", "xero_accounting.yaml")
UNROUTED = "/api.xro/2.0/<path:unknown>"

# Operations the connectors use, as the specs spell them; each must reach a route of its own.
USED = {
    ("GET", "/Connections"),
    ("GET", "/api.xro/2.0/Organisation"),
    ("GET", "/api.xro/2.0/Accounts"),
    ("GET", "/api.xro/2.0/TaxRates"),
    ("GET", "/api.xro/2.0/Items"),
    ("GET", "/api.xro/2.0/Contacts"),
    ("POST", "/api.xro/2.0/Contacts"),
    ("GET", "/api.xro/2.0/Invoices"),
    ("PUT", "/api.xro/2.0/Invoices"),
    ("POST", "/api.xro/2.0/Invoices"),
    ("GET", "/api.xro/2.0/Payments"),
    ("PUT", "/api.xro/2.0/Payments"),
    ("POST", "/api.xro/2.0/Payments/{PaymentID}"),
}


@pytest.fixture
def unlimited(conformance: Sandbox) -> Iterator[Sandbox]:
    """Hundreds of calls in a row: no rate limit in the way."""
    conformance.xero.limits.enabled = False
    yield conformance
    conformance.xero.limits.enabled = True


def test_every_operation_of_the_specs_is_routed_as_spelled(unlimited: Sandbox, xero, spec_routing):
    """Each operation, its path exactly as the spec has it, reaches a route or Xero's 404; each
    route of the emulator is reached by some operation (so none is spelled or placed off-spec);
    those the connectors use each reach one."""
    reached, routes_hit = set(), set()
    for spec in SPECS:
        for method, path in spec_routing.conformance.operations(spec):
            status, endpoint = spec_routing.route("xero", method, path, xero.headers(), ID)
            if endpoint == UNROUTED:
                assert status == 404, (method, path, status)
                continue
            reached.add((method, path))
            routes_hit.add((method, endpoint))
    assert routes_hit == spec_routing.emulator_routes("xero")
    assert reached >= USED
    assert ("GET", "/api.xro/2.0/CreditNotes") not in reached


def test_any_spelling_of_a_path_reaches_the_same_route(unlimited: Sandbox, xero, spec_routing):
    for method, path in sorted(USED):
        _, endpoint = spec_routing.route("xero", method, path, xero.headers(), ID)
        for spelled in (path.lower(), path.upper(), path.swapcase()):
            respelled = spec_routing.route("xero", method, spelled, xero.headers(), ID)
            assert respelled[1] == endpoint, (method, spelled)


def test_connections_answer_under_both_spellings(xero):
    docs, spec = (
        xero.session.get(f"{xero.url}{path}", headers=xero.headers(), timeout=30)
        for path in ("/connections", "/Connections")
    )
    assert docs.status_code == spec.status_code == 200
    assert docs.json() == spec.json() != []


def test_values_in_a_path_keep_their_case(xero):
    contact = xero.new_contact(ContactNumber="Keap-311")
    found = xero.get("/contacts/Keap-311")
    assert xero.only(found, "Contacts")["ContactID"] == contact["ContactID"]
    assert xero.get("/CONTACTS/keap-311").status_code == 200
    assert xero.sandbox.stats.calls("xero")[-1].path == "/api.xro/2.0/Contacts/keap-311"


def test_case_does_not_matter_to_faults_and_statistics(sandbox: Sandbox, xero):
    sandbox.faults.add(api="xero", path="/api.xro/2.0/Invoices", status=503)
    assert xero.get("/invoices").status_code == 503
    assert xero.get("/INVOICES").status_code == 200
    assert sandbox.stats.count("xero", method="GET", endpoint="/api.xro/2.0/Invoices") == 2


def test_the_token_endpoint_ignores_case_too(sandbox: Sandbox):
    app = sandbox.xero.credentials()["custom_connection"]
    answer = requests.post(
        f"{sandbox.url}/Connect/Token",
        data={"grant_type": "client_credentials"},
        auth=(app["client_id"], app["client_secret"]),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
