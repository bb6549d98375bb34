""" "Authenticate your account" in the Airbyte UI: the spec's `advanced_auth`, run as the platform
runs it (Airbyte's declarative OAuth flow) against the Xero emulator, gives a config the source
reads with, for the organisation the user picked on Xero's consent page; it asks for read-only
scopes."""

from __future__ import annotations

import logging

import jsonschema
import requests
from airbyte_cdk.models import ConnectorSpecificationSerializer, Status

from keap_xero_sandbox.airbyte_oauth import (
    DeclarativeOAuthFlow,
    consent_as_user,
    onto,
    unplaced_outputs,
)
from keap_xero_sandbox.sandbox import Sandbox
from source_xero import SourceXero

REDIRECT = "http://localhost:8000/auth_flow"  # a local Airbyte's `<webapp>/auth_flow`, registered
LOGGER = logging.getLogger("airbyte")


def spec() -> dict:
    return ConnectorSpecificationSerializer.dump(SourceXero().spec(LOGGER))


def flow_for(sandbox: Sandbox) -> DeclarativeOAuthFlow:
    app = sandbox.xero.credentials()["oauth_app"]
    return DeclarativeOAuthFlow(
        spec()["advanced_auth"], app["client_id"], app["client_secret"], rebase=onto(sandbox.url)
    )


def test_the_button_fills_fields_of_the_oauth2_app_option():
    assert spec()["advanced_auth"]["predicate_key"] == ["credentials", "auth_type"]
    assert unplaced_outputs(spec()) == []


def test_the_consent_url_is_xeros_with_read_only_scopes(sandbox: Sandbox):
    url = flow_for(sandbox).consent_url(REDIRECT, state="7f3kQ")
    assert url == (
        "https://login.xero.com/identity/connect/authorize?response_type=code"
        "&client_id=SANDBOX-OAUTH-APP&redirect_uri=http%3A%2F%2Flocalhost%3A8000%2Fauth_flow"
        "&scope=offline_access+accounting.invoices.read+accounting.payments.read"
        "+accounting.contacts.read+accounting.settings.read&state=7f3kQ"
    )


def test_authenticating_fills_the_tokens_the_source_reads_with(sandbox: Sandbox):
    flow = flow_for(sandbox)
    session = requests.Session()
    second = sandbox.xero.credentials()["oauth_app"]["tenant_ids"][1]

    target, callback = consent_as_user(
        session, flow.rebase(flow.consent_url(REDIRECT, "st-7")), [second]
    )
    assert (target, callback["state"]) == (REDIRECT, "st-7")
    outputs = flow.complete(REDIRECT, callback, session)
    assert set(outputs) == {"access_token", "refresh_token", "token_expiry_date"}

    entered = {
        "credentials": {"auth_type": "oauth2_app", "tenant_id": second},
        "advanced": {"api_base_url": sandbox.url, "identity_base_url": sandbox.url},
    }
    config = flow.config_with(entered, outputs)
    jsonschema.validate(config, spec()["connectionSpecification"])
    assert SourceXero().check(LOGGER, config).status == Status.SUCCEEDED
    # The access token the exchange gave was used: one call to the token endpoint in all.
    assert sandbox.stats.count("xero", method="POST", endpoint="/connect/token") == 1

    elsewhere = flow.config_with({**entered, "credentials": {**entered["credentials"]}}, outputs)
    elsewhere["credentials"]["tenant_id"] = sandbox.xero.credentials()["oauth_app"]["tenant_ids"][0]
    refused = SourceXero().check(LOGGER, elsewhere)
    assert refused.status == Status.FAILED
    assert "credentials.tenant_id" in refused.message
    assert second in refused.message  # the organisation the user did connect, to pick instead
