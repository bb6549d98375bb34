"""Validation names every problem with its field path, so one record can be rejected precisely."""

import pytest

from invoice_model import InvalidRecordError, Problem, examples, problems, validate
from invoice_model.examples import line


def _paths(found):
    return [problem.path for problem in found]


def test_valid_records_have_no_problems():
    validate("invoices", examples.invoice())
    validate("payments", examples.payment())


def test_missing_fields_are_named():
    record = examples.invoice()
    del record["currency"]
    del record["contact"]["email"]
    assert _paths(problems("invoices", record)) == ["contact.email", "currency"]
    assert all(p.message == "is required" for p in problems("invoices", record))


def test_every_problem_is_reported_with_its_path():
    record = examples.invoice(status="settled", issue_date="01/03/2024")
    record["line_items"][2]["kind"] = "coupon"
    record["line_items"][0]["quantity"] = "two"
    found = problems("invoices", record)
    assert _paths(found) == [
        "issue_date",
        "line_items[0].quantity",
        "line_items[2].kind",
        "status",
    ]
    messages = {p.path: p.message for p in found}
    assert "YYYY-MM-DD" in messages["issue_date"]
    assert "'coupon' is not one of" in messages["line_items[2].kind"]


def test_timestamps_must_be_utc():
    found = problems("invoices", examples.invoice(updated_at="2024-03-02T09:00:00+02:00"))
    assert found == [
        Problem("updated_at", "'2024-03-02T09:00:00+02:00' is not a UTC ISO-8601 ending in Z value")
    ]
    assert problems("invoices", examples.invoice(updated_at="2024-02-30T09:00:00Z"))


def test_unknown_fields_are_refused():
    found = problems("payments", examples.payment(colour="blue"))
    assert _paths(found) == [""]
    assert "colour" in found[0].message
    assert str(found[0]).startswith("(record): ")


def test_money_beyond_the_currency_minor_units():
    found = problems("payments", examples.payment(amount=10.001))
    assert found == [Problem("amount", "10.001 has more than USD's 2 decimal places")]
    assert problems("payments", examples.payment(currency="JPY", amount=1500)) == []
    found = problems("payments", examples.payment(currency="JPY", amount=1500.5))
    assert _paths(found) == ["amount"]


def test_unknown_currency():
    assert problems("payments", examples.payment(currency="ZZZ")) == [
        Problem("currency", "unknown ISO 4217 currency code 'ZZZ'")
    ]


def test_line_money_and_unit_precision():
    record = examples.invoice()
    record["line_items"][0]["unit_amount"] = 49.98765
    record["line_items"][1]["discount"] = 0.001
    paths = _paths(problems("invoices", record))
    assert "line_items[0].unit_amount" in paths
    assert "line_items[1].discount" in paths


def test_totals_must_add_up():
    found = problems("invoices", examples.invoice(total=100, amount_paid=100))
    assert found == [Problem("total", "100 is not subtotal + tax = 99.13")]
    found = problems("invoices", examples.invoice(status="open", amount_paid=50, amount_due=40))
    assert found == [Problem("amount_due", "40 is not total - amount_paid = 49.13")]


def test_line_amount_must_match_its_parts():
    record = examples.invoice()
    record["line_items"][0]["line_amount"] = 99.98
    found = problems("invoices", record)
    assert _paths(found) == ["line_items[0].line_amount", "subtotal"]
    assert "quantity x unit_amount - discount = 94.98" in found[0].message
    assert "lines other than tax lines = 97.48" in found[1].message


def test_paid_invoices_need_paid_at_and_nothing_due():
    found = problems("invoices", examples.invoice(paid_at=None))
    assert found == [Problem("paid_at", "is required when status is paid")]
    found = problems("invoices", examples.invoice(amount_paid=90, amount_due=9.13))
    assert _paths(found) == ["amount_due"]


def test_invalid_record_error_names_record_and_problems():
    with pytest.raises(InvalidRecordError) as caught:
        validate("invoices", examples.invoice(status="settled", currency="usd"))
    error = caught.value
    assert error.record_id == "1042"
    assert error.stream_name == "invoices"
    assert _paths(error.problems) == ["currency", "status"]
    assert str(error).startswith("invoices record 1042 is invalid: currency: 'usd' does not match")


