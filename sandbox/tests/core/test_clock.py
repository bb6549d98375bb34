import datetime as dt
import time

import pytest

from keap_xero_sandbox.clock import Clock

UTC = dt.UTC


def test_clock_starts_where_asked_and_runs_in_real_time():
    start = dt.datetime(2024, 1, 1, tzinfo=UTC)
    clock = Clock(start)
    time.sleep(0.01)
    elapsed = (clock.now() - start).total_seconds()
    assert 0.01 <= elapsed < 1


def test_frozen_clock_only_moves_when_advanced():
    clock = Clock(dt.datetime(2024, 1, 1, tzinfo=UTC))
    clock.freeze()
    first = clock.now()
    time.sleep(0.01)
    assert clock.now() == first
    assert clock.advance(1800) == first + dt.timedelta(minutes=30)
    assert clock.describe()["frozen"] is True


def test_fast_clock_and_retry_after_in_real_seconds():
    clock = Clock(dt.datetime(2024, 1, 1, tzinfo=UTC), speed=600)
    time.sleep(0.05)
    assert (clock.now() - dt.datetime(2024, 1, 1, tzinfo=UTC)).total_seconds() >= 30
    assert clock.to_real_seconds(60) == 1  # a sandbox minute is a tenth of a real second
    assert clock.to_real_seconds(86_400) == 144
    clock.set_speed(1)
    assert clock.to_real_seconds(59.2) == 60


def test_clock_never_goes_back():
    clock = Clock()
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="backwards"):
        clock.set(clock.now() - dt.timedelta(days=1))
    with pytest.raises(ValueError, match="aware"):
        clock.set(dt.datetime(2030, 1, 1))  # noqa: DTZ001 (naive on purpose)
    with pytest.raises(ValueError, match=">= 0"):
        clock.set_speed(-2)


def test_set_moves_to_a_future_moment():
    clock = Clock()
    clock.freeze()
    target = clock.now() + dt.timedelta(days=2)
    clock.set(target)
    assert clock.now() == target
