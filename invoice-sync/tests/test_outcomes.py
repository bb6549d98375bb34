"""A destination's outcomes read from its log, in the words the connector kit's write loop
(both destinations) writes them."""

from __future__ import annotations

import logging

from invoice_model.connector.destination import Notice, Outcome, Tally
from invoice_sync.outcomes import REJECTED, UNCHANGED, WRITTEN, ConnectorLog


def relay(*messages: str, level: int = logging.INFO) -> ConnectorLog:
    """Messages through a logger, as PyAirbyte relays a connector's LOG messages."""
    handler = ConnectorLog()
    logger = logging.getLogger("airbyte.destination-test")
    logger.addHandler(handler)
    try:
        for message in messages:
            logger.log(level, message)
    finally:
        logger.removeHandler(handler)
    return handler


def test_the_closing_summary_and_each_notice():
    tally = Tally()
    tally.add("invoices", Outcome.CREATED, 40)
    tally.add("invoices", Outcome.UPDATED, 2)
    tally.add("invoices", Outcome.REJECTED)
    tally.add("payments", Outcome.REMOVED)
    tally.add("payments", Outcome.LEFT_ALONE, 3)
    rejected = Notice("invoices", "1042", "rejected: Xero says: Account code '999' is not valid")

    outcomes = relay(str(rejected), "Read 44 records", f"Xero: {tally.summary()}").outcomes

    assert outcomes.summarised
    assert outcomes.column("invoices", WRITTEN) == 42
    assert outcomes.column("invoices", REJECTED) == 1
    assert outcomes.column("payments", WRITTEN) == 1
    assert outcomes.column("payments", UNCHANGED) == 3
    [notice] = outcomes.notices
    assert (notice.stream, notice.record_id, notice.outcome) == ("invoices", "1042", "rejected")
    assert notice.reason == "Xero says: Account code '999' is not valid"


def test_a_sync_stopped_at_the_daily_limit_still_counts():
    tally = Tally()
    tally.add("invoices", Outcome.CREATED, 7)

    outcomes = relay(f"Xero: stopped; {tally.summary()}").outcomes

    assert outcomes.column("invoices", WRITTEN) == 7


def test_errors_are_kept_apart():
    outcomes = relay("Xero's daily call limit is reached.", level=logging.ERROR).outcomes

    assert outcomes.errors == ["Xero's daily call limit is reached."]
    assert not outcomes.summarised


def test_a_summary_of_a_stopped_sync_in_other_words_and_progress_lines_ignored():
    outcomes = relay(
        "Keap: flushed 1,000 records (invoices: 1000 created); 1,204 calls",
        "Keap: stopped; invoices: 998 created, 2 rejected",
    ).outcomes

    assert outcomes.summarised
    assert outcomes.column("invoices", WRITTEN) == 998
    assert outcomes.column("invoices", REJECTED) == 2
