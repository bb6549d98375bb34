"""What a person watching a read sees: a log line per page of orders, with the stream, the page,
what it asked Keap for, the records so far and the cursor reached. Keap's lists carry no
totals, so no record-count estimate is sent."""

from airbyte_cdk.models import TraceType


def page_lines(run, stream: str) -> list[str]:
    return [m.log.message for m in run.output.logs if m.log.message.startswith(f"{stream}: page")]


def test_every_page_of_orders_logs_the_stream_records_so_far_and_the_cursor(keap):
    keap.seed(orders=7)
    run = keap.read(keap.config(_page_size=3), keap.catalog("updated_at", payments=True))

    invoices = run.records("invoices")
    pages = -(-len(keap.orders()) // 3)
    lines = page_lines(run, "invoices")
    assert [line.split(" (")[0] for line in lines] == [
        f"invoices: page {n}" for n in range(1, pages + 1)
    ]
    assert lines[0].startswith("invoices: page 1 (orders by modification_time): 3 read; 3 ")
    last_update = max(r["updated_at"] for r in invoices)
    assert lines[-1].endswith(f" records so far; cursor at {last_update}")
    assert f"; {len(invoices)} records so far;" in lines[-1]
    payments = page_lines(run, "payments")
    assert len(payments) == pages
    assert f"; {len(run.records('payments'))} records so far;" in payments[-1]


def test_a_resumed_read_says_where_it_started(keap):
    keap.seed(orders=4)
    config, catalog = keap.config(), keap.catalog("created_at")
    first = keap.read(config, catalog)
    keap.new_order()
    second = keap.read(config, catalog, keap.last_states(first))

    [line] = page_lines(second, "invoices")
    cursor = first.states("invoices")[-1]["created_at"]
    assert line.startswith("invoices: page 1 (orders by creation_time from ")
    assert "1 records so far" in line
    assert cursor <= line.rpartition("cursor at ")[2]


def test_no_estimate_is_sent_keaps_lists_carry_no_totals(keap):
    keap.seed(orders=3)
    run = keap.read(keap.config(), keap.catalog("updated_at"))
    assert not [m for m in run.output.trace_messages if m.trace.type == TraceType.ESTIMATE]
