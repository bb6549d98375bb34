"""Exactly once when a sync dies: killed, or failed by Keap, then resumed from the last state the
destination echoed (as the Airbyte platform does) until a sync completes. Xero must end with
every Keap invoice and payment once, amounts paid to the cent (`books.assert_exact` reads
Keap's books from the sandbox, not from what the source emitted).

The account is small but read in many pages (Keap's largest page is cut to `PAGE`), so each
stream saves its state several times a sync and every interruption meets several checkpoints.
Xero's minute limit is lifted, so that syncs following each other within a minute are not paced;
its daily limit and concurrency are as Xero has them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

import pytest

from destination_xero import client as xero_client
from invoice_model.connector.keap import errors as keap_errors
from keap_xero_sandbox.sandbox import Sandbox

from .books import assert_exact
from .pipeline import Kill

PAGE = 40
ORDERS = "/crm/rest/v2/orders"
# One call and every retry source-keap makes of it.
BEYOND_RETRIES = keap_errors.MAX_RETRIES + 1
# Keap sends no Retry-After; these faults do, so that nine tries take seconds, not minutes.
AT_ONCE = {"Retry-After": "0"}


@pytest.fixture
def account(sandbox: Sandbox) -> dict[str, Any]:
    return seed(sandbox)


def seed(sandbox, seed: int = 1) -> dict[str, Any]:
    """About 210 orders (subscriptions' included) and 180 payments over 120 contacts: paid, partly
    paid, refunded and voided, in four currencies, and four orders destination-keap wrote (left
    out, but they make source-keap read the orders' custom-field model); read 40 to a page."""
    sandbox.keap.largest_page = PAGE
    sandbox.xero.limits.configure("minute", 100_000)
    return sandbox.seed(
        keap={
            "seed": seed,
            "orders": 200,
            "synced_orders": 4,
            "contacts": 120,
            "currencies": {"USD": 0.7, "EUR": 0.1, "GBP": 0.1, "JPY": 0.1},
        }
    )["keap"]


def pages(account: dict[str, Any]) -> int:
    """How many pages of orders each stream reads in a full sync."""
    return math.ceil(account["orders"] / PAGE)


@pytest.mark.parametrize("stream", ["invoices", "payments"])
def test_the_destination_killed_between_state_echoes_loses_no_payment(pipeline, account, stream):
    # After the stream's third state: `invoices` echoes one a page, then `payments` does.
    echoes = 3 + (pages(account) if stream == "payments" else 0)
    killed = pipeline.run(Kill("destination", echoes))

    assert killed.destination_exit == -9
    assert killed.echoed[-1]["stream"]["stream_descriptor"]["name"] == stream
    pipeline.until_complete()
    assert_exact(pipeline.sandbox, pipeline.xero())


@pytest.mark.parametrize("stream", ["invoices", "payments"])
def test_the_source_killed_mid_stream_loses_no_payment(pipeline, account, stream):
    # Half a page into the stream's third page: what is emitted of it reaches the destination,
    # the state after it never does.
    invoices = account["orders"]
    after = 2 * PAGE + PAGE // 2 + (invoices if stream == "payments" else 0)
    killed = pipeline.run(Kill("source", after))

    assert killed.source_exit == -9
    pipeline.until_complete()
    assert_exact(pipeline.sandbox, pipeline.xero())


# Where Keap fails: the endpoint, which stream's call, and how many of that stream's calls to the
# endpoint go through first. Each stream lists every order, a page at a time; `invoices` looks up
# the contacts of each page and the payments of every order it reads, for `payments` too, which
# then looks up none of its own (but for an order changed between the two streams).
WHERE_KEAP_FAILS = [
    ("businessProfile", "invoices", 0),
    ("orders/model", "invoices", 0),
    ("orders", "invoices", 2),
    ("contacts", "invoices", 2),
    ("sales/payments", "invoices", 2),
    ("orders", "payments", 2),
]


@pytest.mark.parametrize(("endpoint", "stream", "calls_before"), WHERE_KEAP_FAILS)
def test_keap_failing_beyond_the_retries_on_each_endpoint_loses_no_payment(
    pipeline, account, endpoint, stream, calls_before
):
    pipeline.sandbox.faults.add(
        api="keap",
        path=f"/crm/rest/v2/{endpoint}",
        status=503,
        skip=calls_before + (calls_by_invoices(account, endpoint) if stream == "payments" else 0),
        count=BEYOND_RETRIES,
        headers=AT_ONCE,
    )
    failed = pipeline.run()

    assert not failed.completed
    assert failing_streams(failed) == [stream]
    pipeline.until_complete()
    assert_exact(pipeline.sandbox, pipeline.xero())


@pytest.mark.parametrize("stream", ["invoices", "payments"])
def test_keaps_daily_quota_reached_on_each_stream_loses_no_payment(pipeline, account, stream):
    # The quota runs out as the stream asks for its third page of orders.
    skip = 2 + (calls_by_invoices(account, "orders") if stream == "payments" else 0)
    quota = pipeline.sandbox.keap.limits
    at_keap_call(pipeline, "orders", skip, lambda: quota.configure("tenant_day", 0))
    failed = pipeline.run()

    assert not failed.completed
    assert failing_streams(failed) == [stream]
    assert "daily API quota" in failed.source_errors[0]["message"]
    quota.configure("tenant_day", 250_000)
    pipeline.until_complete()
    assert_exact(pipeline.sandbox, pipeline.xero())


def calls_by_invoices(account: dict[str, Any], endpoint: str) -> int:
    """How many times the invoices stream calls `endpoint` in a full sync: once a page."""
    return pages(account)


def failing_streams(sync) -> list[str]:
    return [
        e["stream_descriptor"]["name"] for e in sync.source_errors if e.get("stream_descriptor")
    ]


def at_keap_call(pipeline, endpoint: str, skip: int, action) -> None:
    """Runs `action` as the source makes its (`skip` + 1)-th call to `endpoint`, before Keap
    serves it."""
    pipeline.sandbox.faults.add(
        api="keap", path=f"/crm/rest/v2/{endpoint}", kind="hook", skip=skip, run=action
    )


KILL_SEED = 20261125
KILLS = 20
# How far each kill may come: a fresh account takes about 400 records, 12 state echoes and 20
# Xero calls (3 before the destination reads anything); a sync resumed after a few kills, less.
REACH = {"source": 90, "destination": 3, "xero": 9}


def kill_points(seed: int) -> Iterator[tuple[str, int]]:
    """Kills drawn from `seed`, to replay a failure: the source after some records, the
    destination after some state echoes, or the destination while Xero holds back the answer
    to one of its calls."""
    draw = random.Random(seed)  # noqa: S311 (replayable kill points, not cryptography)
    while True:
        side = draw.choice(list(REACH))
        yield side, draw.randint(1, REACH[side])


@pytest.mark.slow
@pytest.mark.timeout(900)  # about 25 syncs: room for a busy machine
def test_syncs_killed_at_seeded_points_on_both_sides_and_resumed_lose_and_duplicate_nothing(
    pipeline, sandbox
):
    """Each sync of an account is killed at the next point, and resumed from what was echoed,
    until a kill comes too late (the sync completes): then Xero must be exact, and a fresh
    account takes the next kills, until `KILLS` have happened."""
    points, fired, accounts = kill_points(KILL_SEED), [], 0
    while len(fired) < KILLS:
        accounts += 1
        sandbox.reset()
        seed(sandbox, accounts)
        pipeline.states.clear()
        pipeline.with_api_key()
        for side, after in points:
            kill = Kill(side, after)
            if pipeline.run(kill).completed:
                break
            fired.append(str(kill))
            if len(fired) == KILLS:
                pipeline.until_complete()
                break
        replay = f"kill seed {KILL_SEED}, account {accounts}, kills so far {fired}"
        try:
            assert_exact(pipeline.sandbox, pipeline.xero())
        except AssertionError as error:
            raise AssertionError(f"{replay}: {error}") from error

    assert {kill.split()[0] for kill in fired} == set(REACH), fired


STORM_SEED = 7


def storm(sandbox, seed: int) -> None:
    """Faults on both APIs: each API failing beyond its client's retries once, at a point drawn
    from `seed` (the sync ends there, and the next resumes from what was echoed), then 503s,
    429s, dropped connections and answers lost after the write, each striking at seeded random
    among the calls it matches until it has struck `count` times (they outlast a sync)."""
    draw = random.Random(seed)  # noqa: S311 (replayable faults, not cryptography)
    xero, keap = "/api.xro/2.0/*", "/crm/rest/v2/*"
    rules = [
        # Keap gives up: one call and its eight retries (`Retry-After: 0`, for speed).
        {
            "api": "keap",
            "path": keap,
            "status": 503,
            "count": BEYOND_RETRIES,
            "skip": draw.randint(4, 10),
            "headers": AT_ONCE,
        },
        # Xero gives up on a write: one call and every retry destination-xero makes of it.
        {
            "api": "xero",
            "method": "PUT",
            "path": xero,
            "status": 503,
            "count": xero_client.MAX_RETRIES + 1,
            "skip": draw.randint(8, 14),
            "headers": {"Retry-After": "0"},
        },
        {"api": "xero", "path": xero, "status": 503, "count": 4, "probability": 0.08},
        {
            "api": "xero",
            "path": xero,
            "status": 429,
            "count": 3,
            "probability": 0.06,
            "headers": {"Retry-After": "1"},
        },
        {"api": "xero", "path": xero, "kind": "drop", "count": 3, "probability": 0.05},
        # Answers lost after the write: the invoices and payments are in Xero, the
        # destination does not know it.
        {
            "api": "xero",
            "method": "PUT",
            "path": xero,
            "kind": "drop",
            "after": True,
            "count": 4,
            "probability": 0.25,
        },
        {
            "api": "xero",
            "method": "POST",
            "path": xero,
            "status": 503,
            "after": True,
            "count": 2,
            "probability": 0.25,
        },
        {
            "api": "xero",
            "method": "PUT",
            "path": xero,
            "status": 502,
            "after": True,
            "count": 2,
            "probability": 0.2,
        },
        {"api": "keap", "path": keap, "status": 503, "count": 3, "probability": 0.08},
        {"api": "keap", "path": keap, "status": 429, "count": 2, "probability": 0.05},
        {"api": "keap", "path": keap, "kind": "drop", "count": 2, "probability": 0.05},
    ]
    for number, rule in enumerate(rules):
        sandbox.faults.add(seed=seed * 100 + number, **rule)


@pytest.mark.slow
def test_a_fault_storm_on_both_apis_loses_and_duplicates_nothing(pipeline, account):
    storm(pipeline.sandbox, STORM_SEED)

    syncs = pipeline.until_complete()

    assert len(syncs) >= 2, "a sync gave up and the next resumed it"
    struck = {f["id"]: f["fired"] for f in pipeline.sandbox.faults.describe()}
    assert sum(struck.values()) >= 25, struck
    try:
        assert_exact(pipeline.sandbox, pipeline.xero())
    except AssertionError as error:
        raise AssertionError(f"storm seed {STORM_SEED}: {error}") from error
