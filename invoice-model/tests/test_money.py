"""Exact money: minor units, the rounding rule, Keap's CurrencyValue and JSON numbers."""

import json
from decimal import Decimal

import pytest

from invoice_model import money
from invoice_model.money import Money, MoneyError


@pytest.mark.parametrize(
    ("currency", "places"),
    [
        ("USD", 2),
        ("usd", 2),
        ("EUR", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("CLF", 4),
    ],
)
def test_minor_units_follow_iso_4217(currency, places):
    assert money.minor_units(currency) == places


@pytest.mark.parametrize("code", ["XXX1", "ABC", "", "XAU"])
def test_unknown_or_unitless_currencies_are_refused(code):
    with pytest.raises(MoneyError):
        money.minor_units(code)


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("0.125", "USD", "0.13"),  # half a cent rounds away from zero
        ("0.135", "USD", "0.14"),  # not to even
        ("-0.125", "USD", "-0.13"),
        ("0.124999", "USD", "0.12"),
        ("2.675", "USD", "2.68"),  # the float 2.675 would round down; Decimal does not
        ("1234.5", "JPY", "1235"),
        ("-0.5", "JPY", "-1"),
        ("1.0005", "KWD", "1.001"),
    ],
)
def test_rounding_rule_is_half_away_from_zero(value, currency, expected):
    assert money.quantize(Decimal(value), currency) == Decimal(expected)


def test_floats_are_read_as_their_literal():
    assert money.to_decimal(2.675) == Decimal("2.675")
    assert money.to_decimal(0.1) + money.to_decimal(0.2) == Decimal("0.3")
    assert money.quantize(2.675, "USD") == Decimal("2.68")


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", True, None, [1]])
def test_non_amounts_are_refused(bad):
    with pytest.raises(MoneyError):
        money.to_decimal(bad)


@pytest.mark.parametrize(
    ("minor", "currency", "major"),
    [
        (12345, "USD", "123.45"),
        (-1, "USD", "-0.01"),
        (500, "JPY", "500"),
        (1001, "KWD", "1.001"),
        (0, "EUR", "0"),
    ],
)
def test_minor_unit_round_trips(minor, currency, major):
    assert money.from_minor_units(minor, currency) == Decimal(major)
    assert money.to_minor_units(Decimal(major), currency) == minor
    assert Money.from_minor(minor, currency).minor == minor


def test_to_minor_units_refuses_hidden_rounding_unless_asked():
    with pytest.raises(MoneyError, match="more decimal places than JPY"):
        money.to_minor_units(Decimal("10.5"), "JPY")
    assert money.to_minor_units(Decimal("10.5"), "JPY", exact=False) == 11
    with pytest.raises(MoneyError):
        money.from_minor_units(1.5, "USD")


def test_keap_currency_value_both_shapes():
    current = {"amount": 12345, "currency_code": "USD", "formatted_amount": "$123.45"}
    assert Money.from_currency_value(current) == Money(Decimal("123.45"), "USD")
    # Before 2025 Keap's spec typed the amount as a double in major units.
    legacy = {"amount": 123.45, "currency_code": "USD"}
    assert Money.from_currency_value(legacy) == Money(Decimal("123.45"), "USD")
    assert Money.from_currency_value({"amount": 700}, "JPY") == Money(Decimal(700), "JPY")
    with pytest.raises(MoneyError, match="currency_code"):
        Money.from_currency_value({"amount": 1})
    with pytest.raises(MoneyError, match="amount"):
        Money.from_currency_value({"currency_code": "USD"})


def test_to_currency_value():
    assert Money(Decimal("1234.5"), "usd").to_currency_value() == {
        "amount": 123450,
        "currency_code": "USD",
        "formatted_amount": "1,234.50",
    }
    assert Money(Decimal(1500), "JPY").to_currency_value()["amount"] == 1500


def test_money_refuses_more_places_than_its_currency():
    with pytest.raises(MoneyError):
        Money(Decimal("1.234"), "USD")
    assert Money.of("1.235", "USD").amount == Decimal("1.24")


def test_money_arithmetic_stays_exact_and_in_one_currency():
    total = sum((Money.of("0.10", "USD") for _ in range(10)), Money.of(0, "USD"))
    assert total == Money.of("1.00", "USD")
    assert Money.of("5", "USD") - Money.of("7.5", "USD") == Money.of("-2.50", "USD")
    assert -Money.of("1", "USD") == Money.of("-1", "USD")
    with pytest.raises(MoneyError, match="USD with EUR"):
        Money.of(1, "USD") + Money.of(1, "EUR")


def test_negative_discount_lines():
    # A discount line: quantity 1 at -10.005 rounds away from zero.
    assert money.line_amount(1, Decimal("-10.005"), "USD") == Decimal("-10.01")
    # One rounding step at the end: 1.005 - 0.004 = 1.001 -> 1.00 (rounding each part gives 1.01).
    assert money.line_amount(3, Decimal("0.335"), "USD", discount=Decimal("0.004")) == Decimal(
        "1.00"
    )
    assert money.line_amount(Decimal("0.5"), 3, "JPY") == Decimal(2)


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (Decimal("123.45"), "USD", "123.45"),
        (Decimal("123.40"), "USD", "123.4"),
        (Decimal("100.00"), "USD", "100"),
        (Decimal("-0.01"), "USD", "-0.01"),
        (Decimal("1500"), "JPY", "1500"),
        (Decimal("1.005"), "KWD", "1.005"),
        (Decimal("9999999999999.99"), "USD", "9999999999999.99"),
        (Decimal("0.125"), "USD", "0.13"),
    ],
)
def test_json_numbers_are_exact(value, currency, text):
    number = money.to_json_number(value, currency)
    assert json.dumps(number) == text
    assert money.to_decimal(json.loads(json.dumps(number))) == money.quantize(value, currency)


def test_json_numbers_refuse_what_a_float_cannot_hold():
    with pytest.raises(MoneyError, match="significant digits"):
        money.to_json_number(Decimal("99999999999999.99"), "USD")


def test_unit_prices_may_keep_four_places():
    assert money.to_json_number(Decimal("0.12345"), "USD", places=4) == 0.1235
