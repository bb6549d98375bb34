"""The platform's declarative OAuth flow as `airbyte_oauth` plays it: template variables,
encoding and output extraction as Airbyte's DeclarativeOAuthSpecHandler has them."""

import datetime as dt

import pytest

from keap_xero_sandbox.airbyte_oauth import (
    DeclarativeOAuthFlow,
    OAuthFlowError,
    onto,
    unplaced_outputs,
)

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def flow(**inputs: object) -> DeclarativeOAuthFlow:
    token = {"type": "string", "path_in_connector_config": ["credentials", "refresh_token"]}
    advanced_auth = {
        "oauth_config_specification": {
            "oauth_connector_input_specification": {
                "consent_url": "https://vendor.example/authorize?{{client_id_param}}",
                "access_token_url": "https://vendor.example/token",
                **inputs,
            },
            "complete_oauth_output_specification": {
                "required": ["refresh_token", "token_expiry_date"],
                "properties": {
                    "refresh_token": {**token, "path_in_oauth_response": ["data", "refresh_token"]},
                    "token_expiry_date": {
                        "type": "string",
                        "path_in_connector_config": ["credentials", "token_expiry_date"],
                        "path_in_oauth_response": ["expires_in"],
                    },
                },
            },
            "complete_oauth_server_output_specification": {
                "properties": {
                    "client_id": {"path_in_connector_config": ["credentials", "client_id"]}
                }
            },
        }
    }
    return DeclarativeOAuthFlow(advanced_auth, "id 1", "s3cret", now=lambda: NOW)


def test_params_are_key_value_pairs_and_only_redirect_uri_and_scope_are_url_encoded():
    """Java's URLEncoder for those two (spaces as `+`, `~` encoded); the code challenge is the
    example of Airbyte's documentation."""
    consent = flow(
        consent_url=(
            "https://v.example/a?{{client_id_param}}&{{redirect_uri_param}}&{{scope_param}}"
            "&{{state_param}}&x={{ 'id_123:secret_456' | codechallengeS256 }}"
        ),
        scope="read write:all ~me",
        client_id_key="app",
    ).consent_url("https://ab.example/auth_flow", "st")
    assert consent == (
        "https://v.example/a?app=id 1&redirect_uri=https%3A%2F%2Fab.example%2Fauth_flow"
        "&scope=read+write%3Aall+%7Eme&state=st&x=kdlBQTTftIOzHnzQoqp3dQ5jBsSehFTjg1meg1gL3OY"
    )


def test_outputs_are_taken_at_their_paths_and_expires_in_becomes_an_expiry_date():
    outputs = flow()._extract({"data": {"refresh_token": "rt-1"}, "expires_in": 1800})
    assert outputs == {"refresh_token": "rt-1", "token_expiry_date": "2024-01-01T00:30:00Z"}
    config = flow().config_with({"credentials": {"auth_type": "oauth"}}, outputs)
    assert config == {
        "credentials": {
            "auth_type": "oauth",
            "refresh_token": "rt-1",
            "token_expiry_date": "2024-01-01T00:30:00Z",
            "client_id": "id 1",
        }
    }


def test_a_missing_output_fails_the_flow():
    with pytest.raises(OAuthFlowError, match="Missing 'refresh_token'"):
        flow()._extract({"expires_in": 1800})


def test_onto_serves_a_vendor_url_from_the_sandbox():
    rebase = onto("http://127.0.0.1:9/")
    assert rebase("https://identity.xero.com/connect/token?a=1") == (
        "http://127.0.0.1:9/connect/token?a=1"
    )


def test_outputs_need_a_field_in_the_option_the_button_is_shown_in():
    advanced_auth = {
        "predicate_key": ["credentials", "auth_type"],
        "predicate_value": "oauth",
        **flow().advanced_auth,
    }
    options = [
        {"properties": {"auth_type": {"const": "key"}, "refresh_token": {}}},
        {"properties": {"auth_type": {"const": "oauth"}, "client_id": {}}},
    ]
    spec = {
        "connectionSpecification": {"properties": {"credentials": {"oneOf": options}}},
        "advanced_auth": advanced_auth,
    }
    assert unplaced_outputs(spec) == ["credentials.refresh_token", "credentials.token_expiry_date"]
    options[1]["properties"].update(refresh_token={}, token_expiry_date={})
    assert unplaced_outputs(spec) == []
