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

import pytest
import requests

from keap_xero_sandbox.leaks import find_leaks

from .pipeline import Pipeline

BIN = Path(sys.executable).parent
SECRET_FIELDS = ("client_secret", "refresh_token", "access_token", "api_key")
MISTYPED = "mistyped-secret-0123456789abcdef"


def with_credentials(config: Path, **changes: str) -> None:
    """A connector's config whose credentials are changed by `changes`."""
    stored = json.loads(config.read_text())
    stored["credentials"].update(changes)
    config.write_text(json.dumps(stored))


def spent_keap_token(pipeline: Pipeline) -> None:
    """The refresh token a refresh has already spent."""
    credentials = json.loads(pipeline.source_config.read_text())["credentials"]
    requests.post(
        f"{pipeline.sandbox.url}/token",
        data={"grant_type": "refresh_token", "refresh_token": credentials["refresh_token"]},
        auth=(credentials["client_id"], credentials["client_secret"]),
        timeout=10,
    ).raise_for_status()


def keap_token_endpoint_failing(pipeline: Pipeline) -> None:
    pipeline.sandbox.faults.add(
        api="keap", path="/token", status=400, count=None, body={"error": "?"}
    )


def revoked_xero_token(pipeline: Pipeline) -> None:
    app = pipeline.sandbox.xero.credentials()["oauth_app"]
    pipeline.sandbox.xero.identity.revoke(
        app["client_id"], app["client_secret"], app["refresh_token"]
    )


def xero_token_endpoint_failing(pipeline: Pipeline) -> None:
    pipeline.sandbox.faults.add(api="xero", path="/connect/token", status=401, count=None)


# Each case changes the pipeline's config of one connector (destination-xero's signs in with the
# Xero OAuth app), or the sandbox.
CASES: dict[str, tuple[str, Callable[[Pipeline], None]]] = {
    "a spent Keap refresh token": ("source-keap", spent_keap_token),
    "a mistyped Keap client secret": (
        "source-keap",
        lambda pipeline: with_credentials(pipeline.source_config, client_secret=MISTYPED),
    ),
    "an unknown Keap API key": (
        "source-keap",
        lambda pipeline: with_credentials(
            pipeline.source_config, auth_type="api_key", api_key="KeapAK-" + MISTYPED
        ),
    ),
    "Keap's token endpoint answering nonsense": ("source-keap", keap_token_endpoint_failing),
    "a revoked Xero refresh token": ("destination-xero", revoked_xero_token),
    "a mistyped Xero client secret": (
        "destination-xero",
        lambda pipeline: with_credentials(pipeline.destination_config, client_secret=MISTYPED),
    ),
    "Xero's token endpoint refusing the client": ("destination-xero", xero_token_endpoint_failing),
}


@pytest.mark.parametrize("case", CASES)
def test_a_refused_credential_fails_the_check_without_printing_a_secret(
    case: str, pipeline: Pipeline
) -> None:
    connector, make = CASES[case]
    pipeline.use_xero_oauth_app()
    make(pipeline)
    config_path = {
        "source-keap": pipeline.source_config,
        "destination-xero": pipeline.destination_config,
    }[connector]
    config = json.loads(config_path.read_text())

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
        assert find_leaks(output, where, given | pipeline.sandbox.secrets()) == []
