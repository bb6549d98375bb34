"""How Xero prices an invoice: line amounts, discounts, tax per line, totals.

- A line's amount is quantity x unit amount less its discount (`DiscountRate` percent or
  `DiscountAmount`), rounded once to 2 places. A line may give `LineAmount` instead of one of
  quantity or unit amount, and Xero works out the missing one.
- Unit amounts keep 2 decimal places, or 4 when the call says `unitdp=4`; quantities keep 4.
- Tax is worked out per line from the line's tax rate and rounded to 2 places, then summed:
  `Exclusive` adds it on top, `Inclusive` takes it out of the line amount
  (amount x rate / (100 + rate)), `NoTax` has none. A tax amount sent by the client wins.

Every rounding is half away from zero (`invoice_model.money.round_to`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from invoice_model.money import round_to

AMOUNT_PLACES = 2
QUANTITY_PLACES = 4
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PricedLine:
    quantity: Decimal | None
    unit_amount: Decimal | None
    line_amount: Decimal
    discount: Decimal  # the money the discount takes off
    tax_amount: Decimal


@dataclass(frozen=True)
class Totals:
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal
    total_discount: Decimal


def price_line(
    *,
    quantity: Decimal | None,
    unit_amount: Decimal | None,
    line_amount: Decimal | None,
    discount_rate: Decimal | None,
    discount_amount: Decimal | None,
    tax_amount: Decimal | None,
    tax_rate: Decimal,
    amount_types: str,
    unit_places: int,
) -> PricedLine:
    """One line as Xero prices it (the inputs already validated)."""
    unit = None if unit_amount is None else round_to(unit_amount, unit_places)
    qty = None if quantity is None else round_to(quantity, QUANTITY_PLACES)
    if qty is None and (unit is not None or line_amount is not None):
        qty = Decimal(1)
    derived = unit is None and line_amount is not None and bool(qty)
    if derived:
        unit = round_to(_undiscounted(line_amount, discount_rate, discount_amount) / qty, 4)
    gross = Decimal(0) if qty is None or unit is None else qty * unit
    if discount_rate is not None:
        discount = gross * discount_rate / HUNDRED
    else:
        discount = discount_amount or Decimal(0)
    amount = round_to(gross - discount, AMOUNT_PLACES)
    if derived:
        amount = round_to(line_amount, AMOUNT_PLACES)  # type: ignore[arg-type]
    return PricedLine(
        quantity=qty,
        unit_amount=unit,
        line_amount=amount,
        discount=round_to(discount, AMOUNT_PLACES),
        tax_amount=line_tax(amount, tax_rate, amount_types, tax_amount),
    )


def _undiscounted(
    line_amount: Decimal, discount_rate: Decimal | None, discount_amount: Decimal | None
) -> Decimal:
    """The gross amount a discounted line amount came from."""
    if discount_rate is not None and discount_rate != HUNDRED:
        return line_amount * HUNDRED / (HUNDRED - discount_rate)
    return line_amount + (discount_amount or Decimal(0))


def line_tax(
    amount: Decimal, rate: Decimal, amount_types: str, given: Decimal | None = None
) -> Decimal:
    if amount_types == "NoTax":
        return Decimal("0.00")
    if given is not None:
        return round_to(given, AMOUNT_PLACES)
    if amount_types == "Inclusive":
        return round_to(amount * rate / (HUNDRED + rate), AMOUNT_PLACES)
    return round_to(amount * rate / HUNDRED, AMOUNT_PLACES)


def totals(lines: Sequence[PricedLine], amount_types: str) -> Totals:
    line_sum = sum((line.line_amount for line in lines), Decimal("0.00"))
    tax = sum((line.tax_amount for line in lines), Decimal("0.00"))
    discount = sum((line.discount for line in lines), Decimal("0.00"))
    if amount_types == "Inclusive":
        return Totals(line_sum - tax, tax, line_sum, discount)
    return Totals(line_sum, tax, line_sum + tax, discount)
