"""Invoices into the Xero sandbox: created once, totals to the cent under each tax option,
updated while editable, left alone when not, and found again at no cost.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from invoice_model import examples
from invoice_model.dates import parse_date
from invoice_model.money import to_decimal

if TYPE_CHECKING:
    from conftest import MakeConfig, XeroUser

    from keap_xero_sandbox.sandbox import Sandbox


def open_invoice(kit: SimpleNamespace, n: int, **changes: Any) -> dict[str, Any]:
    """`kit.invoice(n)` as still unpaid."""
    unpaid = {"status": "open", "amount_paid": 0, "amount_due": 99.13, "paid_at": None}
    return kit.invoice(n, **{**unpaid, **changes})


def test_an_invoice_lands_with_its_contact_and_the_source_total(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    written = kit.write(sandbox_config(), kit.sync([examples.invoice()]))
    assert written.error is None
    invoice = xero.invoices()["2087"]
    assert invoice["Status"] == "AUTHORISED"
    assert to_decimal(invoice["Total"]) == Decimal("99.13")
    assert invoice["LineAmountTypes"] == "NoTax"
    assert invoice["Url"] == "https://api.infusionsoft.com/crm/rest/v2/orders/1042"
    assert invoice["Reference"] == "Spring workshop order"
    assert [line["AccountCode"] for line in invoice["LineItems"]] == ["200", "210", "220", "820"]
    [contact] = xero.books()["contacts"]
    assert (contact["ContactNumber"], contact["Name"]) == ("311", "Zoë Fernández")
    assert invoice["Contact"]["ContactID"] == contact["ContactID"]
    # A new contact cannot have invoices yet: no invoice look-up, one create of each.
    assert kit.calls(sandbox, "GET", "/Invoices") == 0
    assert kit.calls(sandbox, "POST", "/Contacts") == 1
    assert kit.calls(sandbox, "PUT", "/Invoices") == 1


def test_xero_calculated_tax_meets_the_source_total_with_a_rounding_line(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    # California's 7.25% gives 6.70 of tax on the example's lines; the source charged 6.65.
    tax = {"mode": "xero_calculated", "tax_type": "TAX002", "rounding_account_code": "860"}
    written = kit.write(sandbox_config(**{"invoices.tax": tax}), kit.sync([examples.invoice()]))
    assert written.error is None
    invoice = xero.invoices()["2087"]
    assert invoice["LineAmountTypes"] == "Exclusive"
    assert to_decimal(invoice["TotalTax"]) == Decimal("6.70")
    assert to_decimal(invoice["Total"]) == Decimal("99.13")
    rounding = invoice["LineItems"][-1]
    assert (rounding["Description"], rounding["AccountCode"]) == ("Rounding", "860")
    assert to_decimal(rounding["LineAmount"]) == Decimal("-0.05")


def test_xero_calculated_tax_beyond_the_tolerance_is_rejected_naming_both_totals(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    # New York City's 8.875% gives 8.21 of tax where the source charged 6.65.
    tax = {"mode": "xero_calculated", "tax_type": "TAX001", "rounding_account_code": "860"}
    written = kit.write(sandbox_config(**{"invoices.tax": tax}), kit.sync([examples.invoice()]))
    assert written.error is None
    [warning] = written.warnings
    assert "invoices record 1042: rejected" in warning
    assert "100.69" in warning
    assert "99.13" in warning
    assert xero.invoices() == {}
    assert kit.calls(sandbox, "PUT", "/Invoices") == 0
    assert written.states[-1].destinationStats.recordCount == 1


def test_writing_the_same_records_twice_creates_nothing_and_costs_only_look_ups(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    invoices = [kit.invoice(n, contact=n % 3) for n in range(60)]
    payments = [kit.payment(n) for n in range(60)]
    config = sandbox_config()
    first = kit.write(config, kit.sync(invoices, payments, state_every=25))
    assert first.error is None
    books = xero.books()
    assert (len(books["invoices"]), len(books["payments"]), len(books["contacts"])) == (60, 60, 3)

    sandbox.stats.reset()
    second = kit.write(config, kit.sync(invoices, payments, state_every=25))
    assert second.error is None
    assert kit.writes(sandbox) == 0
    assert sandbox.stats.count("xero", method="GET") == sandbox.stats.count("xero") - 1  # + token
    assert xero.books()["invoices"] == books["invoices"]
    assert "invoices: 0 created, 0 updated, 60 unchanged" in second.summary
    assert "payments: 0 created, 0 updated, 60 unchanged" in second.summary


def test_a_changed_invoice_is_updated_and_the_others_cost_nothing(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    config = sandbox_config()
    invoices = [open_invoice(kit, n) for n in range(3)]
    kit.write(config, kit.sync(invoices))
    before = xero.invoices()
    lines = [*invoices[1]["line_items"][:3], examples.line("fee", "Card fee", 1, 2.5)]
    lines.append(examples.line("tax", "Sales tax", 1, 6.65, taxable=False))
    changed = {**invoices[1], "line_items": lines, "subtotal": 94.98, "total": 101.63}
    changed["amount_due"] = 101.63

    sandbox.stats.reset()
    written = kit.write(config, kit.sync([invoices[0], changed, invoices[2]]))
    assert written.error is None
    after = xero.invoices()
    assert to_decimal(after["5001"]["Total"]) == Decimal("101.63")
    assert after["5001"]["InvoiceID"] == before["5001"]["InvoiceID"]
    assert after["5001"]["LineItems"][3]["AccountCode"] == "230"
    assert after["5000"] == before["5000"]
    assert after["5002"] == before["5002"]
    assert kit.calls(sandbox, "POST", "/Invoices") == 1
    assert kit.calls(sandbox, "PUT", "/Invoices") == 0
    assert "invoices: 0 created, 1 updated, 2 unchanged" in written.summary


def test_paid_and_locked_invoices_are_left_alone_with_a_warning(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    config = sandbox_config()
    paid = kit.invoice(1)
    locked = open_invoice(kit, 2, issue_date="2024-01-10", due_date="2024-02-10")
    kit.write(config, kit.sync([paid, locked], [kit.payment(1)]))
    xero.lock("2024-01-31")
    before = xero.invoices()

    renamed = [{**paid, "reference": "Renamed"}, {**locked, "reference": "Renamed"}]
    sandbox.stats.reset()
    written = kit.write(config, kit.sync(renamed))
    assert written.error is None
    assert xero.invoices() == before
    assert kit.writes(sandbox) == 0
    assert len(written.warnings) == 2
    assert any("it is paid in Xero" in warning for warning in written.warnings)
    assert any("lock date 2024-01-31" in warning for warning in written.warnings)
    assert "2 left alone" in written.summary


def test_a_void_record_voids_an_authorised_invoice_and_deletes_a_draft(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    config = sandbox_config()
    authorised = open_invoice(kit, 1)
    draft = open_invoice(kit, 2, status="draft")
    kit.write(config, kit.sync([authorised, draft]))
    assert [i["Status"] for i in xero.invoices().values()] == ["AUTHORISED", "DRAFT"]

    voided = [{**authorised, "status": "void"}, {**draft, "status": "void"}]
    never_written = {**open_invoice(kit, 3), "status": "void"}
    written = kit.write(config, kit.sync([*voided, never_written]))
    assert written.error is None
    assert {n: i["Status"] for n, i in xero.invoices().items()} == {
        "5001": "VOIDED",
        "5002": "DELETED",
    }
    assert "1 skipped" in written.summary


def test_a_source_draft_is_approved_in_xero_when_the_source_issues_it(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    config = sandbox_config()
    draft = open_invoice(kit, 1, status="draft")
    kit.write(config, kit.sync([draft]))
    assert xero.invoices()["5001"]["Status"] == "DRAFT"
    kit.write(config, kit.sync([{**draft, "status": "open"}]))
    assert xero.invoices()["5001"]["Status"] == "AUTHORISED"


def test_an_invoice_number_taken_by_someone_else_is_not_overwritten(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    xero.raise_invoice("2087", "Theirs", 5)
    config = sandbox_config()
    # Zoë is new to Xero, so her invoice is not looked up: Xero refuses the duplicate number.
    first = kit.write(config, kit.sync([examples.invoice()]))
    assert "rejected: Xero refused it: Invoice # must be unique." in first.warnings[0]
    # Now that she exists the number is looked up, and found to be someone else's.
    kit.write(config, kit.sync([examples.invoice(source_id="1043", source_invoice_id="2088")]))
    second = kit.write(config, kit.sync([examples.invoice()]))
    assert "belongs to a Xero invoice this destination did not write" in second.warnings[0]
    assert xero.invoices()["2087"]["LineItems"][0]["Description"] == "Theirs"


def test_skus_are_matched_to_xero_items_when_enabled(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    lines = [
        examples.line("product", "Consulting", 2, 150, sku="CONSULT"),
        examples.line("product", "Mystery box", 1, 20, sku="NOT-AN-ITEM"),
    ]
    record = examples.invoice(line_items=lines, subtotal=320, tax=0, total=320, amount_paid=320)
    kit.write(sandbox_config(**{"invoices.match_items_by_sku": True}), kit.sync([record]))
    consulting, mystery = xero.invoices()["2087"]["LineItems"]
    assert (consulting.get("ItemCode"), consulting["AccountCode"]) == ("CONSULT", "230")
    assert (mystery.get("ItemCode"), mystery["AccountCode"]) == (None, "200")


def test_an_invoice_paid_the_evening_it_was_raised_in_new_york_is_due_on_its_issue_date(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    # Paid at 21:00 on 1 March in New York, which is already 2 March in UTC.
    evening = examples.invoice(due_date=None, paid_at="2024-03-02T02:00:00.000Z")
    next_noon = kit.invoice(2, due_date=None, paid_at="2024-03-02T17:00:00.000Z")
    written = kit.write(sandbox_config(), kit.sync([evening, next_noon]))
    assert written.error is None
    invoices = xero.invoices()
    assert parse_date(invoices["2087"]["DueDate"]).isoformat() == "2024-03-01"
    # Noon in New York on 2 March is 2 March everywhere on Earth: due 30 days after issue.
    assert parse_date(invoices["5002"]["DueDate"]).isoformat() == "2024-03-31"
