"""Signing in against the Xero emulator: refresh tokens rotated during a sync and the last one
handed back, a refresh token Xero no longer accepts, the organisation and scopes, `check`."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from airbyte_cdk.models import FailureType, Status

from source_xero import SourceXero

if TYPE_CHECKING:
    from conftest import XeroSandbox

OTHER_TENANT = "33333333-3333-4333-8333-333333333333"
REAUTHORISE = "authorise the app again and paste the new refresh token"


def check(config: dict[str, Any]) -> tuple[Status, str]:
    status = SourceXero().check(logging.getLogger("airbyte"), config)
    return status.status, status.message or ""


def test_tokens_rotated_during_a_sync_are_handed_back_and_the_last_one_works(
    frozen: XeroSandbox, capsys: pytest.CaptureFixture[str]
):
    xero = frozen
    xero.user.seed(contacts=3, invoices=7, spacing=1, statuses={"AUTHORISED": 1})
    # Access tokens expire after the first and the third page: two more refreshes.
    expire = xero.sandbox.xero.identity.expire_access_tokens
    xero.hook_after_page("Invoices", 1, 3, change=expire)
    config = xero.config(auth="oauth", _page_size=2)
    run = xero.read(config, xero.catalog("invoices"))
    assert len(run.ids("invoices")) == 7
    handed_back = xero.control_configs(capsys.readouterr().out)
    tokens = [c["credentials"]["refresh_token"] for c in handed_back]
    assert len(tokens) == 3
    assert len(set(tokens)) == 3
    assert xero.credentials["oauth_app"]["refresh_token"] not in tokens
    assert xero.calls(endpoint="/connect/token") == 3
    # Past Xero's 30 minutes of grace only the last one still signs in.
    xero.sandbox.clock.advance(31 * 60)
    last = handed_back[-1]
    last["credentials"]["access_token"] = ""  # sign in anew
    assert check(last) == (Status.SUCCEEDED, "")
    earlier = json.loads(json.dumps(handed_back[0]))
    earlier["credentials"]["access_token"] = ""
    status, message = check(earlier)
    assert status == Status.FAILED
    assert REAUTHORISE in message


def test_a_refresh_token_xero_no_longer_accepts_is_a_config_error_saying_what_to_do(
    xero: XeroSandbox,
):
    xero.user.invoice()
    xero.sandbox.stats.reset()
    config = xero.config(auth="oauth")
    config["credentials"]["refresh_token"] = "revoked-or-expired"
    status, message = check(config)
    assert status == Status.FAILED
    assert message.startswith("Config field 'credentials.refresh_token': Xero rejected")
    assert REAUTHORISE in message
    run = xero.read(config, xero.catalog("invoices"), fails=True)
    errors = [m.trace.error for m in run.errors]
    assert errors[0].failure_type == FailureType.config_error
    assert REAUTHORISE in errors[0].message
    assert xero.api_calls() == 0


def test_an_organisation_the_app_is_not_connected_to(xero: XeroSandbox):
    config = xero.config(auth="oauth")
    config["credentials"]["tenant_id"] = OTHER_TENANT
    status, message = check(config)
    assert status == Status.FAILED
    assert message.startswith("Config field 'credentials.tenant_id': the app is not connected")
    assert "Demo Company (US)" in message
    run = xero.read(config, xero.catalog("invoices"), fails=True)
    error = run.errors[0].trace.error
    assert error.failure_type == FailureType.config_error
    assert "'credentials.tenant_id'" in error.message
    assert "accounting.invoices.read" in error.message


@pytest.mark.parametrize("auth", ["custom", "oauth"])
def test_a_good_config_checks_with_a_few_calls(xero: XeroSandbox, auth: str):
    assert check(xero.config(auth=auth)) == (Status.SUCCEEDED, "")
    assert xero.calls(endpoint="/connections") == (1 if auth == "oauth" else 0)
    assert xero.api_calls("Invoices") == 1


def test_a_custom_connection_with_a_wrong_secret(xero: XeroSandbox):
    config = xero.config()
    config["credentials"]["client_secret"] = "wrong"
    status, message = check(config)
    assert status == Status.FAILED
    assert message.startswith("Config field 'credentials.client_secret': Xero rejected")


def test_the_cli_check_prints_one_status_and_no_secret(xero: XeroSandbox, tmp_path: Path):
    config = xero.config(auth="oauth")
    config["credentials"]["tenant_id"] = OTHER_TENANT
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    done = subprocess.run(  # noqa: S603 (the connector's own console script)
        [str(Path(sys.executable).with_name("source-xero")), "check", "--config", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    statuses = [
        json.loads(line)["connectionStatus"]
        for line in done.stdout.splitlines()
        if '"CONNECTION_STATUS"' in line
    ]
    assert [s["status"] for s in statuses] == ["FAILED"]
    assert "'credentials.tenant_id'" in statuses[0]["message"]
    # Only the config handed back to the platform (CONNECTOR_CONFIG) carries the credentials.
    lines = [line for line in done.stdout.splitlines() if '"CONTROL"' not in line]
    output = "\n".join(lines) + done.stderr
    for secret in (config["credentials"]["client_secret"], config["credentials"]["refresh_token"]):
        assert secret not in output
