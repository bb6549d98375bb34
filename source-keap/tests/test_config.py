"""Reading the config: start points, the day boundary of an invoice date, the API base URL."""

import datetime as dt

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_keap.config import Beginning, FromInvoiceDate, FromInvoiceId, KeapConfig

UTC = dt.UTC


def parse(**config):
    return KeapConfig.parse({"credentials": {"auth_type": "api_key", "api_key": "k"}, **config})


def test_defaults_read_keap_itself_from_the_beginning_without_synced_orders():
    config = parse()
    assert config.start_from == Beginning()
    assert config.rest_url == "https://api.infusionsoft.com/crm/rest/v2"
    assert config.token_url == "https://api.infusionsoft.com/token"
    assert config.include_written_by_sync is False


def test_each_start_point():
    assert parse(start_from={"start_type": "beginning"}).start_from == Beginning()
    by_id = parse(start_from={"start_type": "invoice_id", "invoice_id": " 2087 "}).start_from
    assert by_id == FromInvoiceId("2087")
    by_date = parse(start_from={"start_type": "invoice_date", "invoice_date": "2024-03-01"})
    assert by_date.start_from == FromInvoiceDate(dt.date(2024, 3, 1), None)


def test_an_invoice_date_begins_at_midnight_in_the_configured_zone_else_the_accounts():
    start = FromInvoiceDate(dt.date(2024, 3, 1), None)
    assert start.first_instant(None) == dt.datetime(2024, 3, 1, tzinfo=UTC)
    assert start.first_instant("America/New_York") == dt.datetime(2024, 3, 1, 5, tzinfo=UTC)
    chosen = FromInvoiceDate(dt.date(2024, 7, 1), "Europe/Paris")
    assert chosen.first_instant("America/New_York") == dt.datetime(2024, 6, 30, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (
            {"start_from": {"start_type": "invoice_id", "invoice_id": "INV-1"}},
            "start_from.invoice_id",
        ),
        (
            {"start_from": {"start_type": "invoice_date", "invoice_date": "1/3/2024"}},
            "start_from.invoice_date",
        ),
        (
            {
                "start_from": {
                    "start_type": "invoice_date",
                    "invoice_date": "2024-03-01",
                    "time_zone": "Mars/Olympus",
                }
            },
            "start_from.time_zone",
        ),
        ({"start_from": {"start_type": "last_week"}}, "start_from.start_type"),
        ({"api_url": "http://api.example.com"}, "api_url"),
    ],
)
def test_mistakes_are_config_errors_naming_the_field(config, field):
    with pytest.raises(AirbyteTracedException) as caught:
        parse(**config)
    assert caught.value.failure_type == FailureType.config_error
    assert caught.value.message.startswith(f"Config field '{field}': ")


def test_a_loopback_sandbox_may_use_plain_http():
    config = parse(api_url="http://127.0.0.1:8765/")
    assert config.rest_url == "http://127.0.0.1:8765/crm/rest/v2"
