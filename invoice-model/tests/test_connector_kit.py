"""The shared connector pieces: base-URL rules, config errors, backoff, and a destination's
writer made only once there is a record to write."""

import datetime as dt
from email.utils import format_datetime

import pytest
import requests
from airbyte_cdk.models import AirbyteStreamStatus, FailureType, Type
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model import examples
from invoice_model.connector.config import base_url, config_error
from invoice_model.connector.destination import Outcome, RecordWriter, write_when_records_come
from invoice_model.connector.http import RetryAfterBackoff, retry_after_seconds
from invoice_model.connector.oauth import basic_auth_header
from invoice_model.contract import INVOICES
from keap_xero_sandbox.destinations import record, state, stream_status

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


@pytest.mark.parametrize(
    ("host", "what"),
    [
        ("169.254.169.254", "link-local"),
        ("169.254.43518", "link-local"),  # inet_aton's shorthand
        ("2852039166", "link-local"),  # 169.254.169.254 as one number
        ("0xa9fea9fe", "link-local"),
        ("0251.0376.0251.0376", "link-local"),
        ("[fe80::1]", "link-local"),
        ("[fe80::1%25eth0]", "link-local"),
        ("[::ffff:169.254.169.254]", "link-local"),  # IPv4-mapped
        ("[::ffff:a9fe:a9fe]", "link-local"),
        ("[::169.254.169.254]", "link-local"),  # IPv4-compatible
        ("[64:ff9b::a9fe:a9fe]", "link-local"),  # NAT64
        ("[2002:a9fe:a9fe::1]", "link-local"),  # 6to4
        ("metadata.google.internal", "cloud metadata"),
        ("METADATA.google.internal.", "cloud metadata"),
        ("metadata", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("[fd00:ec2::254]", "cloud metadata"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 (a host refused, not bound)
        ("0", "unspecified"),
        ("[::]", "unspecified"),
        ("[::ffff:0.0.0.0]", "unspecified"),
        ("255.255.255.255", "broadcast"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_base_urls_a_connector_must_never_call_are_refused(host, what):
    with pytest.raises(AirbyteTracedException) as caught:
        base_url({"api_url": f"https://{host}/crm"}, "api_url", DEFAULT)
    assert caught.value.failure_type == FailureType.config_error
    message = caught.value.message
    assert message.startswith("Config field 'api_url': ")
    assert what in message
    assert f"give the API's own address ({DEFAULT})" in message
    with pytest.raises(AirbyteTracedException):
        base_url({"api_url": f"http://{host}:8080"}, "api_url", DEFAULT)


@pytest.mark.parametrize(
    "host", ["api.xero.com", "10.0.0.5", "[2001:db8::1]", "metadata.example.com", "169.254.x"]
)
def test_other_hosts_are_not_refused_for_where_they_are(host):
    assert base_url({"api_url": f"https://{host}"}, "api_url", DEFAULT) == f"https://{host}"


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


def test_backoff_of_a_429_obeys_retry_after_else_grows_with_jitter_up_to_the_cap():
    strategy = RetryAfterBackoff(base_seconds=1, cap_seconds=8)
    assert strategy.backoff_time(_response({"Retry-After": "42"}), 1) == 42
    assert strategy.backoff_time(_response({"Retry-After": "0"}), 1) > 0
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (9, 8)]:
        waits = [strategy.backoff_time(_response({}), attempt) for _ in range(50)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits)


def test_backoff_waits_for_rate_limits_and_for_a_503_that_says_when():
    """The CDK words every wait a strategy asks for as a rate limit (naming the status): another
    5xx, a 503 without `Retry-After` or a call without an answer gets none from it, and is
    retried with the CDK's own backoff, worded as an error."""
    strategy = RetryAfterBackoff(base_seconds=1, cap_seconds=8)
    assert strategy.backoff_time(_status(503, {"Retry-After": "5"}), 1) == 5
    assert strategy.backoff_time(_status(503, {"Retry-After": "0"}), 1) > 0
    assert strategy.backoff_time(_status(503, {}), 1) is None
    assert strategy.backoff_time(_status(500, {"Retry-After": "5"}), 1) is None
    assert strategy.backoff_time(requests.ConnectionError(), 1) is None


def _status(status, headers):
    response = _response(headers)
    response.status_code = status
    return response


def test_basic_auth_header():
    assert basic_auth_header("id", "secret") == "Basic aWQ6c2VjcmV0"


class Books(RecordWriter):
    """A destination that keeps what it is given, each record created."""

    system = "Books"
    source_written_here = "books"

    def __init__(self) -> None:
        super().__init__(fail_on_invalid_record=True)
        self.kept: list[str] = []

    def commit(self, invoices, payments, notices) -> None:
        for data in [*invoices, *payments]:
            self.kept.append(data["source_id"])
            self.count(INVOICES.name, Outcome.CREATED)

    def usage(self) -> str:
        return "no calls"

    def close(self) -> None:
        pass


def test_a_destination_makes_its_writer_at_the_first_record_with_what_came_before():
    made: list[Books] = []

    def writer() -> Books:
        made.append(Books())
        return made[-1]

    invoice = examples.invoice(source="xero")
    messages = [
        stream_status("payments", "COMPLETE"),
        state("invoices", "1"),
        record("invoices", invoice),
        state("invoices", "2"),
    ]
    told = list(write_when_records_come(messages, writer, "Books"))

    [books] = made
    assert books.kept == [invoice["source_id"]]
    assert books.statuses == {"payments": AirbyteStreamStatus.COMPLETE}  # came before it
    echoed = [m.state.destinationStats.recordCount for m in told if m.type == Type.STATE]
    assert echoed == [0, 1]


def test_a_destination_sent_no_record_never_makes_its_writer():
    def writer() -> Books:
        raise AssertionError("made without a record to write")

    messages = [stream_status("invoices", "STARTED"), state("invoices", "1")]
    told = list(write_when_records_come(messages, writer, "Books"))

    assert [m.type for m in told] == [Type.STATE, Type.LOG]
    assert told[0].state.destinationStats.recordCount == 0
    assert told[1].log.message == "Books: no records"
