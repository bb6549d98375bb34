"""Signing in: the token endpoint's grants, rotating refresh tokens, token lifetimes, API keys and
the gateway's 401s."""

from __future__ import annotations

import base64

import pytest
import requests

from keap_xero_sandbox import Sandbox

from .conftest import REST, KeapClient

DAY = 86_400


def basic(client_id: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def token_call(sandbox: Sandbox, form: dict, headers: dict | None = None) -> requests.Response:
    return requests.post(f"{sandbox.url}/token", data=form, headers=headers or {}, timeout=10)


def refresh(sandbox: Sandbox, credentials: dict, refresh_token: str) -> requests.Response:
    return token_call(
        sandbox,
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        basic(credentials["client_id"], credentials["client_secret"]),
    )


def call_with(sandbox: Sandbox, headers: dict[str, str]) -> requests.Response:
    return requests.get(f"{sandbox.url}{REST}/orders", headers=headers, timeout=10)


def test_authorization_code_is_exchanged_once_for_tokens(keap_sandbox, credentials):
    code = keap_sandbox.keap.auth.mint_code(credentials["redirect_uri"])
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": credentials["client_id"],
        "client_secret": credentials["client_secret"],
        "redirect_uri": credentials["redirect_uri"],
    }

    granted = token_call(keap_sandbox, form)
    again = token_call(keap_sandbox, form)

    assert granted.status_code == 200
    body = granted.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == DAY
    assert body["scope"] == "full|sandbox.infusionsoft.com"
    assert call_with(keap_sandbox, {"Authorization": f"Bearer {body['access_token']}"}).ok
    assert refresh(keap_sandbox, credentials, body["refresh_token"]).ok
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid authorization code",
    }


def test_authorization_code_needs_its_redirect_uri_and_the_client_secret(keap_sandbox, credentials):
    code = keap_sandbox.keap.auth.mint_code(credentials["redirect_uri"])
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "https://elsewhere.example/callback",
    }

    wrong_secret = token_call(keap_sandbox, form, basic(credentials["client_id"], "nope"))
    wrong_redirect = token_call(
        keap_sandbox, form, basic(credentials["client_id"], credentials["client_secret"])
    )

    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_grant"
    assert wrong_redirect.status_code == 400
    assert wrong_redirect.json()["error"] == "invalid_grant"


def test_authorization_code_expires_after_ten_minutes(keap_sandbox, credentials):
    code = keap_sandbox.keap.auth.mint_code(credentials["redirect_uri"])
    keap_sandbox.clock.advance(601)

    response = token_call(
        keap_sandbox,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": credentials["redirect_uri"],
        },
        basic(credentials["client_id"], credentials["client_secret"]),
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_every_refresh_rotates_the_refresh_token_and_spends_the_old_one(keap_sandbox, credentials):
    first = refresh(keap_sandbox, credentials, credentials["refresh_token"])
    reused = refresh(keap_sandbox, credentials, credentials["refresh_token"])
    second = refresh(keap_sandbox, credentials, first.json()["refresh_token"])

    assert first.status_code == 200
    assert first.json()["refresh_token"] != credentials["refresh_token"]
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_request",
        "error_description": "Invalid Refresh Token",
    }
    assert second.status_code == 200
    assert second.json()["refresh_token"] not in (
        credentials["refresh_token"],
        first.json()["refresh_token"],
    )


def test_refresh_takes_client_credentials_in_the_body_too(keap_sandbox, credentials):
    response = token_call(
        keap_sandbox,
        {
            "grant_type": "refresh_token",
            "refresh_token": credentials["refresh_token"],
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
        },
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "mistake",
    ["wrong secret", "no client credentials", "parameters in the query string", "unknown token"],
)
def test_a_refresh_keap_cannot_honour_answers_invalid_refresh_token(
    keap_sandbox, credentials, mistake
):
    form = {"grant_type": "refresh_token", "refresh_token": credentials["refresh_token"]}
    headers = basic(credentials["client_id"], credentials["client_secret"])
    url = f"{keap_sandbox.url}/token"
    if mistake == "wrong secret":
        headers = basic(credentials["client_id"], "not-the-secret")
    elif mistake == "no client credentials":
        headers = {}
    elif mistake == "unknown token":
        form["refresh_token"] = "sandbox-keap-rt-unknown"

    if mistake == "parameters in the query string":
        response = requests.post(url, params=form, headers=headers, timeout=10)
    else:
        response = requests.post(url, data=form, headers=headers, timeout=10)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Invalid Refresh Token",
    }