def test_negative_discount_line_is_valid():
    record = examples.invoice()
    assert record["line_items"][2] == line("discount", "Spring promo", 1, -10)
    assert record["line_items"][2]["line_amount"] == -10
    assert problems("invoices", record) == []


@pytest.mark.parametrize("currency", ["XXX", "ZZZ", "XAU"])
def test_a_currency_without_minor_units_is_one_problem_of_the_record(currency):
    found = problems("invoices", examples.invoice(currency=currency))
    assert _paths(found) == ["currency"]
    assert not found[0].shape
    assert _paths(problems("payments", examples.payment(currency=currency))) == ["currency"]


@pytest.mark.parametrize("amount", [1e30, 1e308, 10**20, 9_999_999_999.991])
def test_amounts_beyond_what_xero_holds_are_problems_not_crashes(amount):
    found = problems("payments", examples.payment(amount=amount))
    assert found == [
        Problem("amount", f"{amount} is beyond 9,999,999,999.99, the largest amount records carry")
    ]
    assert problems("payments", examples.payment(amount=9_999_999_999.99)) == []


def test_an_invoice_total_of_ten_to_the_twentieth_is_refused_whatever_adds_up():
    big = examples.invoice(subtotal=10**20 - 6.65, tax=6.65, total=10**20)
    found = problems("invoices", big)
    assert {"subtotal", "total"} <= set(_paths(found))
    assert all("9,999,999,999.99" in p.message for p in found)


@pytest.mark.parametrize(
    ("value", "literal"),
    [(float("nan"), "NaN"), (float("inf"), "Infinity"), (float("-inf"), "-Infinity")],
)
def test_non_finite_numbers_are_named_as_json_spells_them(value, literal):
    record = examples.invoice()
    record["line_items"][1]["unit_amount"] = value
    found = problems("invoices", record)
    assert found == [Problem("line_items[1].unit_amount", f"{literal} is not a finite number")]


def test_the_subtotal_must_be_the_lines_other_than_tax_lines():
    found = problems("invoices", examples.invoice(subtotal=90, total=96.65, amount_paid=96.65))
    assert found == [
        Problem(
            "subtotal",
            "90 is not the sum of the line amounts of the lines other than tax lines = 92.48",
        )
    ]


def test_the_tax_must_be_the_tax_lines_and_the_tax_carried_on_lines():
    record = examples.invoice()
    record["line_items"][0]["tax_amount"] = 1.5
    found = problems("invoices", record)
    assert found == [
        Problem("tax", "6.65 is not the tax lines plus the tax carried on other lines = 8.15")
    ]
    record.update(tax=8.15, total=100.63, amount_paid=100.63)
    assert problems("invoices", record) == []


def test_lines_that_do_not_add_up_to_the_total_are_a_problem_even_when_totals_agree():
    record = examples.invoice()
    record["line_items"].pop(1)  # the shipping line: lines now add up to 84.98 + 6.65
    assert _paths(problems("invoices", record)) == ["subtotal"]


def test_problems_with_the_record_shape_are_marked_as_such():
    record = examples.invoice(colour="blue", total="99.13")
    del record["currency"]
    found = problems("invoices", record)
    assert [(p.path, p.shape) for p in found] == [("", True), ("currency", True), ("total", True)]
    values = problems("invoices", examples.invoice(status="settled", issue_date="01/03/2024"))
    assert not any(p.shape for p in values)


def test_a_record_the_platform_changed_on_its_way_is_named():
    record = examples.payment(
        _airbyte_meta={"changes": [{"field": "amount", "change": "NULLED", "reason": "too big"}]}
    )
    found = problems("payments", record)
    assert found == [
        Problem(
            "_airbyte_meta",
            "Airbyte changed the record on its way (amount nulled (too big)): it is not the "
            "record its source emitted",
        )
    ]
    assert found[0].shape
