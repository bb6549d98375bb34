"""The organisation every tenant starts as: shaped like Xero's US demo company.

USD base currency; a chart of accounts with sales, freight income, discounts, fees, a rounding
account, two bank accounts, a non-bank account that takes payments and an archived account;
sales tax rates including a zero rate and two non-zero ones (one made of two components); a few
currencies and items. Every ID is derived from the tenant's ID, so the same tenant always has
the same IDs. XERO.md lists the codes.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.xero.ledger import Ledger
from keap_xero_sandbox.xero.models import (
    EPOCH,
    Account,
    Currency,
    Item,
    ItemDetails,
    Organisation,
    TaxComponent,
    TaxRate,
)

# (code, name, type, class, tax type, extra)
CHART: tuple[tuple[str, str, str, str, str | None, dict[str, object]], ...] = (
    ("090", "Checking Account", "BANK", "ASSET", None, {"bank_account_number": "1234567890"}),
    (
        "091",
        "Business Savings Account",
        "BANK",
        "ASSET",
        None,
        {"bank_account_number": "987654321"},
    ),
    ("120", "Accounts Receivable", "CURRENT", "ASSET", None, {"system_account": "DEBTORS"}),
    ("130", "Undeposited Funds", "CURRENT", "ASSET", None, {"enable_payments": True}),
    ("200", "Sales", "REVENUE", "REVENUE", "TAX001", {}),
    ("210", "Shipping and Freight Income", "REVENUE", "REVENUE", "NONE", {}),
    ("220", "Discounts Given", "REVENUE", "REVENUE", "TAX001", {}),
    ("230", "Service and Processing Fees", "REVENUE", "REVENUE", "NONE", {}),
    ("260", "Other Revenue", "OTHERINCOME", "REVENUE", "NONE", {}),
    ("270", "Legacy Sales (archived)", "REVENUE", "REVENUE", "TAX001", {"status": "ARCHIVED"}),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "INPUT", {}),
    ("404", "Bank Fees", "EXPENSE", "EXPENSE", "NONE", {}),
    ("429", "General Expenses", "EXPENSE", "EXPENSE", "INPUT", {}),
    ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", None, {"system_account": "CREDITORS"}),
    ("820", "Sales Tax Payable", "CURRLIAB", "LIABILITY", "NONE", {"system_account": "GST"}),
    ("860", "Rounding", "CURRLIAB", "LIABILITY", "NONE", {"system_account": "ROUNDING"}),
    ("960", "Retained Earnings", "EQUITY", "EQUITY", None, {"system_account": "RETAINEDEARNINGS"}),
)

# (tax type, name, components, report tax type, status, revenue?, expenses?)
TAX_RATES: tuple[tuple[str, str, tuple[tuple[str, str], ...], str, str, bool, bool], ...] = (
    ("NONE", "Tax Exempt", (("Tax Exempt", "0"),), "NONE", "ACTIVE", True, True),
    ("INPUT", "Tax on Purchases", (("Tax on Purchases", "0"),), "INPUT", "ACTIVE", False, True),
    ("OUTPUT", "Tax on Sales", (("Tax on Sales", "0"),), "OUTPUT", "ACTIVE", True, False),
    (
        "TAX001",
        "Sales Tax (New York City)",
        (("State Tax", "4.0"), ("City Tax", "4.875")),
        "USSALESTAX",
        "ACTIVE",
        True,
        False,
    ),
    (
        "TAX002",
        "Sales Tax (California)",
        (("State Tax", "7.25"),),
        "USSALESTAX",
        "ACTIVE",
        True,
        False,
    ),
    (
        "TAX003",
        "Old Sales Tax (archived)",
        (("Old Tax", "6.0"),),
        "USSALESTAX",
        "ARCHIVED",
        True,
        False,
    ),
)

# (code, description, rate per USD)
CURRENCIES = (
    ("USD", "United States Dollar", "1"),
    ("EUR", "Euro", "0.92"),
    ("GBP", "British Pound", "0.79"),
    ("CAD", "Canadian Dollar", "1.36"),
    ("AUD", "Australian Dollar", "1.52"),
    ("JPY", "Japanese Yen", "151.5"),
)

# (code, name, sales price, sales account, sales tax, purchase price or None)
ITEMS = (
    ("WIDGET-S", "Small Widget", "25.00", "200", "TAX001", "12.00"),
    ("WIDGET-L", "Large Widget", "60.00", "200", "TAX001", "31.50"),
    ("CONSULT", "Consulting (hour)", "150.00", "230", "NONE", None),
    ("SHIPPING", "Shipping", "9.95", "210", "NONE", None),
    ("GIFT-CARD", "Gift Card", None, None, None, "50.00"),
)


def stable_id(tenant_id: str, kind: str, key: str) -> str:
    return str(uuid.uuid5(uuid.UUID(tenant_id), f"{kind}:{key}"))


def demo_ledger(tenant_id: str, name: str, short_code: str, clock: Clock) -> Ledger:
    """A fresh organisation with the demo company's settings and no transactions."""
    ledger = Ledger(
        Organisation(
            organisation_id=stable_id(tenant_id, "organisation", "1"),
            name=name,
            short_code=short_code,
        ),
        clock,
    )
    for code, description, rate in CURRENCIES:
        ledger.add_currency(Currency(code, description), Decimal(rate))
    for tax_type, rate_name, parts, report, status, revenue, expenses in TAX_RATES:
        ledger.add_tax_rate(
            TaxRate(
                tax_type=tax_type,
                name=rate_name,
                components=[TaxComponent(part, Decimal(rate)) for part, rate in parts],
                status=status,
                report_tax_type=report,
                applies_to_revenue=revenue,
                applies_to_expenses=expenses,
            )
        )
    for code, account_name, kind, account_class, tax_type, extra in CHART:
        ledger.add_account(
            Account(
                account_id=stable_id(tenant_id, "account", code),
                code=code,
                name=account_name,
                type=kind,
                tax_type=tax_type,
                account_class=account_class,
                bank_account_type="BANK" if kind == "BANK" else None,
                currency_code="USD" if kind == "BANK" else None,
                updated=EPOCH,
                **extra,  # type: ignore[arg-type]
            )
        )
    for code, item_name, price, account, tax_type, cost in ITEMS:
        ledger.add_item(
            Item(
                item_id=stable_id(tenant_id, "item", code),
                code=code,
                name=item_name,
                description=item_name,
                sales=(
                    ItemDetails(Decimal(price), account, tax_type) if price is not None else None
                ),
                purchases=ItemDetails(Decimal(cost), "310", "INPUT") if cost else None,
                updated=EPOCH,
            )
        )
    return ledger
