"""Credentials on the paths where they are refused: each connector's `check`, run as the console
script, with a credential the vendor refuses or a token endpoint that fails, fails without
ever printing a secret, whether the sandbox issued it or not (a mistyped secret is still a
secret), in its status, its error traces (stack traces included) or on stderr. Every test is
also covered by the session's leak check (`keap_xero_sandbox.leaks`); these look for the config's
own values too, which that check cannot know.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from keap_xero_sandbox.leaks import find_leaks

BIN = Path(sys.executable).parent
SECRET_FIELDS = ("client_secret", "refresh_token", "access_token", "api_key")
MISTYPED = "mistyped-secret-0123456789abcdef"


def source_keap(sandbox, **credentials: str) -> dict[str, Any]:
    issued = sandbox.keap.credentials()
    oauth = {
        "auth_type": "oauth2.0",
        "client_id": issued["client_id"],
        "client_secret": issued["client_secret"],
        "refresh_token": issued["refresh_token"],
    }
    return {
        "credentials": {**oauth, **credentials},
        "start_from": {"start_type": "beginning"},
        "api_url": sandbox.url,
    }


def destination_xero(sandbox, **credentials: str) -> dict[str, Any]:
    app = sandbox.xero.credentials()["oauth_app"]
    oauth = {
        "auth_type": "oauth2_app",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "refresh_token": app["refresh_token"],
        "tenant_id": sandbox.xero.default_ledger_id,
    }
    return {
        "credentials": {**oauth, **credentials},
        "invoices": {
            "sales_account_code": "200",
            "tax": {"mode": "source_tax_lines", "tax_account_code": "820"},
        },
        "payments": {"account_code": "090"},
        "advanced": {"api_base_url": sandbox.url, "identity_base_url": sandbox.url},
    }


def spent_keap_token(sandbox) -> dict[str, Any]:
    """The refresh token a refresh has already spent."""
    config = source_keap(sandbox)
    credentials = config["credentials"]
    requests.post(
        f"{sandbox.url}/token",
        data={"grant_type": "refresh_token", "refresh_token": credentials["refresh_token"]},
        auth=(credentials["client_id"], credentials["client_secret"]),
        timeout=10,
    ).raise_for_status()
    return config


def keap_token_endpoint_failing(sandbox) -> dict[str, Any]:
    sandbox.faults.add(api="keap", path="/token", status=400, count=None, body={"error": "?"})
    return source_keap(sandbox)


def revoked_xero_token(sandbox) -> dict[str, Any]:
    app = sandbox.xero.credentials()["oauth_app"]
    sandbox.xero.identity.revoke(app["client_id"], app["client_secret"], app["refresh_token"])
    return destination_xero(sandbox)


def xero_token_endpoint_failing(sandbox) -> dict[str, Any]:
    sandbox.faults.add(api="xero", path="/connect/token", status=401, count=None)
    return destination_xero(sandbox)


CASES: dict[str, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    "a spent Keap refresh token": ("source-keap", spent_keap_token),
    "a mistyped Keap client secret": (
        "source-keap",
        lambda sandbox: source_keap(sandbox, client_secret=MISTYPED),
    ),
    "an unknown Keap API key": (
        "source-keap",
        lambda sandbox: source_keap(sandbox, auth_type="api_key", api_key="KeapAK-" + MISTYPED),
    ),
    "Keap's token endpoint answering nonsense": ("source-keap", keap_token_endpoint_failing),
    "a revoked Xero refresh token": ("destination-xero", revoked_xero_token),
    "a mistyped Xero client secret": (
        "destination-xero",
        lambda sandbox: destination_xero(sandbox, client_secret=MISTYPED),
    ),
    "Xero's token endpoint refusing the client": ("destination-xero", xero_token_endpoint_failing),
}


@pytest.mark.parametrize("case", CASES)
def test_a_refused_credential_fails_the_check_without_printing_a_secret(
    case: str, sandbox, tmp_path: Path
) -> None:
    connector, make = CASES[case]
    config = make(sandbox)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))

    run = subprocess.run(  # noqa: S603 (a connector's console script, on loopback)
        [str(BIN / connector), "check", "--config", str(config_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    messages = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    failures = [
        m["connectionStatus"]["message"] for m in messages if m["type"] == "CONNECTION_STATUS"
    ] + [m["trace"]["error"]["message"] for m in messages if m["type"] == "TRACE"]
    assert failures, run.stdout[-2000:]
    given = {config["credentials"][f] for f in SECRET_FIELDS if config["credentials"].get(f)}
    for where, output in (("stdout", run.stdout), ("stderr", run.stderr)):
        assert find_leaks(output, where, given | sandbox.secrets()) == []
