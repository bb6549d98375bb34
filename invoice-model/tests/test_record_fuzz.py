"""Property-based: whatever a record holds, validation names its problems and never crashes, and
a record it finds valid can be written as exact JSON numbers.

The `@example`s are the inputs that once crashed validation (a currency without minor units, an
amount beyond the decimal context, NaN and Infinity, a record that is not an object).
"""

import copy
import math
from decimal import Decimal
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from invoice_model import STREAMS, examples, money, problems

LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([1e30, 1e308, -0.0, 0.125, 10**20, "0E-9", "35.000000000", "XXX", ""])
    | st.text(max_size=12)
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
INVOICE_PATHS = [
    *((key,) for key in examples.invoice()),
    *(("contact", key) for key in examples.invoice()["contact"]),
    *(("line_items", 0, key) for key in examples.invoice()["line_items"][0]),
    *(("line_items", 3, key) for key in examples.invoice()["line_items"][3]),
]
PAYMENT_PATHS = [(key,) for key in examples.payment()]
CASES = st.one_of(
    st.tuples(st.just("invoices"), st.sampled_from(INVOICE_PATHS)),
    st.tuples(st.just("payments"), st.sampled_from(PAYMENT_PATHS)),
)


def _with(stream: str, path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    record = copy.deepcopy(examples.invoice() if stream == "invoices" else examples.payment())
    holder: Any = record
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = value
    return record


@settings(max_examples=300, deadline=None)
@given(case=CASES, value=VALUES)
@example(case=("invoices", ("currency",)), value="XXX")
@example(case=("payments", ("currency",)), value="ZZZ")
@example(case=("invoices", ("total",)), value=1e308)
@example(case=("invoices", ("line_items", 0, "quantity")), value=1e30)
@example(case=("invoices", ("subtotal",)), value=math.nan)
@example(case=("payments", ("amount",)), value=math.inf)
@example(case=("invoices", ("line_items",)), value=[[]])
@example(case=("invoices", ("contact",)), value=[1, 2])
def test_a_record_with_any_value_anywhere_gets_named_problems_never_a_crash(case, value):
    stream, path = case
    record = _with(stream, path, value)
    found = problems(stream, record)
    assert all(isinstance(p.path, str) and p.message for p in found)
    restored = STREAMS[stream].restored(record)
    if not problems(stream, restored):
        _assert_writable(stream, restored)


@settings(max_examples=100, deadline=None)
@given(data=VALUES, stream=st.sampled_from(sorted(STREAMS)))
@example(data=[1, 2], stream="invoices")
@example(data=[], stream="payments")
@example(data=None, stream="invoices")
def test_data_that_is_not_a_record_is_named_as_such(data, stream):
    found = problems(stream, data)
    assert found
    assert all(isinstance(p.path, str) for p in found)


def _assert_writable(stream: str, record: dict[str, Any]) -> None:
    """Every amount of a valid record is an exact JSON number in its currency."""
    currency = record["currency"]
    for name in STREAMS[stream].money_fields:
        if "[]" in name:
            continue
        if record[name] is not None:
            written = money.to_json_number(record[name], currency)
            assert Decimal(repr(written)) == money.to_decimal(record[name])
