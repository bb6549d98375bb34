"""Xero's consent page (`/identity/connect/authorize`) and the authorization code grant: the user
picks organisations, the code connects the app to them (one auth event) and is exchanged once."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from keap_xero_sandbox import Sandbox
from keap_xero_sandbox.airbyte_oauth import consent_as_user

from .conftest import DEMO, SECOND

REDIRECT = "http://localhost:8000/auth_flow"
SCOPES = "offline_access accounting.invoices accounting.payments accounting.contacts"


def app_of(sandbox: Sandbox) -> dict:
    return sandbox.xero.credentials()["oauth_app"]


def authorize_url(sandbox: Sandbox, **overrides: str) -> str:
    params = {
        "response_type": "code",
        "client_id": app_of(sandbox)["client_id"],
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": "s-1",
        **overrides,
    }
    return f"{sandbox.url}/identity/connect/authorize?{urlencode(params)}"


def exchange(sandbox: Sandbox, token_request, code: str, redirect_uri: str = REDIRECT):
    app = app_of(sandbox)
    return token_request(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
        auth=(app["client_id"], app["client_secret"]),
    )


def connections(sandbox: Sandbox, access_token: str, **params: str) -> list[dict]:
    answer = requests.get(
        f"{sandbox.url}/connections",
        params=params,
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_consent_page_offers_every_organisation(sandbox: Sandbox):
    page = requests.get(authorize_url(sandbox), timeout=10)
    assert page.status_code == 200
    assert f'value="{DEMO}"' in page.text
    assert f'value="{SECOND}"' in page.text
    assert "Demo Company (US)" in page.text


def test_a_code_connects_the_chosen_organisation_and_gives_tokens_once(
    sandbox: Sandbox, token_request
):
    target, params = consent_as_user(requests.Session(), authorize_url(sandbox), [SECOND])
    assert target == REDIRECT
    assert params["state"] == "s-1"
    assert params["scope"] == SCOPES
    assert params["session_state"]

    answer = exchange(sandbox, token_request, params["code"])
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert tokens["expires_in"] == 1800
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == SCOPES
    assert "refresh_token" in tokens

    listed = connections(sandbox, tokens["access_token"])
    assert [c["tenantId"] for c in listed] == [SECOND]
    event = listed[0]["authEventId"]
    assert connections(sandbox, tokens["access_token"], authEventId=event) == listed
    assert exchange(sandbox, token_request, params["code"]).json() == {"error": "invalid_grant"}
    refreshed = token_request(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(app_of(sandbox)["client_id"], app_of(sandbox)["client_secret"]),
    )
    assert refreshed.status_code == 200


def test_without_offline_access_there_is_no_refresh_token(sandbox: Sandbox, token_request):
    url = authorize_url(sandbox, scope="accounting.invoices.read")
    _, params = consent_as_user(requests.Session(), url, [DEMO])
    tokens = exchange(sandbox, token_request, params["code"]).json()
    assert "access_token" in tokens
    assert "refresh_token" not in tokens


def test_a_code_needs_its_redirect_uri_and_lasts_five_minutes(sandbox: Sandbox, token_request):
    session = requests.Session()
    _, first = consent_as_user(session, authorize_url(sandbox), [DEMO])
    other = "https://localhost/xero-sandbox/callback"
    assert exchange(sandbox, token_request, first["code"], other).status_code == 400
    _, second = consent_as_user(session, authorize_url(sandbox), [DEMO])
    sandbox.clock.advance(5 * 60 + 1)
    assert exchange(sandbox, token_request, second["code"]).json() == {"error": "invalid_grant"}


def test_redirect_uris_must_be_registered_on_the_app(sandbox: Sandbox):
    for bad in (
        authorize_url(sandbox, redirect_uri="http://localhost:8000/elsewhere"),
        authorize_url(sandbox, client_id="SOMEONE-ELSE"),
        authorize_url(sandbox, client_id="SANDBOX-CUSTOM-CONNECTION"),
    ):
        page = requests.get(bad, allow_redirects=False, timeout=10)
        assert page.status_code == 400
        assert "Location" not in page.headers
    registered = requests.post(
        f"{sandbox.url}/_sandbox/xero/apps",
        json={
            "client_id": "MY-APP",
            "client_secret": "my-secret",
            "kind": "oauth",
            "redirect_uris": ["https://airbyte.example.com/auth_flow"],
        },
        timeout=10,
    )
    assert registered.status_code == 201
    url = authorize_url(
        sandbox, client_id="MY-APP", redirect_uri="https://airbyte.example.com/auth_flow"
    )
    assert requests.get(url, timeout=10).status_code == 200


def test_unknown_scopes_a_wrong_response_type_and_a_denial_go_back_as_errors(sandbox: Sandbox):
    for url, error in (
        (authorize_url(sandbox, scope="accounting.everything"), "invalid_scope"),
        (authorize_url(sandbox, response_type="token"), "unsupported_response_type"),
    ):
        answer = requests.get(url, allow_redirects=False, timeout=10)
        assert answer.status_code == 302
        back = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert back["error"] == [error]
        assert back["state"] == ["s-1"]
    for form in ({"decision": "deny"}, {"decision": "allow"}):  # allow without an organisation
        denied = requests.post(authorize_url(sandbox), data=form, allow_redirects=False, timeout=10)
        assert parse_qs(urlsplit(denied.headers["Location"]).query)["error"] == ["access_denied"]
