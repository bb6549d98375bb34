"""Records read back on arrival: exactly what is equivalent to what the source emitted, nothing
else. The cache shapes are those PyAirbyte 0.71's DuckDB cache was seen to give a destination.
"""

from decimal import Decimal

import pytest

from invoice_model import INVOICES, PAYMENTS, STREAMS, Problem, examples, problems


def test_records_from_pyairbyte_s_cache_are_read_back_into_valid_records():
    for stream, records in examples.cached_by_pyairbyte().items():
        for cached in records:
            assert problems(stream, STREAMS[stream].with_nulls(cached))  # as they arrive
            assert problems(stream, STREAMS[stream].restored(cached)) == []


def test_each_cached_value_is_the_one_the_source_emitted():
    cached = examples.cached_by_pyairbyte()["invoices"][0]
    record = INVOICES.restored(cached)
    assert not any(key.startswith("_airbyte_") for key in record)
    assert cached["subtotal"] == "249.980000000"
    assert record["subtotal"] == 249.98
    assert repr(record["subtotal"]) == "249.98"
    assert record["tax"] == 8.25
    assert cached["created_at"] == "2026-07-31T02:48:15.219000"
    assert record["created_at"] == "2026-07-31T02:48:15.219Z"
    assert record["issue_date"] == cached["issue_date"] == "2026-07-30"
    assert record["line_items"] == cached["line_items"]  # nested JSON comes back as it was
    payment = PAYMENTS.restored(examples.cached_by_pyairbyte()["payments"][0])
    assert Decimal(repr(payment["amount"])) == Decimal("154.93")
    jpy = INVOICES.restored(examples.cached_by_pyairbyte()["invoices"][1])
    assert jpy["total"] == 203262
    assert isinstance(jpy["total"], int)


def test_zero_as_the_cache_spells_it():
    record = PAYMENTS.restored(examples.payment(amount="0E-9"))
    assert record["amount"] == 0
    assert isinstance(record["amount"], int)
    assert problems("payments", record) == [
        Problem("amount", "0 is less than or equal to the minimum of 0")
    ]
    many_places = PAYMENTS.restored(examples.payment(amount="12345678901.234567890"))
    assert many_places["amount"] == Decimal("12345678901.23456789")


def test_records_as_sources_emit_them_pass_through_unchanged():
    for stream, record in (("invoices", examples.invoice()), ("payments", examples.payment())):
        assert STREAMS[stream].restored(record) == record
    sparse = {k: v for k, v in examples.invoice().items() if v is not None}
    assert INVOICES.restored(sparse) == examples.invoice()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("total", "99.13 USD"),  # not a decimal literal
        ("total", "NaN"),
        ("updated_at", "2024-03-02T09:00:00.123456"),  # finer than the contract's milliseconds
        ("updated_at", "yesterday"),
        ("issue_date", "2024-03-01T10:00:00"),  # a date with a time of day is not that date
    ],
)
def test_values_that_are_not_exactly_equivalent_are_left_for_validation(field, value):
    record = INVOICES.restored(examples.invoice(**{field: value}))
    assert record[field] == value
    assert field in [problem.path for problem in problems("invoices", record)]


def test_timestamps_with_an_offset_or_a_space_are_read_as_the_instant_they_name():
    record = PAYMENTS.restored(examples.payment(updated_at="2024-03-02 11:00:00.500+02:00"))
    assert record["updated_at"] == "2024-03-02T09:00:00.500Z"
    assert PAYMENTS.restored(examples.payment(date="2024-03-02T00:00:00"))["date"] == "2024-03-02"


def test_a_record_the_platform_changed_keeps_the_column_that_says_so():
    changed = {"changes": [{"field": "reference", "change": "TRUNCATED", "reason": "size"}]}
    record = PAYMENTS.restored(examples.payment(_airbyte_meta=changed, _airbyte_raw_id="x"))
    assert record["_airbyte_meta"] == changed
    assert "_airbyte_raw_id" not in record
    assert [p.path for p in problems("payments", record)] == ["_airbyte_meta"]
    unchanged = PAYMENTS.restored(examples.payment(_airbyte_meta={"changes": [], "sync_id": 7}))
    assert "_airbyte_meta" not in unchanged
