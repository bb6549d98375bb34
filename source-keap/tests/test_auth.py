"""Signing in: OAuth with Keap's rotating refresh tokens (handed back as CONNECTOR_CONFIG control
messages), API keys, and refusals reported as config errors naming the credential.

The OAuth tests run the `source-keap` command, as the platform does, and read its stdout.
"""

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer, Status

from source_keap import SourceKeap

SOURCE_KEAP = str(Path(sys.executable).with_name("source-keap"))


def run_cli(tmp_path, config, catalog):
    """`source-keap read` in its own process: its messages, and its exit code."""
    config_file, catalog_file = tmp_path / "config.json", tmp_path / "catalog.json"
    config_file.write_text(json.dumps(config))
    catalog_file.write_text(json.dumps(ConfiguredAirbyteCatalogSerializer.dump(catalog)))
    done = subprocess.run(  # noqa: S603 (our own console script, on a loopback sandbox)
        [SOURCE_KEAP, "read", "--config", str(config_file), "--catalog", str(catalog_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return [json.loads(line) for line in done.stdout.splitlines()], done.returncode, done.stdout


def of_type(messages, kind):
    return [m for m in messages if m["type"] == kind]


def test_oauth_rotates_the_refresh_token_and_hands_it_back(keap, tmp_path):
    keap.seed(orders=20)
    config, streams = keap.config("oauth2.0"), keap.catalog("updated_at")
    old_refresh_token = config["credentials"]["refresh_token"]

    messages, code, stdout = run_cli(tmp_path, config, streams)
    assert code == 0
    assert len(of_type(messages, "RECORD")) == len(keap.orders())
    (control,) = of_type(messages, "CONTROL")
    assert control["control"]["type"] == "CONNECTOR_CONFIG"
    rotated = control["control"]["connectorConfig"]["config"]
    assert rotated["credentials"]["refresh_token"] not in ("", old_refresh_token)
    assert rotated["credentials"]["access_token"]
    # The secrets appear in the control message only, never in logs or errors.
    others = [line for line in stdout.splitlines() if '"CONTROL"' not in line]
    assert not any(rotated["credentials"]["refresh_token"] in line for line in others)
    assert not any(config["credentials"]["client_secret"] in line for line in others)

    # The old refresh token is spent: a sync that did not keep the new one fails, and says why.
    messages, code, _ = run_cli(tmp_path, config, streams)
    assert code != 0
    error = of_type(messages, "TRACE")[-1]["trace"]["error"]
    assert error["failure_type"] == "config_error"
    assert "credentials.refresh_token" in error["message"]

    # The handed-back config works, with its access token, without refreshing again.
    messages, code, _ = run_cli(tmp_path, rotated, streams)
    assert code == 0
    assert of_type(messages, "CONTROL") == []
    assert len(of_type(messages, "RECORD")) == len(keap.orders())


def test_an_access_token_keap_expired_early_is_refreshed_once_and_the_call_retried(keap, tmp_path):
    keap.seed(orders=5)
    streams = keap.catalog("updated_at")
    messages, _, _ = run_cli(tmp_path, keap.config("oauth2.0"), streams)
    rotated = of_type(messages, "CONTROL")[0]["control"]["connectorConfig"]["config"]

    # A day later on Keap's clock the token is dead, though the connector's clock says otherwise.
    keap.sandbox.clock.advance(25 * 3600)
    messages, code, _ = run_cli(tmp_path, rotated, streams)
    assert code == 0
    assert len(of_type(messages, "RECORD")) == len(keap.orders())
    (control,) = of_type(messages, "CONTROL")
    again = control["control"]["connectorConfig"]["config"]["credentials"]["refresh_token"]
    assert again != rotated["credentials"]["refresh_token"]
    assert keap.calls(status=401) == 1


def test_personal_access_tokens_and_service_account_keys_are_sent_as_api_keys(keap):
    keap.seed(orders=8)
    for key in ("personal_access_token", "service_account_key"):
        config = keap.config()
        config["credentials"]["api_key"] = keap.credentials[key]
        run = keap.read(config, keap.catalog("updated_at"))
        assert len(run.ids("invoices")) == len(keap.orders())
    assert keap.calls(status=401) == 0
    # Keap also takes a key as a bearer token; the connector sends it in its own header only.
    assert keap.emulator.auth.presented == {"X-Keap-API-Key": keap.calls()}


def test_a_refused_api_key_is_a_config_error_naming_it(keap):
    keap.seed(orders=3)
    config = keap.config()
    config["credentials"]["api_key"] = "KeapAK-revoked-or-mistyped"

    status = SourceKeap().check(logging.getLogger("test"), config)
    assert status.status == Status.FAILED
    assert status.message.startswith(
        "Config field 'credentials.api_key': Keap rejected the API key"
    )

    run = keap.read(config, keap.catalog("updated_at"), fails=True)
    error = run.errors[0].trace.error
    assert error.failure_type.value == "config_error"
    assert "credentials.api_key" in error.message
    assert "Traceback" not in error.message


def test_a_refused_refresh_token_fails_the_check_naming_it(keap):
    config = keap.config("oauth2.0")
    config["credentials"]["refresh_token"] = "not-a-keap-refresh-token"
    status = SourceKeap().check(logging.getLogger("test"), config)
    assert status.status == Status.FAILED
    assert status.message.startswith(
        "Config field 'credentials.refresh_token': Keap rejected the refresh token (it accepts "
        "the app's client ID and secret)"
    )
    assert "re-authenticate the source" in status.message


def test_a_wrong_client_secret_is_named_and_not_taken_for_a_refused_refresh_token(keap):
    """Keap answers a refresh with a wrong secret as it answers a spent refresh token; the
    connector tells them apart, and the refresh token is left as it was."""
    config = keap.config("oauth2.0")
    config["credentials"]["client_secret"] = "not-the-secret"
    status = SourceKeap().check(logging.getLogger("test"), config)
    assert status.status == Status.FAILED
    assert status.message.startswith(
        "Config field 'credentials.client_secret': Keap does not accept this client ID and secret"
    )
    assert config["credentials"]["client_secret"] not in status.message

    again = SourceKeap().check(logging.getLogger("test"), keap.config("oauth2.0"))
    assert again.status == Status.SUCCEEDED


# Answers of Keap's token endpoint to a refresh, and how the refusal quotes them.
TOKEN_REFUSALS = {
    "Keap's own, without a description": ({"error": "invalid_request"}, "400: invalid_request"),
    "an error OAuth does not list": (
        {"error": "request_blocked", "error_description": "Try again later"},
        "400: request_blocked: Try again later",
    ),
    "a page that is not JSON": (
        "<html><body><h1>Bad Request</h1>\n<p>Header too large</p></body></html>",
        "400: Bad Request Header too large",
    ),
    "an empty answer": ("", "400, with no message"),
}


@pytest.mark.parametrize("answer", TOKEN_REFUSALS)
def test_any_refusal_of_a_refresh_fails_the_check_naming_the_field_and_what_keap_said(keap, answer):
    body, said = TOKEN_REFUSALS[answer]
    config = keap.config("oauth2.0")
    keap.sandbox.faults.add(api="keap", method="POST", path="/token", status=400, body=body)

    status = SourceKeap().check(logging.getLogger("test"), config)

    assert status.status == Status.FAILED
    assert status.message.startswith(
        "Config field 'credentials.refresh_token': Keap rejected the refresh token (it accepts "
        "the app's client ID and secret)"
    )
    assert status.message.endswith(f"Keap's token endpoint answered {said}")
    for secret in ("client_id", "client_secret", "refresh_token"):
        assert config["credentials"][secret] not in status.message


def test_a_refresh_refused_with_a_page_that_is_not_json_ends_the_read_as_a_config_error(keap):
    keap.seed(orders=3)
    body, said = TOKEN_REFUSALS["a page that is not JSON"]
    keap.sandbox.faults.add(api="keap", method="POST", path="/token", status=400, body=body)

    run = keap.read(keap.config("oauth2.0"), keap.catalog("updated_at"), fails=True)

    error = run.errors[0].trace.error
    assert error.failure_type.value == "config_error"
    assert error.message.startswith("Config field 'credentials.refresh_token'")
    assert error.message.endswith(said)


def test_an_oauth_token_refused_again_after_a_refresh_asks_to_re_authenticate(keap):
    keap.seed(orders=3)
    keap.sandbox.faults.add(
        api="keap", method="GET", path="/crm/rest/v2/orders", status=401, count=2
    )
    run = keap.read(keap.config("oauth2.0"), keap.catalog("updated_at"), fails=True)
    error = run.errors[0].trace.error
    assert error.failure_type.value == "config_error"
    assert error.message.startswith(
        "Config field 'credentials.refresh_token': Keap rejected the OAuth credentials; "
        "re-authenticate the source"
    )


def test_a_403_keeps_keaps_reason_and_names_the_access_missing(keap):
    keap.seed(orders=3)
    reason = "The user does not have permission to view contacts"
    keap.sandbox.faults.add(
        api="keap",
        method="GET",
        path="/crm/rest/v2/contacts",
        status=403,
        body={"code": 403, "message": reason, "status": "Forbidden"},
        count=None,
    )
    for auth, field in (
        ("oauth2.0", "credentials.refresh_token"),
        ("api_key", "credentials.api_key"),
    ):
        run = keap.read(keap.config(auth), keap.catalog("updated_at"), fails=True)
        error = run.errors[0].trace.error
        assert error.failure_type.value == "config_error"
        assert error.message.startswith(
            f"Config field '{field}': Keap answered GET /crm/rest/v2/contacts with 403: {reason}. "
            "The Keap user of this credential needs access to contacts"
        )
        assert "rejected" not in error.message
        assert "re-authenticate" not in error.message
