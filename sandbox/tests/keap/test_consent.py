"""Keap's consent page (`/app/oauth/authorize`): the start of the authorization code flow that the
Airbyte UI and anyone getting a refresh token by hand go through."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from keap_xero_sandbox import Sandbox
from keap_xero_sandbox.airbyte_oauth import consent_as_user

REDIRECT = "https://airbyte.example.com/auth_flow"


def authorize_url(sandbox: Sandbox, **params: str) -> str:
    return f"{sandbox.url}/app/oauth/authorize?{urlencode(params)}"


def request_of(credentials: dict, **overrides: str) -> dict[str, str]:
    return {
        "client_id": credentials["client_id"],
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "full",
        "state": "xyz123",
        **overrides,
    }


def test_consent_sends_the_user_back_with_a_code_that_the_token_endpoint_exchanges(
    keap_sandbox: Sandbox, credentials
):
    url = authorize_url(keap_sandbox, **request_of(credentials))
    page = requests.get(url, timeout=10)
    assert page.status_code == 200
    assert "Keap Sandbox App" in page.text
    assert 'method="post"' in page.text

    target, params = consent_as_user(requests.Session(), url)

    assert target == REDIRECT
    assert params["state"] == "xyz123"
    assert params["scope"] == "full|sandbox.infusionsoft.com"
    token = requests.post(
        f"{keap_sandbox.url}/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
            "redirect_uri": REDIRECT,
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    assert set(token.json()) >= {"access_token", "refresh_token", "expires_in"}


def test_response_type_and_scope_default_to_code_and_full(keap_sandbox: Sandbox, credentials):
    url = authorize_url(keap_sandbox, client_id=credentials["client_id"], redirect_uri=REDIRECT)
    target, params = consent_as_user(requests.Session(), url)
    assert target == REDIRECT
    assert "code" in params
    assert "state" not in params


def test_an_unknown_client_or_a_redirect_uri_that_is_not_https_is_never_redirected_to(
    keap_sandbox: Sandbox, credentials
):
    for bad in (
        request_of(credentials, client_id="someone-else"),
        request_of(credentials, redirect_uri="http://airbyte.example.com/auth_flow"),
        request_of(credentials, redirect_uri="not a url"),
    ):
        page = requests.get(authorize_url(keap_sandbox, **bad), allow_redirects=False, timeout=10)
        assert page.status_code == 400, bad
        assert "Location" not in page.headers


def test_other_problems_and_a_denial_go_back_to_the_app_as_errors(
    keap_sandbox: Sandbox, credentials
):
    for bad, error in (
        (request_of(credentials, response_type="token"), "unsupported_response_type"),
        (request_of(credentials, scope="contacts"), "invalid_scope"),
    ):
        answer = requests.get(authorize_url(keap_sandbox, **bad), allow_redirects=False, timeout=10)
        assert answer.status_code == 302
        back = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert back["error"] == [error]
        assert back["state"] == ["xyz123"]
    denied = requests.post(
        authorize_url(keap_sandbox, **request_of(credentials)),
        data={"decision": "deny"},
        allow_redirects=False,
        timeout=10,
    )
    assert denied.status_code == 302
    assert parse_qs(urlsplit(denied.headers["Location"]).query)["error"] == ["access_denied"]
