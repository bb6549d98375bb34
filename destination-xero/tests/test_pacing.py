"""Admission control from Xero's rate-limit headers, and the helpers every batch call uses."""

from __future__ import annotations

import threading
from urllib.parse import urlencode

import pytest
import requests

from destination_xero.client import idempotency_key, query_chunks
from destination_xero.pacing import DailyLimitError, Pacer

# A broken pacer would block forever: fail fast instead.
pytestmark = pytest.mark.timeout(30)


def answer(status: int = 200, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update({name.replace("_", "-"): value for name, value in headers.items()})
    return response


def acquire_in_thread(pacer: Pacer) -> threading.Event:
    admitted = threading.Event()
    threading.Thread(target=lambda: (pacer.acquire(), admitted.set()), daemon=True).start()
    return admitted


def test_at_most_five_calls_in_flight() -> None:
    pacer = Pacer(5)
    for _ in range(5):
        pacer.acquire()
    sixth = acquire_in_thread(pacer)
    assert not sixth.wait(0.2)
    pacer.release(answer(X_MinLimit_Remaining="50"))
    assert sixth.wait(5)


def test_a_spent_window_lets_one_call_go_alone() -> None:
    pacer = Pacer(5)
    pacer.acquire()
    pacer.release(answer(X_MinLimit_Remaining="0"))
    pacer.acquire()  # goes at once: it finds the window reset, or brings back the wait
    second = acquire_in_thread(pacer)
    assert not second.wait(0.2)
    pacer.release(answer(X_MinLimit_Remaining="59"))
    assert second.wait(5)


def test_calls_in_flight_count_against_what_the_window_allows() -> None:
    pacer = Pacer(5)
    for _ in range(3):
        pacer.acquire()
    # Two others are still in flight: of the 3 left, only 1 more may go.
    pacer.release(answer(X_MinLimit_Remaining="3"))
    pacer.acquire()
    blocked = acquire_in_thread(pacer)
    assert not blocked.wait(0.2)
    for _ in range(3):
        pacer.release(answer(X_MinLimit_Remaining="55"))
    assert blocked.wait(5)


def test_the_daily_limit_stops_every_later_call() -> None:
    pacer = Pacer(5)
    pacer.acquire()
    pacer.release(answer(429, X_Rate_Limit_Problem="day", Retry_After="3600"))
    with pytest.raises(DailyLimitError) as stopped:
        pacer.acquire()
    assert stopped.value.retry_after == 3600


def test_a_minute_limit_holds_every_call_for_retry_after() -> None:
    pacer = Pacer(5)
    pacer.acquire()
    pacer.release(answer(429, X_Rate_Limit_Problem="minute", Retry_After="30"))
    held = acquire_in_thread(pacer)
    assert not held.wait(0.3)


def test_query_chunks_stay_under_the_url_limit_and_keep_every_value() -> None:
    numbers = [f"KEAP-{n:06d}" for n in range(1_000)]
    chunks = list(query_chunks("InvoiceNumbers", numbers, max_chars=500))
    assert [n for chunk in chunks for n in chunk] == numbers
    assert all(len(urlencode({"InvoiceNumbers": ",".join(chunk)})) <= 500 for chunk in chunks)
    assert len(chunks) > 1


def test_idempotency_key_is_a_function_of_the_request() -> None:
    body = {"Invoices": [{"InvoiceNumber": "2087"}]}
    key = idempotency_key("PUT", "/Invoices", {"summarizeErrors": "false"}, body)
    assert key == idempotency_key("PUT", "/Invoices", {"summarizeErrors": "false"}, body)
    assert len(key) <= 128
    other = {"Invoices": [{"InvoiceNumber": "2088"}]}
    assert key != idempotency_key("PUT", "/Invoices", {"summarizeErrors": "false"}, other)
    assert key != idempotency_key("POST", "/Invoices", {"summarizeErrors": "false"}, body)
