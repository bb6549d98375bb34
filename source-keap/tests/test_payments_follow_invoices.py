"""A payment is never emitted before its invoice, and the state of `payments` never passes an
invoice not yet emitted: whichever stream Keap fails, whatever the catalog's order, a sync that
stops anywhere resumes with every invoice and payment emitted once it completes.

Keap's largest page is cut to `PAGE`, so a small account is read in many pages (a state after
each); a 503 carries `Retry-After: 0` so that the connector's nine tries take seconds. The
failures of every endpoint, end to end, are in `acceptance-tests/test_interrupted_syncs.py`."""

from __future__ import annotations

import pytest
from airbyte_cdk.models import Type

PAGE = 20
BEYOND_RETRIES = 9  # one call and its eight retries


@pytest.fixture
def paged(keap):
    keap.emulator.largest_page = PAGE
    keap.seed(orders=100, contacts=60)
    return keap


def emitted_in_order(run) -> list[tuple[str, str]]:
    """(stream, source ID) of each record, in the order the sync emitted them."""
    return [
        (m.record.stream, m.record.data["source_id"])
        for m in run.output.records
        if m.type == Type.RECORD
    ]


def assert_payments_after_their_invoices(keap, *runs) -> None:
    invoices_of = {p["id"]: p["order_ids"][0] for p in keap.payments()}
    seen: set[str] = set()
    for run in runs:
        for stream, source_id in emitted_in_order(run):
            if stream == "invoices":
                seen.add(source_id)
            else:
                assert invoices_of[source_id] in seen, f"payment {source_id} before its invoice"


def fail_beyond_retries(keap, endpoint: str, skip: int) -> None:
    keap.sandbox.faults.add(
        api="keap",
        path=f"/crm/rest/v2/{endpoint}",
        status=503,
        skip=skip,
        count=BEYOND_RETRIES,
        headers={"Retry-After": "0"},
    )


def test_invoices_failing_mid_stream_hold_back_the_payments_of_what_it_did_not_read(paged):
    keap = paged
    config, catalog = keap.config(), keap.catalog("updated_at", payments=True)
    fail_beyond_retries(keap, "orders", 2)  # the third page of invoices

    failed = keap.read(config, catalog, fails=True)
    resumed = keap.read(config, catalog, keap.last_states(failed))

    assert [m.trace.error.stream_descriptor.name for m in failed.errors[:1]] == ["invoices"]
    read_first = set(failed.ids("invoices"))
    held_back = {p["id"] for p in keap.payments() if p["order_ids"][0] not in read_first}
    assert held_back, "some payments wait for their invoice"
    assert not held_back & set(failed.ids("payments"))
    assert_payments_after_their_invoices(keap, failed, resumed)
    both = failed.ids("payments") + resumed.ids("payments")
    assert set(both) == {p["id"] for p in keap.payments()}
    assert set(failed.ids("invoices") + resumed.ids("invoices")) == {o["id"] for o in keap.orders()}


def test_read_in_the_catalogs_reverse_order_payments_still_follow_their_invoices(paged):
    keap = paged
    catalog = keap.catalog("updated_at", payments=True)
    catalog.streams.reverse()

    run = keap.read(keap.config(), catalog)

    assert_payments_after_their_invoices(keap, run)
    assert set(run.ids("payments")) == {p["id"] for p in keap.payments()}
