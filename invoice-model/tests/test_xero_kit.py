"""The connector kit's Xero pieces that need no Xero: the marks destination-xero leaves, the
config of a Xero connection, and the daily-limit stop's message."""

from __future__ import annotations

import datetime as dt

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model.connector.source import DailyLimitReached
from invoice_model.connector.xero.access import read_access
from invoice_model.connector.xero.marks import (
    SOURCE_LINKS,
    invoice_written_by_sync,
    payment_written_by_sync,
)
from invoice_model.dates import utc_now


@pytest.mark.parametrize(
    ("url", "written"),
    [
        (SOURCE_LINKS["keap"].format(source_id="1042"), True),
        ("https://api.infusionsoft.com/crm/rest/v2/orders/", True),
        ("https://shop.example.com/orders/1042", False),
        ("", False),
        (None, False),
    ],
)
def test_invoices_destination_xero_wrote_carry_a_sources_address(url, written):
    assert invoice_written_by_sync(url) is written


@pytest.mark.parametrize(
    ("reference", "written"),
    [
        ("Keap payment 5001 · Credit Card · Paid at the door", True),
        ("keap payment 5001", True),
        ("Cheque payment 12", False),  # reads like ours, but no source of the project
        ("Xero payment 7", False),  # the reverse direction writes no payments to Xero
        ("Paid by bank transfer", False),
        (None, False),
    ],
)
def test_payments_destination_xero_wrote_start_with_the_source_payment(reference, written):
    assert payment_written_by_sync(reference) is written


def test_a_custom_connection_needs_no_tenant_and_urls_come_from_the_base_urls():
    access = read_access(
        {
            "credentials": {
                "auth_type": "custom_connection",
                "client_id": "a",
                "client_secret": "b",
            },
            "advanced": {
                "api_base_url": "http://127.0.0.1:9/",
                "identity_base_url": "http://[::1]:9",
            },
        }
    )
    assert access.tenant_id is None
    assert access.tenant_field is None
    assert access.credential_field == "credentials.client_secret"
    assert access.api_url == "http://127.0.0.1:9/api.xro/2.0"
    assert access.connections_url == "http://127.0.0.1:9/connections"
    assert access.token_url == "http://[::1]:9/connect/token"


def test_a_config_without_credentials_names_the_field():
    with pytest.raises(AirbyteTracedException, match="'credentials': is required") as caught:
        read_access({})
    assert caught.value.failure_type == FailureType.config_error


def test_the_daily_limit_says_when_calls_are_allowed_again():
    resumes = utc_now() + dt.timedelta(hours=5, minutes=12, seconds=20)
    error = DailyLimitReached("Xero's daily call limit", resumes)
    assert error.failure_type == FailureType.transient_error
    assert error.message.startswith("Xero's daily call limit is used up until 20")
    assert "(in 5 h 12 min)" in error.message
    assert "resumes from there" in error.message
    assert "until it resets" in DailyLimitReached("Keap's quota", None).message
