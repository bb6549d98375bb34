"""Keap's throttles and failures: per-minute 429s are waited out, a spent daily quota ends the
sync cleanly after its last saved state, broken answers are named. Faults are injected by the
sandbox, which answers them as Keap does (a 429 with its fault body and headers, no
`Retry-After`)."""

import datetime as dt
import itertools

ORDERS = "/crm/rest/v2/orders"


def test_a_429_storm_is_waited_out_with_growing_waits_without_losing_records(keap):
    keap.seed(orders=30)
    keap.sandbox.faults.add(api="keap", method="GET", path=ORDERS, status=429, count=3)
    run = keap.read(keap.config(), keap.catalog("updated_at"))
    assert sorted(run.ids("invoices"), key=int) == sorted((o["id"] for o in keap.orders()), key=int)
    assert keap.calls(endpoint=ORDERS, status=429) == 3

    # Keap sends no Retry-After: the waits grow, 1 s, 2 s, 4 s (each jittered down to half,
    # and the CDK adds a second). Measured on the sandbox's clock, which runs in real time;
    # lower bounds only, as a slow machine only makes the gaps longer.
    calls = [c for c in keap.sandbox.stats.calls("keap") if c.endpoint == ORDERS]
    assert [c.status for c in calls] == [429, 429, 429, 200]
    times = [dt.datetime.fromisoformat(c.at) for c in calls]
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
    assert [gap >= 1 + 2**attempt / 2 for attempt, gap in enumerate(gaps)] == [True] * 3, gaps


def test_server_errors_and_dropped_connections_are_retried(keap):
    keap.seed(orders=30)
    keap.sandbox.faults.add(api="keap", method="GET", path=ORDERS, status=503, count=1)
    keap.sandbox.faults.add(
        api="keap", method="GET", path="/crm/rest/v2/contacts", kind="drop", count=1
    )
    run = keap.read(keap.config(), keap.catalog("updated_at"))
    assert len(run.ids("invoices")) == len(keap.orders())


def test_a_spent_daily_quota_ends_the_sync_after_its_last_state_and_the_next_resumes(keap):
    keap.seed(orders=2100, contacts=100)
    config, streams = keap.config(), keap.catalog("updated_at", payments=True)
    # One page of orders and its look-ups (business profile, custom fields, contacts,
    # payments), then the quota is gone.
    keap.emulator.limits.configure("key_day", 5)
    stopped = keap.read(config, streams, fails=True)

    assert len(stopped.ids("invoices")) == 1000
    assert len(stopped.states("invoices")) == 1
    errors = [m.trace.error for m in stopped.errors]
    assert all(e.failure_type.value == "transient_error" for e in errors)
    assert "daily API quota" in errors[0].message
    midnight = (keap.sandbox.clock.now() + dt.timedelta(days=1)).date().isoformat()
    assert f"used up until {midnight}T00:00:00.000Z" in errors[0].message
    assert stopped.statuses("payments") == []  # not started: every call would be refused
    assert keap.calls(status=429) == 1

    keap.emulator.limits.configure("key_day", 30_000)
    resumed = keap.read(config, streams, keap.last_states(stopped))
    together = stopped.ids("invoices") + resumed.ids("invoices")
    assert len(together) == len(set(together)) == len(keap.orders())
    assert len(resumed.ids("payments")) == len(keap.payments(o["id"] for o in keap.orders()))


def test_a_broken_answer_is_an_error_naming_the_endpoint(keap):
    keap.seed(orders=5)
    keap.sandbox.faults.add(
        api="keap", method="GET", path=ORDERS, status=200, body="<html>Service update</html>"
    )
    run = keap.read(keap.config(), keap.catalog("updated_at"), fails=True)
    error = run.errors[0].trace.error
    assert error.message.startswith("Keap's answer to GET /crm/rest/v2/orders is not")
    assert error.failure_type.value == "system_error"


def test_a_request_keap_refuses_is_reported_with_keaps_reason_and_endpoint(keap):
    keap.seed(orders=5)
    keap.sandbox.faults.add(api="keap", method="GET", path="/crm/rest/v2/contacts", status=400)
    run = keap.read(keap.config(), keap.catalog("updated_at"), fails=True)
    message = run.errors[0].trace.error.message
    assert message.startswith("Keap answered GET /crm/rest/v2/contacts with 400")


def test_an_order_the_mapping_cannot_read_ends_the_sync_naming_it_and_the_problem(keap):
    keap.seed(orders=5)
    broken = keap.orders()[0]
    broken["order_items"][0]["price_per_unit"] = {"amount": "lots", "currency_code": "USD"}
    keap.sandbox.faults.add(
        api="keap",
        method="GET",
        path=ORDERS,
        status=200,
        body={"orders": [broken], "next_page_token": ""},
    )
    run = keap.read(keap.config(), keap.catalog("updated_at"), fails=True)
    error = run.errors[0].trace.error
    assert error.failure_type.value == "system_error"
    line = broken["order_items"][0]["id"]
    assert error.message.startswith(
        f"Keap order {broken['id']}: line {line}: 'lots' is not a number. The sync stopped"
    )
    assert run.records("invoices") == []
