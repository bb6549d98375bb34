"""Config → settings: defaults, and every mistake reported as a config error naming its field,
before any call to Xero; the spec the platform shows."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.test.standard_tests._spec_lint import assert_spec_is_valid
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from keap_xero_sandbox.destinations import edited
from source_xero import SourceXero
from source_xero.config import read_settings

OFFLINE: dict[str, Any] = {
    "credentials": {
        "auth_type": "oauth2_app",
        "client_id": "app-id",
        "client_secret": "app-secret",
        "refresh_token": "refresh-1",
        "tenant_id": "4a7ad9b0-3f6c-4b5e-9d5e-2d0f1c2b3a4e",
    }
}


def config(**changes: Any) -> dict[str, Any]:
    """OFFLINE with dotted paths set; None deletes."""
    return edited(OFFLINE, **changes)


def test_defaults():
    settings = read_settings(config())
    assert settings.statuses == ("AUTHORISED", "PAID", "VOIDED")
    assert settings.start is None
    assert settings.include_written_by_sync is False
    assert settings.api_url == "https://api.xero.com/api.xro/2.0"
    assert settings.token_url == "https://identity.xero.com/connect/token"
    assert settings.tenant_id == OFFLINE["credentials"]["tenant_id"]


def test_drafts_bring_their_deletions_and_the_start_date_is_utc():
    settings = read_settings(config(statuses=["paid", "DRAFT"], start_date="2024-03-01T05:00:00Z"))
    assert settings.statuses == ("PAID", "DRAFT", "DELETED")
    assert settings.start == dt.datetime(2024, 3, 1, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"credentials": None}, "credentials"),
        ({"credentials.auth_type": "api_key"}, "credentials.auth_type"),
        ({"credentials.tenant_id": None}, "credentials.tenant_id"),
        ({"credentials.refresh_token": " "}, "credentials.refresh_token"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"statuses": []}, "statuses"),
        ({"statuses": ["AUTHORISED", "OVERDUE"]}, "statuses"),
        ({"include_written_by_sync": "yes"}, "include_written_by_sync"),
        ({"advanced.api_base_url": "http://xero.example.com"}, "advanced.api_base_url"),
        ({"advanced.identity_base_url": "ftp://127.0.0.1"}, "advanced.identity_base_url"),
    ],
)
def test_each_mistake_names_its_field(change: dict[str, Any], field: str):
    with pytest.raises(AirbyteTracedException) as caught:
        read_settings(config(**change))
    assert caught.value.failure_type == FailureType.config_error
    assert f"'{field}'" in (caught.value.message or "")


def test_check_reports_a_mistake_without_calling_anyone():
    status = SourceXero().check(logging.getLogger("airbyte"), config(statuses=["LOST"]))
    assert status.status == Status.FAILED
    assert status.message.startswith("Config field 'statuses': LOST is not one of")


def test_the_spec_is_valid_and_offers_both_ways_to_sign_in():
    spec = SourceXero().spec(logging.getLogger("airbyte"))
    assert_spec_is_valid(spec, connector_name="source-xero")
    schema = spec.connectionSpecification
    methods = schema["properties"]["credentials"]["oneOf"]
    assert [m["properties"]["auth_type"]["const"] for m in methods] == [
        "oauth2_app",
        "custom_connection",
    ]
    assert "accounting.invoices.read" in methods[0]["description"]
    assert schema["properties"]["statuses"]["default"] == ["AUTHORISED", "PAID", "VOIDED"]


def _command_line(tmp_path: Path, *arguments: str) -> list[dict[str, Any]]:
    """`source-xero` as the platform runs it: the messages it printed."""
    done = subprocess.run(  # noqa: S603 (the connector's own console script)
        [str(Path(sys.executable).with_name("source-xero")), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_the_command_line_tells_a_config_by_field_and_a_state_by_what_is_wrong(tmp_path: Path):
    """Launched through the connector kit: a config that breaks the spec is told by its field,
    not in jsonschema's words; a --state that is not JSON says so, before any call."""
    (tmp_path / "config.json").write_text(json.dumps(config(**{"credentials.tenant_id": None})))
    said = _command_line(tmp_path, "check", "--config", "config.json")
    [status] = [m["connectionStatus"] for m in said if m["type"] == "CONNECTION_STATUS"]
    assert status["status"] == "FAILED"
    assert status["message"].startswith("Config field 'credentials.tenant_id': is missing")

    (tmp_path / "config.json").write_text(json.dumps(config()))
    (tmp_path / "catalog.json").write_text(json.dumps({"streams": []}))
    (tmp_path / "state.json").write_text("{not json")
    said = _command_line(
        tmp_path,
        *("read", "--config", "config.json", "--catalog", "catalog.json"),
        *("--state", "state.json"),
    )
    [error] = [
        m["trace"]["error"] for m in said if m["type"] == "TRACE" and m["trace"].get("error")
    ]
    assert error["failure_type"] == "config_error"
    assert error["message"].startswith(
        "The state given with --state cannot be used: it is not JSON"
    )