def test_a_refresh_with_a_wrong_secret_leaves_the_refresh_token_unspent(keap_sandbox, credentials):
    wrong = dict(credentials, client_secret="not-the-secret")
    refused = refresh(keap_sandbox, wrong, credentials["refresh_token"])

    assert refused.status_code == 400
    assert refresh(keap_sandbox, credentials, credentials["refresh_token"]).status_code == 200


def test_a_code_exchange_tells_wrong_client_credentials_from_an_unknown_code(
    keap_sandbox, credentials
):
    """What a client asks to tell a wrong client secret from a spent refresh token, which a
    refresh answers alike: the client is authenticated before the code is looked at."""
    form = {"grant_type": "authorization_code", "code": "no-such-code", "redirect_uri": "x"}

    wrong_secret = token_call(keap_sandbox, form, basic(credentials["client_id"], "nope"))
    unknown_client = token_call(keap_sandbox, form, basic("no-such-client", "nope"))
    good_client = token_call(
        keap_sandbox, form, basic(credentials["client_id"], credentials["client_secret"])
    )

    for refused in (wrong_secret, unknown_client):
        assert refused.status_code == 401
        assert refused.json() == {
            "error": "invalid_grant",
            "error_description": "Unable to authenticate username and password",
        }
    assert good_client.status_code == 400
    assert good_client.json()["error_description"] == "Invalid authorization code"


def test_refresh_tokens_last_45_days(keap_sandbox, credentials):
    spare = keap_sandbox.keap.auth.mint_refresh_token().value
    keap_sandbox.clock.advance(44 * DAY)
    assert refresh(keap_sandbox, credentials, credentials["refresh_token"]).status_code == 200

    keap_sandbox.clock.advance(DAY + 1)
    assert refresh(keap_sandbox, credentials, spare).status_code == 400


def test_unknown_grant_types_are_refused(keap_sandbox, credentials):
    response = token_call(
        keap_sandbox,
        {"grant_type": "client_credentials"},
        basic(credentials["client_id"], credentials["client_secret"]),
    )

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_access_tokens_last_24_hours(keap_sandbox, credentials):
    headers = {"Authorization": f"Bearer {credentials['access_token']}"}
    keap_sandbox.clock.advance(DAY - 1)
    assert call_with(keap_sandbox, headers).status_code == 200

    keap_sandbox.clock.advance(1)
    expired = call_with(keap_sandbox, headers)

    assert expired.status_code == 401
    assert expired.json() == {
        "fault": {
            "faultstring": "Access Token expired",
            "detail": {"errorcode": "keymanagement.service.access_token_expired"},
        }
    }


@pytest.mark.parametrize(
    ("headers", "errorcode"),
    [
        ({}, "oauth.v2.InvalidAccessToken"),
        ({"Authorization": "not-a-bearer-token"}, "oauth.v2.InvalidAccessToken"),
        ({"Authorization": "Bearer made-up"}, "keymanagement.service.invalid_access_token"),
        ({"X-Keap-API-Key": "KeapAK-made-up"}, "oauth.v2.InvalidApiKey"),
    ],
)
def test_the_gateway_refuses_bad_credentials_with_its_fault_body(keap_sandbox, headers, errorcode):
    response = call_with(keap_sandbox, headers)

    assert response.status_code == 401
    assert response.json()["fault"]["detail"]["errorcode"] == errorcode
    assert keap_sandbox.stats.count("keap", status=401) == 1


@pytest.mark.parametrize("key", ["personal_access_token", "service_account_key"])
def test_api_keys_work_as_x_keap_api_key_and_as_bearer_tokens(keap_sandbox, credentials, key):
    value = credentials[key]
    assert value.startswith("KeapAK-")

    as_header = call_with(keap_sandbox, {"X-Keap-API-Key": value})
    as_bearer = call_with(keap_sandbox, {"Authorization": f"Bearer {value}"})

    assert as_header.status_code == 200
    assert as_bearer.status_code == 200
    assert as_header.headers["x-keap-product-spike-limit"] == "10ps"


