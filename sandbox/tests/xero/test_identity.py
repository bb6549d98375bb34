"""Xero's identity service: token grants, rotation with a grace period, expiry, connections and
which organisations a token may reach.
"""

from __future__ import annotations

import base64
import json

import requests

from keap_xero_sandbox import Sandbox

API = "/api.xro/2.0"


def custom(sandbox: Sandbox) -> tuple[str, str]:
    connection = sandbox.xero.credentials()["custom_connection"]
    return connection["client_id"], connection["client_secret"]


def oauth(sandbox: Sandbox) -> tuple[str, str, str]:
    app = sandbox.xero.credentials()["oauth_app"]
    return app["client_id"], app["client_secret"], app["refresh_token"]


def refresh(token_request, sandbox: Sandbox, refresh_token: str) -> requests.Response:
    client_id, secret, _ = oauth(sandbox)
    return token_request(
        {"grant_type": "refresh_token", "refresh_token": refresh_token}, auth=(client_id, secret)
    )


def get(sandbox: Sandbox, path: str, token: str, tenant: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if tenant:
        headers["xero-tenant-id"] = tenant
    return requests.get(f"{sandbox.url}{path}", headers=headers, timeout=30)


def test_client_credentials_give_a_30_minute_bearer_token_without_refresh_token(
    sandbox, token_request
):
    answer = token_request({"grant_type": "client_credentials"}, auth=custom(sandbox))
    assert answer.status_code == 200
    token = answer.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 1800
    assert "refresh_token" not in token
    claims = json.loads(base64.urlsafe_b64decode(token["access_token"].split(".")[1] + "=="))
    assert claims["client_id"] == custom(sandbox)[0]
    assert claims["exp"] - claims["nbf"] == 1800


def test_client_credentials_may_be_sent_in_the_form_too(sandbox, token_request):
    client_id, secret = custom(sandbox)
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    assert token_request(form).status_code == 200


def test_a_custom_connection_needs_no_tenant_header_and_reaches_only_its_organisation(
    sandbox, token_request
):
    token = token_request({"grant_type": "client_credentials"}, auth=custom(sandbox)).json()
    access = token["access_token"]
    organisation = get(sandbox, f"{API}/Organisation", access)
    assert organisation.status_code == 200
    assert organisation.json()["Organisations"][0]["Name"] == "Demo Company (US)"
    second = sandbox.xero.credentials()["oauth_app"]["tenant_ids"][1]
    refused = get(sandbox, f"{API}/Organisation", access, tenant=second)
    assert refused.status_code == 403
    assert refused.json()["Title"] == "Forbidden"


def test_wrong_client_secret_is_invalid_client(sandbox, token_request):
    client_id, _ = custom(sandbox)
    answer = token_request({"grant_type": "client_credentials"}, auth=(client_id, "wrong"))
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_client"}


def test_an_oauth_app_cannot_use_client_credentials_nor_a_custom_connection_refresh(
    sandbox, token_request
):
    client_id, secret, refresh_token = oauth(sandbox)
    refused = token_request({"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert refused.json() == {"error": "unauthorized_client"}
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    assert token_request(form, auth=custom(sandbox)).json() == {"error": "unauthorized_client"}


def test_unknown_grant_type_is_refused(sandbox, token_request):
    answer = token_request({"grant_type": "password"}, auth=custom(sandbox))
    assert answer.status_code == 400
    assert answer.json() == {"error": "unsupported_grant_type"}


def test_refresh_tokens_rotate_and_the_old_one_has_a_30_minute_grace(sandbox, token_request):
    _, _, first = oauth(sandbox)
    answer = refresh(token_request, sandbox, first)
    assert answer.status_code == 200
    second = answer.json()["refresh_token"]
    assert second != first
    sandbox.clock.advance(29 * 60)
    retried = refresh(token_request, sandbox, first)  # the answer was lost: retry within grace
    assert retried.status_code == 200
    sandbox.clock.advance(2 * 60)
    expired = refresh(token_request, sandbox, first)
    assert expired.status_code == 400
    assert expired.json() == {"error": "invalid_grant"}
    newest = refresh(token_request, sandbox, second)
    assert newest.status_code == 200


def test_an_unknown_refresh_token_is_invalid_grant(sandbox, token_request):
    answer = refresh(token_request, sandbox, "not-a-token")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_refresh_token_unused_for_60_days_expires(sandbox, token_request):
    _, _, first = oauth(sandbox)
    sandbox.clock.advance(60 * 24 * 3600 + 1)
    assert refresh(token_request, sandbox, first).json() == {"error": "invalid_grant"}


def test_access_tokens_expire_after_30_minutes_with_xeros_problem_body(sandbox, token_request):
    token = refresh(token_request, sandbox, oauth(sandbox)[2]).json()["access_token"]
    tenant = sandbox.xero.credentials()["oauth_app"]["tenant_ids"][0]
    assert get(sandbox, f"{API}/Organisation", token, tenant).status_code == 200
    sandbox.clock.advance(30 * 60)
    expired = get(sandbox, f"{API}/Organisation", token, tenant)
    assert expired.status_code == 401
    body = expired.json()
    assert body["Title"] == "Unauthorized"
    assert body["Status"] == 401
    assert body["Detail"].startswith("TokenExpired: token expired at ")


def test_calls_without_or_with_a_bad_bearer_token_are_401(sandbox):
    plain = requests.get(f"{sandbox.url}{API}/Organisation", timeout=30)
    assert plain.status_code == 401
    assert plain.json()["Detail"] == "AuthenticationUnsuccessful"
    bad = get(sandbox, f"{API}/Organisation", "nonsense", "11111111-1111-4111-8111-111111111111")
    assert bad.status_code == 401


def test_connections_list_the_organisations_of_the_token(sandbox, token_request):
    token = refresh(token_request, sandbox, oauth(sandbox)[2]).json()["access_token"]
    answer = get(sandbox, "/connections", token)
    assert answer.status_code == 200
    connections = answer.json()
    assert {c["tenantId"] for c in connections} == set(
        sandbox.xero.credentials()["oauth_app"]["tenant_ids"]
    )
    assert {c["tenantType"] for c in connections} == {"ORGANISATION"}
    assert len({c["authEventId"] for c in connections}) == 1
    assert "Z" not in connections[0]["createdDateUtc"]
    event = connections[0]["authEventId"]
    assert len(get(sandbox, f"/connections?authEventId={event}", token).json()) == 2


def test_a_tenant_outside_the_token_is_403_and_a_missing_tenant_header_too(xero):
    stranger = xero.for_tenant("33333333-3333-4333-8333-333333333333")
    refused = stranger.get("/Organisation")
    assert refused.status_code == 403
    assert refused.json()["Detail"] == "AuthenticationUnsuccessful"
    assert xero.for_tenant(None).get("/Organisation").status_code == 403


def test_the_tenant_header_is_case_insensitive_and_reaches_either_organisation(xero):
    names = set()
    for tenant in (xero.demo, xero.second.upper()):
        answer = xero.get("/Organisation", headers={"Xero-Tenant-Id": tenant})
        assert answer.status_code == 200
        names.add(answer.json()["Organisations"][0]["Name"])
    assert names == {"Demo Company (US)", "Sandbox Trading Co (US)"}


def test_a_minted_refresh_token_covers_only_the_tenants_it_was_minted_for(sandbox, token_request):
    demo, second = sandbox.xero.credentials()["oauth_app"]["tenant_ids"]
    minted = requests.post(
        f"{sandbox.url}/_sandbox/xero/tokens", json={"tenant_ids": [second]}, timeout=30
    ).json()["refresh_token"]
    token = refresh(token_request, sandbox, minted).json()["access_token"]
    assert get(sandbox, f"{API}/Organisation", token, second).status_code == 200
    assert get(sandbox, f"{API}/Organisation", token, demo).status_code == 403


def test_deleting_a_connection_cuts_the_tokens_access_to_that_organisation(xero):
    connections = xero.get("/connections").json()
    second = next(c for c in connections if c["tenantId"] == xero.second)
    deleted = xero.call("DELETE", f"/connections/{second['id']}")
    assert deleted.status_code == 204
    assert xero.for_tenant(xero.second).get("/Organisation").status_code == 403
    assert xero.get("/Organisation").status_code == 200
    assert xero.call("DELETE", f"/connections/{second['id']}").status_code == 404


def test_an_added_organisation_is_reachable_once_authorised(sandbox, token_request):
    added = requests.post(
        f"{sandbox.url}/_sandbox/xero/tenants",
        json={"name": "Branch Office", "tenant_id": "44444444-4444-4444-8444-444444444444"},
        timeout=30,
    )
    assert added.status_code == 201
    tenant = added.json()["tenant_id"]
    old = refresh(token_request, sandbox, oauth(sandbox)[2]).json()["access_token"]
    assert get(sandbox, f"{API}/Organisation", old, tenant).status_code == 403
    minted = sandbox.xero.mint_refresh_token([tenant])
    token = refresh(token_request, sandbox, minted).json()["access_token"]
    answer = get(sandbox, f"{API}/Organisation", token, tenant)
    assert answer.json()["Organisations"][0]["Name"] == "Branch Office"


def test_revoking_a_refresh_token_ends_the_consent_it_came_from(sandbox, token_request):
    client_id, secret, first = oauth(sandbox)
    tenant = sandbox.xero.credentials()["custom_connection"]["tenant_id"]
    answer = refresh(token_request, sandbox, first).json()
    second, access = answer["refresh_token"], answer["access_token"]
    assert get(sandbox, f"{API}/Organisation", access, tenant).status_code == 200

    revocation = f"{sandbox.url}/connect/revocation"
    wrong = requests.post(revocation, data={"token": first}, auth=(client_id, "no"), timeout=30)
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_client"})
    revoked = requests.post(revocation, data={"token": first}, auth=(client_id, secret), timeout=30)
    assert revoked.status_code == 200

    # Every token rotated from that consent is dead, and its connections are gone.
    for token in (first, second):
        assert refresh(token_request, sandbox, token).json() == {"error": "invalid_grant"}
    assert get(sandbox, f"{API}/Organisation", access, tenant).status_code == 403
    assert get(sandbox, "/connections", access).json() == []
    unknown = requests.post(revocation, data={"token": "x"}, auth=(client_id, secret), timeout=30)
    assert unknown.status_code == 200  # RFC 7009: nothing to revoke is no error


def test_the_secrets_issued_are_known_for_leak_checks(sandbox, token_request):
    client_id, secret, first = oauth(sandbox)
    second = refresh(token_request, sandbox, first).json()
    requests.post(
        f"{sandbox.url}/connect/revocation",
        data={"token": second["refresh_token"]},
        auth=(client_id, secret),
        timeout=30,
    )
    issued = sandbox.xero.secrets()
    assert {secret, first, second["refresh_token"], second["access_token"]} <= issued
    assert custom(sandbox)[1] in issued
    assert issued <= sandbox.secrets()
