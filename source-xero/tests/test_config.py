"""Config → settings: defaults, and every mistake reported as a config error naming its field,
before any call to Xero; the spec the platform shows."""

from __future__ import annotations

import copy
import datetime as dt
import logging
from typing import Any

import pytest
from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.test.standard_tests._spec_lint import assert_spec_is_valid
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

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
    result = copy.deepcopy(OFFLINE)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return result


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
