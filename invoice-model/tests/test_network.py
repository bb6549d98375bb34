"""The connector kit's `network`: calls without an answer described in a user's words, and a run
that gives up on them once they have failed for its patience (at once in `check`)."""

from __future__ import annotations

import socket
import ssl
import time
from datetime import timedelta

import pytest
import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError, ReadTimeoutError

from invoice_model.connector import network
from invoice_model.connector.network import Network, Unreachable, cause, describe

TIMEOUTS = (10.0, 120.0)


def failed_call(error: requests.RequestException, url: str) -> requests.RequestException:
    error.request = requests.Request("GET", url).prepare()
    return error


def test_a_call_without_an_answer_is_described_by_its_host_endpoint_and_cause():
    unresolved = NameResolutionError("api.example.invalid", None, socket.gaierror(-2, "unknown"))
    unresolved.__context__ = socket.gaierror(-2, "Name or service not known")
    error = failed_call(
        requests.ConnectionError(unresolved),
        "https://user:secret@api.example.invalid:8443/crm/rest/v2/contacts?filter=ids==1,2,3",
    )
    assert describe(error, TIMEOUTS) == (
        "api.example.invalid:8443 (GET /crm/rest/v2/contacts): its name does not resolve (DNS)"
    )


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            requests.ConnectionError(ConnectionRefusedError(111, "refused")),
            "the connection was refused",
        ),
        (
            requests.exceptions.SSLError(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER]")),
            "TLS failed",
        ),
        (requests.exceptions.ConnectTimeout(), "no connection within 10 s (timeout)"),
        (
            requests.ReadTimeout(ReadTimeoutError(None, "/", "read timed out")),
            "no answer within 120 s (timeout)",
        ),
        (requests.ConnectionError(ConnectionResetError(104, "reset")), "closed without an answer"),
        (
            requests.ConnectionError(NewConnectionError(None, "cannot open")),
            "no connection could be opened",
        ),
        (requests.ConnectionError("something else"), "the connection failed (ConnectionError)"),
    ],
)
def test_each_cause_in_a_users_words(error: requests.RequestException, said: str):
    assert said in cause(error, TIMEOUTS)


def test_a_run_gives_up_once_calls_have_failed_for_its_patience_and_an_answer_resets_it(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(network, "PATIENCE", timedelta(seconds=0.2))
    run = Network("Keap")
    refused = failed_call(
        requests.ConnectionError(ConnectionRefusedError(111, "refused")),
        "https://api.infusionsoft.com/crm/rest/v2/orders",
    )
    assert run.failed(refused) == (
        "Keap could not be reached at api.infusionsoft.com (GET /crm/rest/v2/orders): the "
        "connection was refused (nothing listens on that port)"
    )
    run.answered()
    time.sleep(0.25)
    run.failed(refused)  # a new streak: the time before the answer does not count
    time.sleep(0.25)
    with pytest.raises(Unreachable) as ended:
        run.failed(refused, "Keap's token endpoint")
    assert ended.value.message.startswith("Keap's token endpoint could not be reached at ")
    assert "Gave up after 2 tries over 0 s; the next sync resumes from the last saved state." in (
        ended.value.message
    )
    assert run.given_up


def test_check_gives_up_at_the_first_call_without_an_answer_and_waits_less_for_one():
    checking = Network("Xero", checking=True)
    assert checking.timeouts == (network.CONNECT_TIMEOUT, network.CHECK_READ_TIMEOUT)
    assert Network("Xero").timeouts == (network.CONNECT_TIMEOUT, network.READ_TIMEOUT)
    with pytest.raises(Unreachable) as ended:
        checking.failed(requests.exceptions.ConnectTimeout())
    assert ended.value.message == (
        "Xero could not be reached at its host: no connection within 10 s (timeout)."
    )
