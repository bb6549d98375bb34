"""Invoices written as Keap orders: lines, products by SKU, tax and discounts to the cent, dates,
number, currency; and what Keap cannot hold exactly is rejected with the reason."""

from __future__ import annotations

from decimal import Decimal

import pytest


def lines_of(order: dict) -> list[tuple]:
    """An order's lines as (type, name, quantity, price in minor units, product ID)."""
    return [
        (
            item["item_type"],
            item["name"],
            item["quantity"],
            item["price_per_unit"]["amount"],
            (item.get("product") or {}).get("id"),
        )
        for item in order["order_items"]
    ]


def test_an_invoice_becomes_an_order_of_the_same_total_with_its_lines(keap, kit):
    record = kit.invoice(1)
    written = kit.write(keap.config(), kit.sync([record]), ["invoices"])

    assert written.error is None
    [order] = keap.orders().values()
    assert order["total"]["amount"] == 9913
    assert lines_of(order) == [
        ("OTHER", "Workshop ticket", 2, 4999, None),
        ("DISCOUNT_PRODUCT", "Discount: Workshop ticket", 1, -500, None),
        ("SHIPPING", "Shipping", 1, 750, None),
        ("DISCOUNT", "Spring promo", 1, -1000, None),
        ("TAX", "Sales tax", 1, 665, None),
    ]
    assert order["title"] == "INV-0001 · PO 1"
    assert order["invoice_number"] == "INV-0001"
    assert order["order_type"] == "OFFLINE"
    assert order["status"] == "SENT"
    assert {"id": "1", "content": record["source_id"]} in order["custom_fields"]
    assert "invoices: 1 created" in written.summary


def test_dates_are_the_invoices_days_in_the_accounts_time_zone(keap, kit):
    keap.account.configure({"time_zone": "Pacific/Auckland"})
    record = kit.invoice(1, issue_date="2024-03-01", due_date="2024-03-31")
    kit.write(keap.config(), kit.sync([record]), ["invoices"])

    [order] = keap.orders().values()
    # Noon in Auckland (UTC+13 in March): the day is the same wherever the order is read.
    assert order["order_time"] == "2024-02-29T23:00:00.000Z"
    assert order["due_time"] == "2024-03-30T23:00:00.000Z"


def test_a_draft_invoice_is_an_order_not_sent(keap, kit):
    kit.write(keap.config(), kit.sync([kit.invoice(1, status="draft")]), ["invoices"])

    [order] = keap.orders().values()
    assert order["status"] == "DRAFT"
    assert "sent_time" not in order


def test_lines_of_keap_products_by_sku_and_the_rest_without_a_product(keap, kit):
    workshop = keap.product("WS-1")
    keap.product("OLD-1", active=False)
    lines = [
        kit.line("product", "Workshop ticket", 2, 49.99, sku="WS-1"),
        kit.line("product", "Retired", 1, 5, sku="OLD-1"),
        kit.line("service", "Coaching", 1, 120, sku="NOT-IN-KEAP"),
    ]
    written = kit.write(keap.config(), kit.sync([kit.invoice(1, line_items=lines)]), ["invoices"])

    assert written.error is None
    [order] = keap.orders().values()
    assert lines_of(order) == [
        ("PRODUCT", "Workshop ticket", 2, 4999, str(workshop.id)),
        ("OTHER", "Retired", 1, 500, None),
        ("OTHER", "Coaching", 1, 12000, None),
    ]


def test_products_are_not_matched_when_the_config_says_so(keap, kit):
    keap.product("WS-1")
    config = keap.config(**{"orders.match_products_by_sku": False})
    lines = [kit.line("product", "Workshop ticket", 2, 49.99, sku="WS-1")]
    kit.write(config, kit.sync([kit.invoice(1, line_items=lines)]), ["invoices"])

    [order] = keap.orders().values()
    assert lines_of(order) == [("OTHER", "Workshop ticket", 2, 4999, None)]
    assert keap.calls("GET", "products") == 0


def test_lines_keap_cannot_hold_as_they_are_are_one_unit_at_their_amount(keap, kit):
    lines = [
        kit.line("service", "Consulting", 1.5, 80),  # a fractional quantity
        kit.line("product", "Widget", 3, 0.3333),  # a price beyond the cent
        kit.line("other", "Note", 0, 10),  # no quantity
        kit.line("product", "Credit for damage", 1, -12.5),  # a negative line
    ]
    written = kit.write(keap.config(), kit.sync([kit.invoice(1, line_items=lines)]), ["invoices"])

    assert written.error is None, written.error
    [order] = keap.orders().values()
    assert lines_of(order) == [
        ("OTHER", "Consulting (1.5 x 80)", 1, 12000, None),
        ("OTHER", "Widget (3 x 0.3333)", 1, 100, None),
        ("OTHER", "Note (0 x 10)", 1, 0, None),
        ("DISCOUNT", "Credit for damage", 1, -1250, None),
    ]
    assert order["total"]["amount"] == 12000 + 100 - 1250


