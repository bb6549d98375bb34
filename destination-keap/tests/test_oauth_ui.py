""" "Authenticate your account" in the Airbyte UI: the spec's `advanced_auth`, run as the platform
runs it (Airbyte's declarative OAuth flow) against the Keap emulator, gives a config the
destination signs in with; it is source-keap's, the same Keap app serving both directions."""

import logging

import jsonschema
import requests
from airbyte_cdk.models import ConnectorSpecificationSerializer, Status

from destination_keap import DestinationKeap
from keap_xero_sandbox.airbyte_oauth import (
    DeclarativeOAuthFlow,
    consent_as_user,
    onto,
    unplaced_outputs,
)
from source_keap import SourceKeap

REDIRECT = "https://airbyte.example.com/auth_flow"  # Airbyte's `<webapp>/auth_flow`; never visited
LOGGER = logging.getLogger("airbyte")


def spec() -> dict:
    return ConnectorSpecificationSerializer.dump(DestinationKeap().spec(LOGGER))


def flow_for(keap) -> DeclarativeOAuthFlow:
    app = keap.sandbox.keap.credentials()
    return DeclarativeOAuthFlow(
        spec()["advanced_auth"],
        app["client_id"],
        app["client_secret"],
        rebase=onto(keap.sandbox.url),
    )


def test_the_button_fills_fields_of_the_oauth_option_as_source_keaps_does():
    assert spec()["advanced_auth"]["predicate_key"] == ["credentials", "auth_type"]
    assert unplaced_outputs(spec()) == []
    source = ConnectorSpecificationSerializer.dump(SourceKeap().spec(LOGGER))
    assert spec()["advanced_auth"] == source["advanced_auth"]


def test_the_consent_url_is_keaps_with_the_apps_request(keap):
    url = flow_for(keap).consent_url(REDIRECT, state="Zq9.state-1")
    assert url == (
        "https://accounts.infusionsoft.com/app/oauth/authorize?client_id=keap-sandbox-client"
        "&redirect_uri=https%3A%2F%2Fairbyte.example.com%2Fauth_flow&response_type=code"
        "&scope=full&state=Zq9.state-1"
    )


def test_authenticating_fills_the_tokens_the_destination_signs_in_with(keap):
    flow = flow_for(keap)
    session = requests.Session()

    target, callback = consent_as_user(session, flow.rebase(flow.consent_url(REDIRECT, "st-42")))
    assert (target, callback["state"]) == (REDIRECT, "st-42")
    outputs = flow.complete(REDIRECT, callback, session)
    assert set(outputs) == {"access_token", "refresh_token", "token_expiry_date"}

    config = flow.config_with(
        {"credentials": {"auth_type": "oauth2.0"}, "api_url": keap.sandbox.url}, outputs
    )
    jsonschema.validate(config, spec()["connectionSpecification"])
    assert config["credentials"]["client_id"] == keap.sandbox.keap.credentials()["client_id"]
    assert DestinationKeap().check(LOGGER, config).status == Status.SUCCEEDED
    # One call to the token endpoint, the code exchange: the access token it gave was used.
    assert keap.sandbox.stats.count("keap", method="POST", endpoint="/token") == 1