def test_api_keys_do_not_expire(keap_sandbox, credentials):
    keap_sandbox.clock.advance(400 * DAY)

    response = call_with(keap_sandbox, {"X-Keap-API-Key": credentials["service_account_key"]})

    assert response.status_code == 200


def test_the_gateway_authenticates_before_it_routes(keap_sandbox, api, raw):
    unauthenticated = raw.get(f"{REST}/no-such-thing")
    authenticated = api.get("/no-such-thing")

    assert unauthenticated.status_code == 401
    assert authenticated.status_code == 404
    assert authenticated.json()["code"] == 404


def test_credentials_are_the_same_after_every_reset(keap_sandbox, raw):
    before = keap_sandbox.keap.credentials()
    keap_sandbox.keap.auth.mint_refresh_token()
    keap_sandbox.reset()
    keap_sandbox.clock.freeze()

    over_http = raw.get("/_sandbox/keap/credentials").json()

    assert keap_sandbox.keap.credentials() == before
    assert {k: over_http[k] for k in before} == before
    assert over_http["rest_url"] == f"{keap_sandbox.url}{REST}"
    assert over_http["token_url"] == f"{keap_sandbox.url}/token"


def test_control_routes_mint_codes_and_tokens(keap_sandbox, credentials, raw):
    code = raw.post("/_sandbox/keap/oauth/code", {}).json()
    fresh_refresh = raw.post("/_sandbox/keap/oauth/refresh-token").json()["refresh_token"]
    fresh_access = raw.post("/_sandbox/keap/oauth/access-token").json()

    exchanged = token_call(
        keap_sandbox,
        {
            "grant_type": "authorization_code",
            "code": code["code"],
            "redirect_uri": code["redirect_uri"],
        },
        basic(credentials["client_id"], credentials["client_secret"]),
    )

    assert exchanged.status_code == 200
    assert refresh(keap_sandbox, credentials, fresh_refresh).status_code == 200
    assert fresh_access["expires_in"] == DAY
    headers = {"Authorization": f"Bearer {fresh_access['access_token']}"}
    assert call_with(keap_sandbox, headers).status_code == 200


def test_userinfo_names_the_tenant(api: KeapClient):
    response = api.get("/oauth/connect/userinfo")

    assert response.status_code == 200
    assert response.json()["tenant_id"] == "sandbox.infusionsoft.com"


def test_how_each_call_carried_its_credential_is_counted(keap_sandbox, credentials):
    key, token = credentials["personal_access_token"], credentials["access_token"]

    call_with(keap_sandbox, {"X-Keap-API-Key": key})
    call_with(keap_sandbox, {"X-Keap-API-Key": key})
    call_with(keap_sandbox, {"Authorization": f"Bearer {key}"})
    call_with(keap_sandbox, {"Authorization": f"Bearer {token}"})
    call_with(keap_sandbox, {"X-Keap-API-Key": key, "Authorization": f"Bearer {token}"})
    call_with(keap_sandbox, {})

    assert keap_sandbox.keap.auth.presented == {
        "X-Keap-API-Key": 2,
        "Authorization: Bearer": 2,
        "X-Keap-API-Key + Authorization: Bearer": 1,
        "none": 1,
    }
    assert not any(key in how or token in how for how in keap_sandbox.keap.auth.presented)
    keap_sandbox.reset()
    assert keap_sandbox.keap.auth.presented == {}


def test_removing_an_apps_access_revokes_every_token_it_holds(keap_sandbox, credentials):
    answer = refresh(keap_sandbox, credentials, credentials["refresh_token"]).json()
    assert keap_sandbox.keap.auth.revoke_client() == 4  # the reset's two and the refresh's two

    assert refresh(keap_sandbox, credentials, answer["refresh_token"]).status_code == 400
    refused = call_with(keap_sandbox, {"Authorization": f"Bearer {answer['access_token']}"})
    assert refused.status_code == 401
    issued = keap_sandbox.keap.secrets()
    assert {answer["refresh_token"], answer["access_token"], credentials["client_secret"]} <= issued
    assert {credentials["personal_access_token"], credentials["service_account_key"]} <= issued