def test_tax_carried_on_lines_is_one_tax_line(keap, kit):
    lines = [
        kit.line("product", "Widget", 2, 10, tax_amount=3.0),
        kit.line("service", "Fitting", 1, 5, tax_amount=0.75),
    ]
    kit.write(keap.config(), kit.sync([kit.invoice(1, line_items=lines)]), ["invoices"])

    [order] = keap.orders().values()
    assert lines_of(order)[-1] == ("TAX", "Tax", 1, 375, None)
    assert order["total"]["amount"] == 2500 + 375


def test_an_invoice_in_the_accounts_other_currency_is_written_in_it(keap, kit):
    keap.account.configure({"currency_code": "JPY"})
    lines = [kit.line("product", "Tea set", 3, 1250, "JPY"), kit.line("tax", "Tax", 1, 375, "JPY")]
    record = kit.invoice(1, currency="JPY", line_items=lines)
    written = kit.write(keap.config(), kit.sync([record]), ["invoices"])

    assert written.error is None
    [order] = keap.orders().values()
    assert order["total"] == {"amount": 4125, "currency_code": "JPY", "formatted_amount": "4,125"}


def test_an_invoice_in_another_currency_than_the_accounts_is_rejected(keap, kit):
    euros = kit.invoice(2, currency="EUR")
    written = kit.write(keap.config(), kit.sync([kit.invoice(1), euros]), ["invoices"])

    assert written.error is None
    assert list(keap.orders()) == [kit.xero_id(1)]
    [warning] = written.warnings
    assert warning == (
        f"invoices record {euros['source_id']}: rejected: it is in EUR, and Keap creates orders "
        "in the account's currency USD: writing it would change its amounts"
    )
    assert "1 created" in written.summary
    assert "1 rejected" in written.summary


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (
            [("product", "Refund", 1, -20), ("product", "Widget", 1, 5)],
            "its total -15 is negative: a Keap order cannot hold a credit",
        ),
        (
            [("product", "Widget", 1, 5, {"tax_amount": -1.0})],
            "the tax carried on its lines is -1.0",
        ),
    ],
)
def test_an_invoice_keap_cannot_hold_exactly_is_rejected_before_any_write(keap, kit, lines, reason):
    built = [kit.line(*args[:4], **(args[4] if len(args) > 4 else {})) for args in lines]
    record = kit.invoice(1, line_items=built)
    written = kit.write(keap.config(), kit.sync([record]), ["invoices"])

    assert keap.orders() == {}
    assert keap.calls("POST") == 0
    [warning] = written.warnings
    assert reason in warning


def test_the_order_total_equals_the_invoice_total_to_the_cent(keap, kit):
    """Invoices whose lines round differently (thirds, half cents) all land exactly."""
    records = [
        kit.invoice(
            n,
            line_items=[
                kit.line("product", "Thirds", 3, Decimal("0.3333") * n),
                kit.line("product", "Halves", 1, Decimal("10.005") if n % 2 else 7, discount=0.01),
                kit.line("shipping", "Shipping", 1, 4.99),
                kit.line("tax", "Tax", 1, Decimal("0.07") * n),
            ],
        )
        for n in range(1, 9)
    ]
    for record in records:
        for line in record["line_items"]:
            line["unit_amount"] = float(line["unit_amount"])
    written = kit.write(keap.config(), kit.sync(records), ["invoices"])

    orders = keap.orders()
    for record in records:
        total = Decimal(str(record["total"]))
        assert Decimal(orders[record["source_id"]]["total"]["amount"]) / 100 == total
    assert "8 created" in written.summary


def test_a_discount_line_that_takes_nothing_off_is_a_plain_line(keap, kit):
    lines = [kit.line("product", "Widget", 1, 20), kit.line("discount", "Handling", 1, 2)]
    kit.write(keap.config(), kit.sync([kit.invoice(1, line_items=lines)]), ["invoices"])

    [order] = keap.orders().values()
    assert lines_of(order) == [
        ("OTHER", "Widget", 1, 2000, None),
        ("OTHER", "Handling", 1, 200, None),
    ]
    assert order["total"]["amount"] == 2200
