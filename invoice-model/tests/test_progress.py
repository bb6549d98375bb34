"""The connector kit's `progress`: a destination's wait for a rate limit told once as it begins,
against the streams being written, and counted once however many threads wait."""

from __future__ import annotations

from airbyte_cdk.models import AirbyteMessage, AirbyteStreamStatus, Level

from invoice_model.connector.progress import RateLimitWaits, calls_and_waits


def test_a_wait_is_told_as_it_begins_against_the_streams_written_and_counted_once():
    told: list[list[AirbyteMessage]] = []
    waits = RateLimitWaits("Xero", emit=lambda messages: told.append(list(messages)))
    waits.writing(["payments", "invoices", "invoices"])

    waits.waiting(30, "Xero's limit of calls a minute")
    waits.waiting(20, "Xero's limit of calls a minute")  # another thread, within the first wait

    [(log, *statuses)] = told
    assert log.log.level == Level.INFO
    assert log.log.message == (
        "Xero: waiting 30 s for Xero's limit of calls a minute; writing invoices, payments"
    )
    assert [
        (s.trace.stream_status.stream_descriptor.name, s.trace.stream_status.status)
        for s in statuses
    ] == [("invoices", AirbyteStreamStatus.RUNNING), ("payments", AirbyteStreamStatus.RUNNING)]
    assert 30 <= waits.seconds < 31  # the second wait lies within the first


def test_the_usage_of_a_flush():
    assert calls_and_waits("Keap", 1234, 61.04) == (
        "1,234 Keap calls so far, 61.0 s waited for Keap's rate limits"
    )
