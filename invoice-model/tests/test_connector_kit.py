"""The shared connector pieces: base-URL rules, config errors and backoff."""

import datetime as dt
from email.utils import format_datetime

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model.connector.config import base_url, config_error
from invoice_model.connector.http import RetryAfterBackoff, retry_after_seconds
from invoice_model.connector.oauth import basic_auth_header

DEFAULT = "https://api.xero.com/api.xro/2.0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, DEFAULT),
        ("https://api.example.com/base/", "https://api.example.com/base"),
        ("http://127.0.0.1:8080/api.xro/2.0", "http://127.0.0.1:8080/api.xro/2.0"),
        ("http://localhost:5000", "http://localhost:5000"),
        ("http://[::1]:5000/x", "http://[::1]:5000/x"),
    ],
)
def test_base_url_accepts_https_anywhere_and_http_on_loopback(value, expected):
    assert base_url({"advanced": {"api_url": value}}, "advanced.api_url", DEFAULT) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("http://api.example.com", "must use https"),
        ("http://10.0.0.5:8080", "must use https"),
        ("ftp://127.0.0.1", "not an http(s) URL"),
        ("127.0.0.1:8080", "not an http(s) URL"),
        ("https://api.example.com/?token=x", "query string"),
    ],
)
def test_base_url_refusals_name_the_field(value, reason):
    with pytest.raises(AirbyteTracedException) as caught:
        base_url({"api_url": value}, "api_url", DEFAULT)
    assert caught.value.failure_type == FailureType.config_error
    assert caught.value.message.startswith("Config field 'api_url': ")
    assert reason in caught.value.message


def test_config_error_is_a_config_error():
    error = config_error("credentials.tenant_id", "no such tenant")
    assert error.failure_type == FailureType.config_error
    assert error.message == "Config field 'credentials.tenant_id': no such tenant"


def _response(headers):
    response = requests.Response()
    response.status_code = 429
    response.headers.update(headers)
    return response


def test_retry_after_in_seconds_and_as_a_date():
    assert retry_after_seconds(_response({"Retry-After": "17"})) == 17
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    told = retry_after_seconds(_response({"Retry-After": format_datetime(soon, usegmt=True)}))
    assert 25 <= told <= 30
    assert retry_after_seconds(_response({"Retry-After": "soon"})) is None
    assert retry_after_seconds(_response({})) is None


def test_backoff_obeys_retry_after_else_grows_with_jitter_up_to_the_cap():
    strategy = RetryAfterBackoff(base_seconds=1, cap_seconds=8)
    assert strategy.backoff_time(_response({"Retry-After": "42"}), 1) == 42
    assert strategy.backoff_time(_response({"Retry-After": "0"}), 1) > 0
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (9, 8)]:
        waits = [strategy.backoff_time(_response({}), attempt) for _ in range(50)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
    assert 0.5 <= strategy.backoff_time(requests.ConnectionError(), 1) <= 1


def test_basic_auth_header():
    assert basic_auth_header("id", "secret") == "Basic aWQ6c2VjcmV0"
