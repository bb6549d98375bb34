import datetime as dt

import pytest

from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.ratelimit import Limits


@pytest.fixture
def clock():
    clock = Clock(dt.datetime(2024, 1, 1, 12, 0, 30, tzinfo=dt.UTC))
    clock.freeze()
    return clock


def test_window_counts_per_key_and_resets_after_its_length(clock):
    limits = Limits(clock)
    limits.window("minute", 2, 60)
    assert limits.acquire([("minute", "a")]).allowed
    assert limits.acquire([("minute", "a")]).allowed
    refused = limits.acquire([("minute", "a")])
    assert (refused.allowed, refused.exceeded, refused.retry_after) == (False, "minute", 60)
    assert limits.acquire([("minute", "b")]).allowed  # each tenant has its own window
    clock.advance(59)
    assert limits.acquire([("minute", "a")]).retry_after == 1
    clock.advance(1)
    assert limits.acquire([("minute", "a")]).allowed
    assert limits.remaining("minute", "a") == 1


def test_window_starts_at_first_call_unless_aligned(clock):
    limits = Limits(clock)
    limits.window("rolling", 1, 86_400)
    limits.window("daily", 1, 86_400, aligned=True)
    limits.acquire([("rolling", "k"), ("daily", "k")])
    # 12:00:30 UTC: the aligned window resets at midnight UTC, the rolling one a day after.
    assert limits.resets_at("daily", "k") == dt.datetime(2024, 1, 2, tzinfo=dt.UTC).timestamp()
    assert limits.resets_at("rolling", "k") == clock.timestamp() + 86_400


def test_refused_calls_count_in_no_window(clock):
    limits = Limits(clock)
    limits.window("minute", 5, 60)
    limits.window("day", 1, 86_400)
    assert limits.acquire([("minute", "k"), ("day", "k")]).allowed
    refused = limits.acquire([("minute", "k"), ("day", "k")])
    assert refused.exceeded == "day"
    assert limits.used("minute", "k") == 1


def test_configure_lift_and_disable(clock):
    limits = Limits(clock)
    limits.window("minute", 1, 60)
    limits.acquire([("minute", "k")])
    limits.configure("minute", None)
    assert all(limits.acquire([("minute", "k")]).allowed for _ in range(100))
    assert limits.remaining("minute", "k") is None
    limits.configure("minute", 1, seconds=2)
    assert limits.seconds_of("minute") == 2
    limits.enabled = False
    assert all(limits.acquire([("minute", "k")]).allowed for _ in range(5))
    with pytest.raises(KeyError, match="limits: \\['minute'\\]"):
        limits.configure("hour", 1)


def test_concurrency_cap(clock):
    limits = Limits(clock)
    limits.concurrency("concurrent", 2)
    with (
        limits.in_flight("concurrent", "k") as first,
        limits.in_flight("concurrent", "k") as second,
    ):
        with limits.in_flight("concurrent", "k") as third:
            assert (first, second, third) == (True, True, False)
        with limits.in_flight("concurrent", "other") as elsewhere:
            assert elsewhere
    with limits.in_flight("concurrent", "k") as again:
        assert again
