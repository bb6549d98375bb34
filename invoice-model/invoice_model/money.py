"""Exact money: `Decimal` amounts, ISO 4217 minor units, and the shapes Keap, Xero and records use.

Rounding rule: whenever an amount must fit a currency's minor units it is rounded half away from
zero (`ROUND_HALF_UP` in `decimal` terms: 0.125 -> 0.13, -0.125 -> -0.13), the commercial rule Xero
applies to line amounts and tax. Amounts are never multiplied or added as binary floats; a float
received from JSON is read through its shortest decimal representation, which is the decimal
literal that was written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any, TypeAlias

import iso4217

ROUNDING = ROUND_HALF_UP

# A binary64 float keeps 15 significant decimal digits exactly through its shortest repr.
_MAX_JSON_SIGNIFICANT_DIGITS = 15

# The largest amount, quantity or unit price a record may carry: what every system the records
# travel to can hold. Xero's bound is the tightest: a line amount "can't exceed 9,999,999,999.99"
# (Accounting API, Invoices: LineItems).
MAX_AMOUNT = Decimal("9999999999.99")

Amount: TypeAlias = Decimal | int | str | float


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


@cache
def minor_units(currency: str) -> int:
    """Number of decimal places of `currency` in ISO 4217 (USD 2, JPY 0, KWD 3)."""
    code = currency.upper() if isinstance(currency, str) else currency
    try:
        exponent = iso4217.Currency(code).exponent
    except (ValueError, KeyError, TypeError) as error:
        raise MoneyError(f"unknown ISO 4217 currency code {currency!r}") from error
    # Funds and metals (XAU, XDR ...) have no minor unit in ISO 4217: not invoice currencies.
    if exponent is None:
        raise MoneyError(f"currency {currency!r} has no minor unit in ISO 4217")
    return exponent


def to_decimal(value: Amount) -> Decimal:
    """Read a number as an exact `Decimal`; a float is read as the literal it was written from."""
    if isinstance(value, bool):
        raise MoneyError(f"{value!r} is not an amount")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as error:
            raise MoneyError(f"{value!r} is not a number") from error
    else:
        raise MoneyError(f"{value!r} is not an amount")
    if not result.is_finite():
        raise MoneyError(f"{value!r} is not a finite amount")
    return result


def round_to(value: Amount, places: int) -> Decimal:
    """Round to `places` decimal places with the module's rounding rule."""
    amount = to_decimal(value)
    try:
        return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUNDING)
    except InvalidOperation as error:  # more digits than the decimal context holds (1e30 ...)
        raise MoneyError(f"{value!r} is too large to be an amount") from error


def within_limit(value: Amount) -> bool:
    """True when the amount is no further from zero than `MAX_AMOUNT`."""
    return abs(to_decimal(value)) <= MAX_AMOUNT


def quantize(value: Amount, currency: str, places: int | None = None) -> Decimal:
    """Round to the currency's minor units (or `places`) with the module's rounding rule."""
    return round_to(value, minor_units(currency) if places is None else places)


def fits_minor_units(value: Amount, currency: str) -> bool:
    """True when the amount needs no rounding to be stated in the currency."""
    amount = to_decimal(value)
    return amount == quantize(amount, currency)


def from_minor_units(amount: int, currency: str) -> Decimal:
    """12345 USD cents -> Decimal('123.45'); 500 JPY -> Decimal('500')."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise MoneyError(f"minor-unit amount must be an integer, got {amount!r}")
    return Decimal(amount).scaleb(-minor_units(currency))


def to_minor_units(value: Amount, currency: str, *, exact: bool = True) -> int:
    """Decimal('123.45') USD -> 12345. With `exact`, an amount with more places is an error."""
    amount = to_decimal(value)
    rounded = quantize(amount, currency)
    if exact and rounded != amount:
        raise MoneyError(f"{amount} has more decimal places than {currency} allows")
    return int(rounded.scaleb(minor_units(currency)))


def to_json_number(value: Amount, currency: str, places: int | None = None) -> int | float:
    """The JSON number a record carries: the amount at its currency's (or `places`) precision.

    Whole amounts become ints. Others become the float whose shortest repr is the decimal
    literal, so `json.dumps` writes exactly that literal; readers use `to_decimal`.
    """
    amount = quantize(value, currency, places).normalize()
    if amount == amount.to_integral_value():
        return int(amount)
    if len(amount.as_tuple().digits) > _MAX_JSON_SIGNIFICANT_DIGITS:
        raise MoneyError(f"{amount} has too many significant digits for an exact JSON number")
    return float(amount)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency, always within the currency's minor units."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "currency", self.currency.upper())
        amount = to_decimal(self.amount)
        if not fits_minor_units(amount, self.currency):
            raise MoneyError(f"{amount} has more decimal places than {self.currency} allows")
        object.__setattr__(self, "amount", quantize(amount, self.currency))

    @classmethod
    def of(cls, value: Amount, currency: str) -> Money:
        """Round any amount into the currency with the module's rounding rule."""
        return cls(quantize(value, currency), currency)

    @classmethod
    def from_minor(cls, amount: int, currency: str) -> Money:
        return cls(from_minor_units(amount, currency), currency)

    @classmethod
    def from_currency_value(cls, value: Mapping[str, Any], currency: str | None = None) -> Money:
        """Read Keap v2's `CurrencyValue` `{amount, currency_code, formatted_amount}`.

        `amount` is in minor units. Keap's spec typed it as a double until early 2025; a
        non-integral number is read in that older shape, as a major-unit amount.
        """
        code = value.get("currency_code") or currency
        if not code:
            raise MoneyError(f"CurrencyValue without currency_code: {dict(value)!r}")
        raw = value.get("amount")
        if raw is None:
            raise MoneyError(f"CurrencyValue without amount: {dict(value)!r}")
        if isinstance(raw, int) and not isinstance(raw, bool):
            return cls.from_minor(raw, code)
        decimal = to_decimal(raw)
        if decimal == decimal.to_integral_value():
            return cls.from_minor(int(decimal), code)
        return cls.of(decimal, code)

    def to_currency_value(self) -> dict[str, Any]:
        """Keap v2's `CurrencyValue` shape, `formatted_amount` included."""
        return {
            "amount": self.minor,
            "currency_code": self.currency,
            "formatted_amount": f"{self.amount:,.{minor_units(self.currency)}f}",
        }

    @property
    def minor(self) -> int:
        return to_minor_units(self.amount, self.currency)

    def to_json(self) -> int | float:
        return to_json_number(self.amount, self.currency)

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same_currency(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same_currency(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def _same_currency(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def line_amount(
    quantity: Amount, unit_amount: Amount, currency: str, discount: Amount = 0
) -> Decimal:
    """quantity x unit_amount - discount, rounded once, at the end, to the currency."""
    exact = to_decimal(quantity) * to_decimal(unit_amount) - to_decimal(discount)
    return quantize(exact, currency)
