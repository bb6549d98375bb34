"""What list endpoints can filter and order by: each resource's fields under Xero's names, and
the generic list query (`If-Modified-Since`, `where`, `order`) every list endpoint shares.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from keap_xero_sandbox.xero.models import (
    Account,
    Contact,
    Currency,
    Invoice,
    Item,
    Payment,
    TaxRate,
)
from keap_xero_sandbox.xero.where import Field, Fields, Filter, compile_order, compile_where

T = TypeVar("T")


@dataclass(frozen=True)
class ListQuery:
    """The parts of a list request every resource understands."""

    modified_since: dt.datetime | None = None
    where: str | None = None
    order: str | None = None


def modified_since(updated: dt.datetime, since: dt.datetime) -> bool:
    """`If-Modified-Since` is accurate to the second: a change in that very second counts."""
    return updated.replace(microsecond=0) >= since.replace(microsecond=0)


def select(
    records: Iterable[T],
    query: ListQuery,
    fields: Fields[T],
    *,
    updated: Callable[[T], dt.datetime] | None = None,
    default_order: str | None = None,
    where_filter: Filter[T] | None = None,
) -> list[T]:
    """The records a list query selects, in its order (Xero's default order when none)."""
    chosen = records
    if query.modified_since is not None and updated is not None:
        since = query.modified_since
        chosen = (r for r in chosen if modified_since(updated(r), since))
    if query.where:
        predicate = where_filter or compile_where(query.where, fields)
        chosen = (r for r in chosen if predicate(r))
    result = list(chosen)
    order = query.order or default_order
    if order:
        result = compile_order(order, fields)(result)
    return result


def _f(read: Callable[[Any], Any], kind: str) -> Field[Any]:
    return Field(read, kind)  # type: ignore[arg-type]


def invoice_fields(contact_of: Callable[[str], Contact | None]) -> Fields[Invoice]:
    def contact(attribute: str) -> Callable[[Invoice], Any]:
        def read(invoice: Invoice) -> Any:
            found = contact_of(invoice.contact_id)
            return getattr(found, attribute) if found else None

        return read

    return {
        "InvoiceID": _f(lambda i: i.invoice_id, "guid"),
        "InvoiceNumber": _f(lambda i: i.invoice_number, "string"),
        "Type": _f(lambda i: i.type, "string"),
        "Status": _f(lambda i: i.status, "string"),
        "Reference": _f(lambda i: i.reference, "string"),
        "Date": _f(lambda i: i.date, "date"),
        "DueDate": _f(lambda i: i.due_date, "date"),
        "UpdatedDateUTC": _f(lambda i: i.updated, "datetime"),
        "FullyPaidOnDate": _f(lambda i: i.fully_paid_on, "date"),
        "CurrencyCode": _f(lambda i: i.currency_code, "string"),
        "LineAmountTypes": _f(lambda i: i.line_amount_types, "string"),
        "SubTotal": _f(lambda i: i.sub_total, "number"),
        "TotalTax": _f(lambda i: i.total_tax, "number"),
        "Total": _f(lambda i: i.total, "number"),
        "AmountDue": _f(lambda i: i.amount_due, "number"),
        "AmountPaid": _f(lambda i: i.amount_paid, "number"),
        "AmountCredited": _f(lambda i: i.amount_credited, "number"),
        "SentToContact": _f(lambda i: i.sent_to_contact, "bool"),
        "IsDiscounted": _f(lambda i: i.is_discounted, "bool"),
        "HasAttachments": _f(lambda i: False, "bool"),
        "Url": _f(lambda i: i.url, "string"),
        "BrandingThemeID": _f(lambda i: i.branding_theme_id, "guid"),
        "Contact.ContactID": _f(lambda i: i.contact_id, "guid"),
        "Contact.Name": _f(contact("name"), "string"),
        "Contact.ContactNumber": _f(contact("contact_number"), "string"),
        "Contact.EmailAddress": _f(contact("email"), "string"),
    }


CONTACT_FIELDS: Fields[Contact] = {
    "ContactID": _f(lambda c: c.contact_id, "guid"),
    "ContactNumber": _f(lambda c: c.contact_number, "string"),
    "AccountNumber": _f(lambda c: c.account_number, "string"),
    "ContactStatus": _f(lambda c: c.status, "string"),
    "Name": _f(lambda c: c.name, "string"),
    "FirstName": _f(lambda c: c.first_name, "string"),
    "LastName": _f(lambda c: c.last_name, "string"),
    "EmailAddress": _f(lambda c: c.email, "string"),
    "DefaultCurrency": _f(lambda c: c.default_currency, "string"),
    "IsCustomer": _f(lambda c: c.is_customer, "bool"),
    "IsSupplier": _f(lambda c: c.is_supplier, "bool"),
    "HasAttachments": _f(lambda c: False, "bool"),
    "UpdatedDateUTC": _f(lambda c: c.updated, "datetime"),
}


def payment_fields(invoice_of: Callable[[str], Invoice | None]) -> Fields[Payment]:
    def invoice(read: Callable[[Invoice], Any]) -> Callable[[Payment], Any]:
        def value(payment: Payment) -> Any:
            found = invoice_of(payment.invoice_id)
            return read(found) if found else None

        return value

    return {
        "PaymentID": _f(lambda p: p.payment_id, "guid"),
        "Date": _f(lambda p: p.date, "date"),
        "Amount": _f(lambda p: p.amount, "number"),
        "Reference": _f(lambda p: p.reference, "string"),
        "Status": _f(lambda p: p.status, "string"),
        "PaymentType": _f(lambda p: p.payment_type, "string"),
        "IsReconciled": _f(lambda p: p.is_reconciled, "bool"),
        "CurrencyRate": _f(lambda p: p.currency_rate, "number"),
        "UpdatedDateUTC": _f(lambda p: p.updated, "datetime"),
        "Account.AccountID": _f(lambda p: p.account_id, "guid"),
        "Invoice.InvoiceID": _f(lambda p: p.invoice_id, "guid"),
        "Invoice.InvoiceNumber": _f(invoice(lambda i: i.invoice_number), "string"),
        "Invoice.Type": _f(invoice(lambda i: i.type), "string"),
        "Invoice.Contact.ContactID": _f(invoice(lambda i: i.contact_id), "guid"),
    }


ACCOUNT_FIELDS: Fields[Account] = {
    "AccountID": _f(lambda a: a.account_id, "guid"),
    "Code": _f(lambda a: a.code, "string"),
    "Name": _f(lambda a: a.name, "string"),
    "Type": _f(lambda a: a.type, "string"),
    "Status": _f(lambda a: a.status, "string"),
    "TaxType": _f(lambda a: a.tax_type, "string"),
    "Class": _f(lambda a: a.account_class, "string"),
    "SystemAccount": _f(lambda a: a.system_account, "string"),
    "BankAccountNumber": _f(lambda a: a.bank_account_number, "string"),
    "BankAccountType": _f(lambda a: a.bank_account_type, "string"),
    "CurrencyCode": _f(lambda a: a.currency_code, "string"),
    "EnablePaymentsToAccount": _f(lambda a: a.enable_payments, "bool"),
    "UpdatedDateUTC": _f(lambda a: a.updated, "datetime"),
}

TAX_RATE_FIELDS: Fields[TaxRate] = {
    "Name": _f(lambda t: t.name, "string"),
    "TaxType": _f(lambda t: t.tax_type, "string"),
    "Status": _f(lambda t: t.status, "string"),
    "ReportTaxType": _f(lambda t: t.report_tax_type, "string"),
    "EffectiveRate": _f(lambda t: t.effective_rate, "number"),
    "DisplayTaxRate": _f(lambda t: t.display_rate, "number"),
    "CanApplyToRevenue": _f(lambda t: t.applies_to_revenue, "bool"),
    "CanApplyToExpenses": _f(lambda t: t.applies_to_expenses, "bool"),
    "CanApplyToAssets": _f(lambda t: t.applies_to_assets, "bool"),
    "CanApplyToEquity": _f(lambda t: t.applies_to_equity, "bool"),
    "CanApplyToLiabilities": _f(lambda t: t.applies_to_liabilities, "bool"),
}

ITEM_FIELDS: Fields[Item] = {
    "ItemID": _f(lambda i: i.item_id, "guid"),
    "Code": _f(lambda i: i.code, "string"),
    "Name": _f(lambda i: i.name, "string"),
    "Description": _f(lambda i: i.description, "string"),
    "IsSold": _f(lambda i: i.is_sold, "bool"),
    "IsPurchased": _f(lambda i: i.is_purchased, "bool"),
    "UpdatedDateUTC": _f(lambda i: i.updated, "datetime"),
}

CURRENCY_FIELDS: Fields[Currency] = {
    "Code": _f(lambda c: c.code, "string"),
    "Description": _f(lambda c: c.description, "string"),
}

# Xero's default orders for lists sent without `order`.
DEFAULT_ORDERS: Mapping[str, str] = {
    "Invoices": "UpdatedDateUTC ASC",
    "Contacts": "UpdatedDateUTC ASC",
    "Payments": "UpdatedDateUTC ASC",
    "Accounts": "Code ASC",
    "Items": "Code ASC",
    "TaxRates": "Name ASC",
    "Currencies": "Code ASC",
}
