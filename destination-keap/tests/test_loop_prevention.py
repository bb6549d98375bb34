"""Loop prevention on the Keap side: the orders written here are recognised by source-keap and
left out of the Keap → Xero direction (or marked `written_by_sync` when asked for)."""

from __future__ import annotations

from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer
from airbyte_cdk.test import entrypoint_wrapper

from invoice_model import STREAMS
from source_keap import SourceKeap

CATALOG = ConfiguredAirbyteCatalogSerializer.load(
    {
        "streams": [
            {
                "stream": {
                    "name": "invoices",
                    "json_schema": {},
                    "supported_sync_modes": ["full_refresh", "incremental"],
                    "source_defined_cursor": False,
                    "default_cursor_field": ["updated_at"],
                },
                "sync_mode": "incremental",
                "cursor_field": ["updated_at"],
                "destination_sync_mode": "append_dedup",
                "primary_key": [["source_id"]],
            }
        ]
    }
)


def read_invoices(keap, **values) -> list[dict]:
    config = {
        "credentials": {"auth_type": "api_key", "api_key": keap.credentials["service_account_key"]},
        "start_from": {"start_type": "beginning"},
        "api_url": keap.sandbox.url,
        **values,
    }
    output = entrypoint_wrapper.read(SourceKeap(), config, CATALOG)
    assert not output.errors, output.get_formatted_error_message()
    return [STREAMS["invoices"].with_nulls(m.record.data) for m in output.records]


def test_source_keap_leaves_out_the_orders_written_here(keap, kit):
    keap.sandbox.seed(keap={"orders": 5, "contacts": 3, "subscriptions": 0})
    native = {order["id"] for order in keap.dump()["orders"]}
    kit.write(keap.config(), kit.sync([kit.invoice(n, contact_n=0) for n in range(3)]))
    written = {order["id"] for order in keap.orders().values()} - native

    read = read_invoices(keap)
    assert {record["source_id"] for record in read} == native

    everything = read_invoices(keap, include_written_by_sync=True)
    marked = {record["source_id"] for record in everything if record["written_by_sync"]}
    assert marked == written
    assert len(written) == 3


def test_the_orders_read_back_keep_the_invoices_total_and_lines(keap, kit):
    record = kit.invoice(1)
    kit.write(keap.config(), kit.sync([record]))

    [back] = read_invoices(keap, include_written_by_sync=True)
    assert back["total"] == record["total"]
    assert back["issue_date"] == record["issue_date"]
    assert back["due_date"] == record["due_date"]
    assert back["currency"] == record["currency"]
    assert back["contact"]["email"] == record["contact"]["email"]
    assert [line["description"] for line in back["line_items"]] == [
        "Workshop ticket",
        "Discount: Workshop ticket",
        "Shipping",
        "Spring promo",
        "Sales tax",
    ]
