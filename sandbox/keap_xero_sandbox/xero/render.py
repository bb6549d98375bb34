"""Records as Xero renders them: PascalCase, MS-JSON dates, Xero's envelopes.

- Dates and timestamps are `/Date(1573755038314+0000)/` (`invoice_model.dates.format_ms_date`),
  with the ISO companions Xero adds: `DateString` / `DueDateString` (`2019-03-11T00:00:00`) and,
  on invoices and payments, `UpdatedDateUTCString` (`2019-11-14T18:10:38Z`); the envelope's
  `DateTimeUTC` has no offset (`/Date(1550793549392)/`).
- Amounts are JSON numbers: money at 2 places, unit amounts at 2 or (with `unitdp=4`) 4,
  quantities at up to 4.
- Fields with no value are left out, as Xero leaves them out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from invoice_model.dates import format_ms_date
from invoice_model.money import round_to
from keap_xero_sandbox.xero import validation
from keap_xero_sandbox.xero.models import (
    ZERO_ID,
    Account,
    Address,
    Contact,
    ContactDraft,
    Currency,
    Invoice,
    InvoiceDraft,
    Item,
    ItemDetails,
    LineDraft,
    LineItem,
    Organisation,
    Payment,
    PaymentDraft,
    Phone,
    TaxRate,
)

if TYPE_CHECKING:
    from keap_xero_sandbox.xero.ledger import Ledger

Json = dict[str, Any]


def envelope(
    resource: str,
    items: Sequence[Json],
    *,
    provider: str,
    now: dt.datetime,
    pagination: Json | None = None,
    warnings: Sequence[str] = (),
) -> Json:
    body: Json = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": provider,
        "DateTimeUTC": format_ms_date(now, offset=False),
    }
    if pagination is not None:
        body["pagination"] = pagination
    if warnings:
        body["Warnings"] = [{"Message": w} for w in warnings]
    body[resource] = list(items)
    return body


def pagination(page: int, page_size: int, item_count: int) -> Json:
    return {
        "page": page,
        "pageSize": page_size,
        "pageCount": -(-item_count // page_size) if item_count else 0,
        "itemCount": item_count,
    }


def amount(value: Decimal, places: int = 2) -> float:
    """A JSON number with `places` decimals; floats carry 2- and 4-place amounts exactly."""
    return float(round_to(value, places))


def quantity(value: Decimal) -> float:
    return float(round_to(value, 4).normalize())


def ms_date(value: dt.date | dt.datetime) -> str:
    return format_ms_date(value)


def date_string(value: dt.date) -> str:
    return f"{value.isoformat()}T00:00:00"


def utc_string(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _compact(data: Mapping[str, Any]) -> Json:
    return {key: value for key, value in data.items() if value is not None}


# settings


def organisation(org: Organisation) -> Json:
    return _compact(
        {
            "OrganisationID": org.organisation_id,
            "Name": org.name,
            "LegalName": org.name,
            "PaysTax": True,
            "Version": org.version,
            "OrganisationType": org.organisation_type,
            "BaseCurrency": org.base_currency,
            "CountryCode": org.country_code,
            "IsDemoCompany": org.is_demo_company,
            "OrganisationStatus": "ACTIVE",
            "FinancialYearEndDay": org.financial_year_end_day,
            "FinancialYearEndMonth": org.financial_year_end_month,
            "SalesTaxBasis": "ACCRUAL",
            "SalesTaxPeriod": "MONTHLY",
            "DefaultSalesTax": "Tax Exclusive",
            "DefaultPurchasesTax": "Tax Exclusive",
            "PeriodLockDate": ms_date(org.period_lock_date) if org.period_lock_date else None,
            "EndOfYearLockDate": (
                ms_date(org.end_of_year_lock_date) if org.end_of_year_lock_date else None
            ),
            "CreatedDateUTC": ms_date(org.created),
            "Timezone": org.timezone,
            "OrganisationEntityType": org.organisation_type,
            "ShortCode": org.short_code,
            "Class": "DEMO" if org.is_demo_company else "STANDARD",
            "Edition": "BUSINESS",
            "Addresses": [],
            "Phones": [],
            "ExternalLinks": [],
            "PaymentTerms": {},
        }
    )


def currency(record: Currency) -> Json:
    return {"Code": record.code, "Description": record.description}


def account(record: Account) -> Json:
    return _compact(
        {
            "AccountID": record.account_id,
            "Code": record.code,
            "Name": record.name,
            "Status": record.status,
            "Type": record.type,
            "TaxType": record.tax_type,
            "Description": record.description or None,
            "Class": record.account_class,
            "SystemAccount": record.system_account,
            "EnablePaymentsToAccount": record.enable_payments,
            "ShowInExpenseClaims": False,
            "BankAccountNumber": record.bank_account_number,
            "BankAccountType": record.bank_account_type or ("" if record.type != "BANK" else None),
            "CurrencyCode": record.currency_code,
            "ReportingCode": None,
            "HasAttachments": False,
            "UpdatedDateUTC": ms_date(record.updated),
            "AddToWatchlist": False,
        }
    )


def tax_rate(record: TaxRate) -> Json:
    return {
        "Name": record.name,
        "TaxType": record.tax_type,
        "ReportTaxType": record.report_tax_type,
        "CanApplyToAssets": record.applies_to_assets,
        "CanApplyToEquity": record.applies_to_equity,
        "CanApplyToExpenses": record.applies_to_expenses,
        "CanApplyToLiabilities": record.applies_to_liabilities,
        "CanApplyToRevenue": record.applies_to_revenue,
        "DisplayTaxRate": amount(record.display_rate, 4),
        "EffectiveRate": amount(record.effective_rate, 4),
        "Status": record.status,
        "TaxComponents": [
            {
                "Name": c.name,
                "Rate": amount(c.rate, 4),
                "IsCompound": c.is_compound,
                "IsNonRecoverable": False,
            }
            for c in record.components
        ],
    }


def _details(details: ItemDetails | None, unit_places: int) -> Json | None:
    if details is None:
        return None
    return _compact(
        {
            "UnitPrice": (
                amount(details.unit_price, unit_places) if details.unit_price is not None else None
            ),
            "AccountCode": details.account_code,
            "TaxType": details.tax_type,
        }
    )


def item(record: Item, unit_places: int = 2) -> Json:
    return _compact(
        {
            "ItemID": record.item_id,
            "Code": record.code,
            "Name": record.name,
            "Description": record.description or None,
            "IsSold": record.is_sold,
            "IsPurchased": record.is_purchased,
            "IsTrackedAsInventory": False,
            "SalesDetails": _details(record.sales, unit_places),
            "PurchaseDetails": _details(record.purchases, unit_places),
            "UpdatedDateUTC": ms_date(record.updated),
        }
    )


# contacts


def address(record: Address) -> Json:
    return _compact(
        {
            "AddressType": record.address_type,
            "AddressLine1": record.line1,
            "AddressLine2": record.line2,
            "AddressLine3": record.line3,
            "AddressLine4": record.line4,
            "City": record.city,
            "Region": record.region,
            "PostalCode": record.postal_code,
            "Country": record.country,
        }
    )


def phone(record: Phone) -> Json:
    return _compact(
        {
            "PhoneType": record.phone_type,
            "PhoneNumber": record.number,
            "PhoneAreaCode": record.area_code,
            "PhoneCountryCode": record.country_code,
        }
    )


def contact(record: Contact, *, written: bool = False) -> Json:
    data = _compact(
        {
            "ContactID": record.contact_id,
            "ContactNumber": record.contact_number,
            "AccountNumber": record.account_number,
            "ContactStatus": record.status,
            "Name": record.name,
            "FirstName": record.first_name,
            "LastName": record.last_name,
            "EmailAddress": record.email,
            "Addresses": [address(a) for a in record.addresses],
            "Phones": [phone(p) for p in record.phones],
            "UpdatedDateUTC": ms_date(record.updated),
            "ContactGroups": [],
            "IsSupplier": record.is_supplier,
            "IsCustomer": record.is_customer,
            "DefaultCurrency": record.default_currency,
            "ContactPersons": [],
            "HasAttachments": False,
            "HasValidationErrors": False,
        }
    )
    if written:
        data["StatusAttributeString"] = "OK"
    return data


def contact_summary(record: Contact) -> Json:
    """The contact as an invoice or payment carries it."""
    return _compact(
        {
            "ContactID": record.contact_id,
            "ContactNumber": record.contact_number,
            "Name": record.name,
            "EmailAddress": record.email,
            "HasValidationErrors": False,
        }
    )


def _fitting(value: str | None, length: int) -> str | None:
    """An echoed value, unless it is longer than the field can hold (the reason it was refused)."""
    return value if value is None or validation.length(value) <= length else None


def _fitting_fields(record: Any, fields: tuple[tuple[str, str, int], ...]) -> Any:
    """A copy of an address or phone echoed with only the values that fit their fields."""
    return dataclasses.replace(
        record,
        **{name: _fitting(getattr(record, name), limit) for name, _, limit in fields},
    )


def refused_contact(draft: ContactDraft, messages: Iterable[str]) -> Json:
    """A contact element Xero would not write, echoed with its reasons."""
    return _compact(
        {
            "ContactID": draft.contact_id or ZERO_ID,
            "ContactNumber": _fitting(draft.contact_number, validation.CONTACT_NUMBER_MAX),
            "AccountNumber": _fitting(draft.account_number, 50),
            "ContactStatus": draft.status,
            "Name": _fitting(draft.name, validation.CONTACT_NAME_MAX),
            "FirstName": _fitting(draft.first_name, 255),
            "LastName": _fitting(draft.last_name, 255),
            "EmailAddress": _fitting(draft.email, 255),
            "Addresses": [
                address(_fitting_fields(a, validation.ADDRESS_FIELDS)) for a in draft.addresses
            ]
            if draft.addresses
            else None,
            "Phones": [phone(_fitting_fields(p, validation.PHONE_FIELDS)) for p in draft.phones]
            if draft.phones
            else None,
            "HasValidationErrors": True,
            "StatusAttributeString": "ERROR",
            "ValidationErrors": [{"Message": m} for m in messages],
        }
    )


# invoices


def line_item(line: LineItem, unit_places: int) -> Json:
    return _compact(
        {
            "LineItemID": line.line_item_id,
            "Description": line.description,
            "Quantity": quantity(line.quantity) if line.quantity is not None else None,
            "UnitAmount": (
                amount(line.unit_amount, unit_places) if line.unit_amount is not None else None
            ),
            "ItemCode": line.item_code,
            "AccountCode": line.account_code,
            "AccountID": line.account_id,
            "TaxType": line.tax_type,
            "TaxAmount": amount(line.tax_amount),
            "LineAmount": amount(line.line_amount),
            "DiscountRate": (
                amount(line.discount_rate) if line.discount_rate is not None else None
            ),
            "DiscountAmount": (
                amount(line.discount_amount) if line.discount_amount is not None else None
            ),
            "Tracking": [],
        }
    )


def invoice_payment(record: Payment) -> Json:
    """A payment as an invoice lists it."""
    return _compact(
        {
            "PaymentID": record.payment_id,
            "Date": ms_date(record.date),
            "Amount": amount(record.amount),
            "Reference": record.reference,
            "CurrencyRate": amount(record.currency_rate, 6),
            "HasAccount": False,
            "HasValidationErrors": False,
        }
    )


def invoice(
    record: Invoice,
    ledger: Ledger,
    *,
    unit_places: int = 2,
    summary: bool = False,
    written: bool = False,
    warnings: Sequence[str] = (),
) -> Json:
    owner = ledger.contacts.get(record.contact_id)
    due = record.amount_due if record.status not in ("VOIDED", "DELETED") else Decimal(0)
    data: Json = {
        "Type": record.type,
        "InvoiceID": record.invoice_id,
        "InvoiceNumber": record.invoice_number,
        "Reference": record.reference,
        "Prepayments": [],
        "Overpayments": [],
        "AmountDue": amount(due),
        "AmountPaid": amount(record.amount_paid),
        "AmountCredited": amount(record.amount_credited),
        "CurrencyRate": amount(record.currency_rate, 6),
        "IsDiscounted": record.is_discounted,
        "HasAttachments": False,
        "HasErrors": False,
        "Contact": contact_summary(owner) if owner else {"ContactID": record.contact_id},
        "DateString": date_string(record.date),
        "Date": ms_date(record.date),
        "DueDateString": date_string(record.due_date) if record.due_date else None,
        "DueDate": ms_date(record.due_date) if record.due_date else None,
        "Status": record.status,
        "LineAmountTypes": record.line_amount_types,
        "SubTotal": amount(record.sub_total),
        "TotalTax": amount(record.total_tax),
        "Total": amount(record.total),
        "TotalDiscount": amount(record.total_discount) if record.total_discount else None,
        "UpdatedDateUTC": ms_date(record.updated),
        "UpdatedDateUTCString": utc_string(record.updated),
        "CurrencyCode": record.currency_code,
        "FullyPaidOnDate": ms_date(record.fully_paid_on) if record.fully_paid_on else None,
        "Url": record.url,
        "SentToContact": record.sent_to_contact or None,
        "BrandingThemeID": record.branding_theme_id,
    }
    if not summary:
        data["Payments"] = [invoice_payment(p) for p in ledger.payments_of(record)]
        data["CreditNotes"] = []
        data["LineItems"] = [line_item(line, unit_places) for line in record.line_items]
    if written:
        data["StatusAttributeString"] = "WARNING" if warnings else "OK"
        if warnings:
            data["Warnings"] = [{"Message": w} for w in warnings]
    return _compact(data)


def refused_invoice(draft: InvoiceDraft, messages: Iterable[str], unit_places: int = 2) -> Json:
    """An invoice element Xero would not write, echoed with its reasons; a new one gets the
    all-zero InvoiceID.
    """
    contact_ref = draft.contact
    return _compact(
        {
            "Type": draft.type,
            "InvoiceID": draft.invoice_id or ZERO_ID,
            "InvoiceNumber": _fitting(draft.invoice_number, validation.INVOICE_NUMBER_MAX),
            "Reference": draft.reference,
            "HasErrors": True,
            "Contact": (
                _compact(
                    {
                        "ContactID": contact_ref.contact_id or ZERO_ID,
                        "ContactNumber": contact_ref.contact_number,
                        "Name": contact_ref.name,
                    }
                )
                if contact_ref
                else None
            ),
            "DateString": date_string(draft.date) if draft.date else None,
            "Date": ms_date(draft.date) if draft.date else None,
            "DueDateString": date_string(draft.due_date) if draft.due_date else None,
            "DueDate": ms_date(draft.due_date) if draft.due_date else None,
            "Status": draft.status,
            "LineAmountTypes": draft.line_amount_types,
            "LineItems": (
                [_refused_line(line, unit_places) for line in draft.line_items]
                if draft.line_items is not None
                else None
            ),
            "CurrencyCode": draft.currency_code,
            "Url": draft.url,
            "StatusAttributeString": "ERROR",
            "ValidationErrors": [{"Message": m} for m in messages],
        }
    )


def _refused_line(line: LineDraft, unit_places: int) -> Json:
    return _compact(
        {
            "Description": line.description,
            "Quantity": quantity(line.quantity) if line.quantity is not None else None,
            "UnitAmount": (
                amount(line.unit_amount, unit_places) if line.unit_amount is not None else None
            ),
            "ItemCode": line.item_code,
            "AccountCode": line.account_code,
            "TaxType": line.tax_type,
            "LineAmount": amount(line.line_amount) if line.line_amount is not None else None,
            "DiscountRate": amount(line.discount_rate) if line.discount_rate is not None else None,
            "DiscountAmount": (
                amount(line.discount_amount) if line.discount_amount is not None else None
            ),
            "ValidationErrors": [],
        }
    )


# payments


def payment(record: Payment, ledger: Ledger, *, written: bool = False) -> Json:
    paid = ledger.invoices.get(record.invoice_id)
    into = ledger.accounts.get(record.account_id)
    owner = ledger.contacts.get(paid.contact_id) if paid else None
    data = _compact(
        {
            "PaymentID": record.payment_id,
            "Date": ms_date(record.date),
            "BankAmount": amount(record.amount),
            "Amount": amount(record.amount),
            "Reference": record.reference,
            "CurrencyRate": amount(record.currency_rate, 6),
            "PaymentType": record.payment_type,
            "Status": record.status,
            "UpdatedDateUTC": ms_date(record.updated),
            "UpdatedDateUTCString": utc_string(record.updated),
            "HasAccount": True,
            "IsReconciled": record.is_reconciled,
            "Account": {"AccountID": into.account_id, "Code": into.code} if into else None,
            "Invoice": (
                _compact(
                    {
                        "Type": paid.type,
                        "InvoiceID": paid.invoice_id,
                        "InvoiceNumber": paid.invoice_number,
                        "Contact": contact_summary(owner) if owner else None,
                        "CurrencyCode": paid.currency_code,
                    }
                )
                if paid
                else None
            ),
            "HasValidationErrors": False,
        }
    )
    if written:
        data["StatusAttributeString"] = "OK"
    return data


def refused_payment(draft: PaymentDraft, messages: Iterable[str]) -> Json:
    return _compact(
        {
            "PaymentID": ZERO_ID,
            "Date": ms_date(draft.date) if draft.date else None,
            "Amount": amount(draft.amount) if draft.amount is not None else None,
            "Reference": draft.reference,
            "Status": draft.status,
            "Account": (
                _compact({"AccountID": draft.account_id, "Code": draft.account_code})
                if draft.account_id or draft.account_code
                else None
            ),
            "Invoice": (
                _compact({"InvoiceID": draft.invoice_id, "InvoiceNumber": draft.invoice_number})
                if draft.invoice_id or draft.invoice_number
                else None
            ),
            "HasValidationErrors": True,
            "StatusAttributeString": "ERROR",
            "ValidationErrors": [{"Message": m} for m in messages],
        }
    )
